// EventParser::Impl, shared by the parser's two files: event_parser.cpp (the
// frame, its events and their fields: the hot path) and
// event_parser_values.cpp (booleans, the batch, escaped keys, and checking the
// values that are not kept). Why the parser is built as it is: event_parser.cpp.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "bangdan/event_parser.h"
#include "event_parser_fields.h"
#include "event_parser_scalars.h"

namespace bangdan {

namespace ondemand = simdjson::ondemand;
using json_scalar::TrimToken;

namespace event_parser_internal {

inline constexpr size_t kInitialCapacity = 64 * 1024;

inline bool StartsNumber(char c) { return c == '-' || json_scalar::IsDigit(c); }

// The content of a raw key (after its opening quote) up to its closing quote.
// Stage 1 guarantees the quote exists and pairs every backslash with the
// character it escapes.
inline std::string_view KeyContent(const char* raw) {
  size_t i = 0;
  while (raw[i] != '"') i += raw[i] == '\\' ? 2 : 1;
  return {raw, i};
}

// The content of a string token (quotes and trailing whitespace removed);
// data() is null if the token is not one quoted string. Returned by value:
// through an out-parameter, GCC stores the halves separately and reloads the
// pair at once, a store-forwarding stall on the hottest path.
inline std::string_view StringContent(std::string_view token) {
  const std::string_view t = TrimToken(token);
  if (t.size() < 2 || t.front() != '"' || t.back() != '"') return {};
  return t.substr(1, t.size() - 2);
}

// A raw token runs up to the next structural character. After a scalar inside
// an array or object that must be `,` `]` or `}`: On-Demand's skipping would
// take `"a":1` after a value for one more field (its key heuristic), so a
// value we read but do not consume is checked here. Containers are walked,
// not skipped, and need no check.
inline bool EndsWell(std::string_view raw_token) {
  const char first = raw_token[0];
  if (first == '[' || first == '{') return true;
  const char next = raw_token.data()[raw_token.size()];
  return next == ',' || next == ']' || next == '}';
}

inline constexpr const char* kBadFollower = "invalid JSON: expected ',' or a closing bracket after a value";

}  // namespace event_parser_internal

using namespace event_parser_internal;

struct EventParser::Impl {
  explicit Impl(ParserOptions o) : options(o) {
    // simdjson 3.0 checks this depth only in development builds; SkipValue
    // and the readers check it themselves. An allocation failure here is
    // retried by iterate(), which reports it.
    const simdjson::error_code ignored = parser.allocate(kInitialCapacity, options.max_depth + 1);
    (void)ignored;
  }

  Status Parse(std::string_view text, int64_t now_ms, ParsedFrame* frame);
  // Whether the last non-blank byte of `text` is '}'.
  static bool EndsObject(std::string_view text);
  // An object frame that does not end with its '}': see the definition.
  Status ObjectWithContentAfter(std::string_view text, int64_t now_ms, ParsedFrame* frame);

  bool ReadArrayFrame(ondemand::document& doc);
  bool ReadObjectFrame(ondemand::document& doc);
  bool ReadEvents(ondemand::value& events, uint32_t depth);
  bool ReadEvent(ondemand::value& value, uint32_t index, uint32_t depth);
  bool ReadEventObject(ondemand::object& object, uint32_t index, uint32_t depth);
  // The per-field readers are inlined into the field loop: as calls they
  // cost about a tenth of the parse (spills around each call).
  [[gnu::always_inline]] Problem ReadField(Field field, ondemand::value& value, uint32_t depth,
                                           Event* e);
  [[gnu::always_inline]] Problem ReadString(ondemand::value& value, size_t max_bytes,
                                            uint32_t depth, std::string_view* out);
  [[gnu::always_inline]] Problem ReadInteger(ondemand::value& value, int64_t min, int64_t max,
                                             uint32_t depth, int64_t* out);
  Problem ReadBool(ondemand::value& value, uint32_t depth, bool* out);
  bool ReadBatch(ondemand::value& value, std::string* problem);
  // The batch of an object frame that is not JSON (cut short, say), if its
  // first key is "batch" with a whole value after it, into out->batch_json.
  void ReadLeadingBatch(std::string_view text, int64_t now_ms);
  bool MatchEscapedKey(const char* raw, const std::string_view* names, size_t count,
                       size_t* match);
  bool SkipValue(ondemand::value& value, uint32_t depth);
  bool SkipScalar(std::string_view token);

  bool JsonError(simdjson::error_code error);
  Problem NotJson(simdjson::error_code error) {
    JsonError(error);
    return Problem::kNotJson;
  }
  Problem NotJson(std::string message) {
    FrameError(std::move(message));
    return Problem::kNotJson;
  }
  bool FrameError(std::string message) {
    frame_error = std::move(message);
    return false;
  }
  bool DepthError() {
    return FrameError("frame: nesting deeper than " + std::to_string(options.max_depth) +
                      " levels");
  }

  const ParserOptions options;
  ondemand::parser parser;
  std::string scratch;  // unescaped keys and batch strings

  // Per frame.
  ParsedFrame* out = nullptr;
  int64_t max_ts_ms = 0;
  std::string frame_error;
};

}  // namespace bangdan
