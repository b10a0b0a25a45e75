// Verifier: --verify's end of run. Rebuilds the expected boards from the acked
// frames (Model), fetches the server's — every board, scope, metric and
// window, as whole-board CSV (SPEC §4) — and the totals, and compares them row
// by row. Any difference fails the run.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bangdan/status.h"
#include "progress.h"
#include "run_context.h"

namespace bangdan::loadgen {

struct VerifyResult {
  bool ok = false;
  bool exact_order = false;  // seqs known exactly: ties checked too
  uint64_t boards = 0;       // board×metric×window fetched
  uint64_t rows = 0;         // rows compared
  uint64_t differences = 0;
  std::vector<std::string> first_differences;
};

struct VerifyInput {
  const Campaign* campaign;
  const FramePool* pool;
  const Options* options;
  std::vector<FrameRecord> frames;         // every acked frame of every connection
  std::vector<RejectedSlot> rejected;      // events the acks listed as rejected
  std::string day;                         // YYYY-MM-DD: the run's one day at --tz; empty: it spanned two
};

// `progress`, if given, is told how far it has got every few frames of the
// model and after each board.
VerifyResult Verify(const VerifyInput& input, const std::function<void(const VerifyProgress&)>& progress = {});

// One parsed row of a board's CSV.
struct CsvRow {
  uint64_t rank = 0;
  std::string key;
  int64_t weight_g = 0, amount_fen = 0, orders = 0;
};

// Parses the CSV of §4 (optional BOM, header, RFC 4180 quoting).
Status ParseBoardCsv(std::string_view csv, std::vector<CsvRow>* rows);

// The day (YYYY-MM-DD) that the instant `unix_ms` falls in at offset "+HH:MM".
std::string DayAt(int64_t unix_ms, const std::string& tz);

}  // namespace bangdan::loadgen
