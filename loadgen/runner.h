// Runner: one whole run — build the pool, connect the subscribers, drive the
// ingest connections while printing progress, gather the figures, verify.
#pragma once

#include "bangdan/status.h"
#include "options.h"
#include "report.h"

namespace bangdan::loadgen {

// A non-OK Status means the run could not start (bad server, not empty for
// --verify); problems during the run land in the report.
Status Run(const Options& options, Report* report);

}  // namespace bangdan::loadgen
