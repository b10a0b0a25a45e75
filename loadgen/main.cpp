// bangdan-loadgen: drives a bangdan server (or Redis, for comparison) with
// generated campaign traffic and reports what it measured (SPEC §8).
//
// Exit status: 0 the run went as it should; 1 it did not (an error, a frame
// never answered, a dashboard that failed, a verify difference, a server
// that could not be reached); 2 bad usage (a flag, or --verify against a
// server that already holds events).
#include <cstdio>
#include <fstream>

#include "options.h"
#include "report.h"
#include "runner.h"

namespace {

// --report FILE is checked before the run, not after minutes of it. The
// file is opened for appending, so that nothing it held is lost if the run
// never writes it (an interrupted start, a failed connection).
bangdan::Status CheckReportWritable(const std::string& path) {
  if (path.empty() || path == "-") return bangdan::Status::OK();
  std::ofstream probe(path, std::ios::binary | std::ios::app);
  if (!probe) return bangdan::Status::InvalidArgument("--report: cannot write '" + path + "'");
  return bangdan::Status::OK();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace bangdan::loadgen;
  Options options;
  bangdan::Status s = ParseOptions(argc, argv, &options);
  if (s.ok()) s = CheckReportWritable(options.report);
  if (!s.ok()) {
    std::fprintf(stderr, "bangdan-loadgen: %s\n", s.message().c_str());
    return 2;
  }
  if (options.help) {
    std::fputs(Usage().c_str(), stdout);
    return 0;
  }
  Report report;
  s = Run(options, &report);
  if (!s.ok()) {
    std::fprintf(stderr, "bangdan-loadgen: %s\n", s.message().c_str());
    return s.IsInvalidArgument() ? 2 : 1;
  }
  // With --report - the JSON has standard output to itself, for a pipe.
  const bool json_to_stdout = options.report == "-";
  std::fputs(FormatText(report).c_str(), json_to_stdout ? stderr : stdout);
  if (json_to_stdout) {
    std::fputs(FormatJson(report).c_str(), stdout);
  } else if (!options.report.empty()) {
    s = WriteFile(options.report, FormatJson(report));
    if (!s.ok()) {
      std::fprintf(stderr, "bangdan-loadgen: %s\n", s.message().c_str());
      return 1;
    }
  }
  return report.ok() ? 0 : 1;
}
