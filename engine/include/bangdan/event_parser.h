// EventParser: JSON text → validated events, one verdict per event (SPEC §1, §3).
//
// A frame holds one event object, an array of events, or
// {"batch": <string or integer>, "events": [...]}. The parser judges each event
// on its own: valid ones land in ParsedFrame::events, invalid ones in
// ParsedFrame::rejected with an error that names the field
// ("weight_g: must be an integer from 0 to 1000000000").
//
// A frame that is not JSON, or JSON of another shape, or holds more than
// max_batch events, makes Parse return a non-OK Status; ParsedFrame::batch is
// still filled where the client's batch value could be read.
//
// Thread safety: one EventParser per thread (it owns a simdjson parser and a
// padded buffer that it reuses). A ParsedFrame may move between threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bangdan/event.h"
#include "bangdan/status.h"

namespace bangdan {

struct Rejection {
  uint32_t index;     // position of the event in the frame (0 for a single object)
  std::string error;  // "field: reason"
};

struct ParsedFrame {
  // The client's batch value as JSON text, ready to echo: `17` or `"b-17"`.
  // Empty when the frame carried none (or `"batch":null`).
  std::string batch_json;

  std::vector<Event> events;      // valid events, in frame order
  std::vector<uint32_t> indices;  // indices[i]: position of events[i] in the frame
  std::vector<Rejection> rejected;
  uint32_t total = 0;             // events in the frame, valid or not

  // Owns the bytes that events' string_views point into. Do not touch.
  std::string arena;

  void Clear();
};

struct ParserOptions {
  uint32_t max_batch = 10'000;  // more events in one frame: the whole frame is refused
  uint32_t max_depth = 64;      // JSON nesting deeper than this: the frame is refused
};

class EventParser {
 public:
  explicit EventParser(ParserOptions options = {});
  ~EventParser();
  EventParser(const EventParser&) = delete;
  EventParser& operator=(const EventParser&) = delete;

  // Parses `text` (any buffer; it is copied into a padded one) and validates
  // each event. `now_ms` is the receive time, against which `ts` is checked
  // (no more than 24 h ahead). REQUIRES: out != nullptr.
  Status Parse(std::string_view text, int64_t now_ms, ParsedFrame* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Validates one event's fields against SPEC §1 (lengths, ranges, UTF-8, ts).
// Returns "" when valid, else the error naming the field. Used by the parser
// and by anything that builds events by hand.
std::string ValidateEvent(const Event& e, int64_t now_ms);

// True if `s` is well-formed UTF-8 (no surrogates, no overlongs, ≤ U+10FFFF).
bool IsValidUtf8(std::string_view s);

}  // namespace bangdan
