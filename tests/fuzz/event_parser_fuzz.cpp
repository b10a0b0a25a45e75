// Fuzzes EventParser with simdjson's DOM parser as the judge of what is JSON,
// and checks what a ParsedFrame promises:
// - a frame the DOM parser reads is never called "invalid JSON" (and one it
//   refuses is never accepted), lone surrogate escapes and out-of-range
//   numbers aside: those are JSON the DOM parser refuses and we reject per
//   field;
// - every accepted event passes ValidateEvent, with views inside the arena
//   that survive a move of the ParsedFrame;
// - indices partition the frame; batch_json is a JSON string or integer.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <memory>
#include <set>
#include <string_view>

#include "bangdan/event_parser.h"

namespace {

constexpr int64_t kNowMs = 1'795'392'000'000;  // 2026-11-23T00:00:00Z

void Check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "event_parser_fuzz: %s\n", what);
    std::abort();
  }
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

void CheckFrame(const bangdan::ParsedFrame& f) {
  Check(f.events.size() == f.indices.size(), "one index per event");
  Check(f.events.size() + f.rejected.size() == f.total, "events + rejected == total");
  std::set<uint32_t> seen;
  for (uint32_t i : f.indices) Check(i < f.total && seen.insert(i).second, "event index");
  for (const auto& r : f.rejected) {
    Check(r.index < f.total && seen.insert(r.index).second, "rejection index");
    Check(r.error.find(": ") != std::string::npos, "rejection names a field");
  }
  const char* begin = f.arena.data();
  const char* end = begin + f.arena.size();
  for (const bangdan::Event& e : f.events) {
    Check(bangdan::ValidateEvent(e, kNowMs).empty(), "accepted event passes ValidateEvent");
    for (std::string_view s : {e.id, e.city, e.firm, e.team, e.user, e.product}) {
      if (s.empty()) continue;
      Check(s.data() >= begin && s.data() + s.size() <= end, "view inside the arena");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bangdan::EventParser* parser = new bangdan::EventParser();
  static simdjson::dom::parser* dom = new simdjson::dom::parser();
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto frame = std::make_unique<bangdan::ParsedFrame>();
  const bangdan::Status status = parser->Parse(text, kNowMs, frame.get());

  const simdjson::padded_string padded(text);
  simdjson::dom::element root;
  const simdjson::error_code dom_error = dom->parse(padded).get(root);
  // Errors on which the two parsers may rightly differ: lone surrogates
  // (STRING_ERROR; we reject the field), numbers that are JSON but beyond
  // what the DOM stores (1e400: we reject the field or ignore an
  // unknown one), and where each counts depth from.
  const bool undecided = dom_error == simdjson::STRING_ERROR ||
                         dom_error == simdjson::NUMBER_ERROR ||
                         dom_error == simdjson::NUMBER_OUT_OF_RANGE ||
                         dom_error == simdjson::DEPTH_ERROR;
  if (dom_error == simdjson::SUCCESS) {
    Check(status.ok() || !StartsWith(status.message(), "invalid JSON"),
          "JSON that simdjson's DOM reads was called invalid");
    Check(status.ok() || !StartsWith(status.message(), "frame: invalid UTF-8"),
          "UTF-8 that simdjson's DOM reads was called invalid");
  } else if (!undecided) {
    Check(!status.ok(), "a frame simdjson's DOM refuses was accepted");
  }

  if (!frame->batch_json.empty()) {
    const simdjson::padded_string batch(frame->batch_json);
    simdjson::dom::element b;
    Check(dom->parse(batch).get(b) == simdjson::SUCCESS, "batch_json is JSON");
    Check(b.is_string() || b.is_int64(), "batch_json is a string or an integer");
  }
  if (!status.ok()) return 0;

  CheckFrame(*frame);
  // A ParsedFrame may move to another thread: its views must survive the move.
  bangdan::ParsedFrame moved = std::move(*frame);
  frame.reset();
  CheckFrame(moved);
  return 0;
}
