// EventParser: simdjson On-Demand for structure, our own code for scalars.
//
// Why it is built this way:
// - On-Demand walks only what we ask for, so a frame is read in one pass with
//   no DOM. simdjson's stage 1 has already checked the whole frame's UTF-8,
//   string termination and control characters before we read a byte.
// - Scalars are read from raw tokens (event_parser_scalars.h) so that "valid
//   JSON, wrong value" (reject the event, name the field) stays apart from
//   "not JSON" (refuse the frame). On-Demand skips what it is not asked to
//   read without checking it, so every value we do not keep (unknown fields,
//   values of the wrong type, non-object elements) goes through SkipValue,
//   which checks it as JSON and enforces max_depth: simdjson 3.0's On-Demand
//   only enforces its own max depth in development builds.
// - The frame is copied once, into ParsedFrame::arena followed by simdjson's
//   padding, and parsed there: events' views point straight at their bytes
//   in the frame, so accepting a string costs no copy. A string with escapes
//   is unescaped in place (an escape is always longer than what it stands
//   for). The arena is sized once per frame and never reallocated while
//   views exist; being longer than any small-string buffer, its bytes stay
//   put when the ParsedFrame moves.
// - A string without backslashes needs no unescaping and no UTF-8 check:
//   stage 1 checked the frame's UTF-8.
#include "bangdan/event_parser.h"

#include <charconv>
#include <cstring>
#include <limits>

#include "event_parser_impl.h"

namespace bangdan {

void ParsedFrame::Clear() {
  batch_json.clear();
  events.clear();
  indices.clear();
  rejected.clear();
  total = 0;
  arena.clear();  // keeps the capacity for the next frame
}

Status EventParser::Impl::Parse(std::string_view text, int64_t now_ms, ParsedFrame* frame) {
  out = frame;
  out->Clear();
  frame_error.clear();
  max_ts_ms = now_ms > std::numeric_limits<int64_t>::max() - kMaxFutureMs
                  ? std::numeric_limits<int64_t>::max()
                  : now_ms + kMaxFutureMs;

  // The padding is part of the string (zeros) so that simdjson's reads past
  // the frame stay inside it; SIMDJSON_PADDING also keeps the arena out of
  // the small-string buffer.
  std::string& arena = out->arena;
  arena.reserve(text.size() + simdjson::SIMDJSON_PADDING);
  arena.assign(text);
  arena.append(simdjson::SIMDJSON_PADDING, '\0');

  ondemand::document doc;
  const simdjson::padded_string_view input(arena.data(), text.size(), arena.size());
  if (auto error = parser.iterate(input).get(doc)) {
    JsonError(error);
    return Status::InvalidArgument(frame_error);
  }
  simdjson::ondemand::json_type type;
  if (auto error = doc.type().get(type)) {
    JsonError(error);
    return Status::InvalidArgument(frame_error);
  }
  bool ok;
  if (type == ondemand::json_type::array) {
    ok = ReadArrayFrame(doc);
  } else if (type == ondemand::json_type::object && !EndsObject(text)) {
    return ObjectWithContentAfter(text, now_ms, frame);
  } else if (type == ondemand::json_type::object) {
    ok = ReadObjectFrame(doc);
  } else {
    std::string_view token;
    ok = !doc.raw_json_token().get(token) && SkipScalar(token) &&
         FrameError("frame: must be an event object, an array of events or "
                    "{\"batch\":…,\"events\":[…]}");
  }
  if (ok) {
    // After the top-level value, only the end of the input may follow.
    const auto location = doc.current_location();
    if (location.error() != simdjson::OUT_OF_BOUNDS) {
      ok = FrameError("invalid JSON: content after the frame's value");
    }
  }
  if (!ok) return Status::InvalidArgument(frame_error);
  return Status::OK();
}

bool EventParser::Impl::EndsObject(std::string_view text) {
  return TrimToken(text).ends_with('}');
}

// On-Demand refuses an object frame whose last token is not its closing brace
// before anything of it is read ("ended early"), though `{"batch":7,…} x`
// is a whole frame with something after it. So the frame up to its last '}'
// is parsed alone: if that is a frame, the answer is the one for content
// after it, with the batch it names; if not, the frame is as broken as
// simdjson said, with the batch it opens with if it does (SPEC §3: the
// client's batch where one can be read).
Status EventParser::Impl::ObjectWithContentAfter(std::string_view text, int64_t now_ms,
                                                 ParsedFrame* frame) {
  const size_t last_brace = text.rfind('}');
  if (last_brace != std::string_view::npos && Parse(text.substr(0, last_brace + 1), now_ms, frame).ok()) {
    std::string batch_json = std::move(frame->batch_json);
    frame->Clear();
    frame->batch_json = std::move(batch_json);
    frame_error.clear();
    FrameError("invalid JSON: content after the frame's value");
    return Status::InvalidArgument(frame_error);
  }
  frame->Clear();
  frame_error.clear();
  JsonError(simdjson::INCOMPLETE_ARRAY_OR_OBJECT);
  ReadLeadingBatch(text, now_ms);
  return Status::InvalidArgument(frame_error);
}

bool EventParser::Impl::JsonError(simdjson::error_code error) {
  switch (error) {
    case simdjson::UTF8_ERROR:
      return FrameError("frame: invalid UTF-8");
    case simdjson::DEPTH_ERROR:
      return DepthError();
    case simdjson::EMPTY:
      return FrameError("invalid JSON: empty frame");
    default:
      return FrameError(std::string("invalid JSON: ") + simdjson::error_message(error));
  }
}

bool EventParser::Impl::ReadArrayFrame(ondemand::document& doc) {
  ondemand::value events;
  if (auto error = doc.get_value().get(events)) return JsonError(error);
  return ReadEvents(events, 1);
}

// An object frame is a batch if it has an "events" key anywhere, so the
// first pass reads "batch" and "events" and checks the other values as JSON.
// Without "events" the object is one event: rewind and read it as such.
bool EventParser::Impl::ReadObjectFrame(ondemand::document& doc) {
  static constexpr std::string_view kFrameKeys[] = {"batch", "events"};
  ondemand::object top;
  if (auto error = doc.get_object().get(top)) return JsonError(error);
  bool has_batch = false, has_events = false;
  std::string batch_problem;
  for (auto field_result : top) {
    if (auto error = field_result.error()) return JsonError(error);
    ondemand::field& field = field_result.value_unsafe();
    const char* raw = field.key().raw();
    size_t key = 2;  // neither
    if (std::memcmp(raw, "batch\"", 6) == 0) {
      key = 0;
    } else if (std::memcmp(raw, "events\"", 7) == 0) {
      key = 1;
    } else if (!MatchEscapedKey(raw, kFrameKeys, 2, &key)) {
      return false;
    }
    ondemand::value& value = field.value();
    if (key == 1) {
      if (has_events) return FrameError("events: duplicate field");
      has_events = true;
      if (!ReadEvents(value, 2)) return false;
    } else if (key == 0) {
      if (has_batch) {
        if (!SkipValue(value, 2)) return false;
        if (batch_problem.empty()) batch_problem = "batch: duplicate field";
      } else {
        has_batch = true;
        if (!ReadBatch(value, &batch_problem)) return false;
      }
    } else if (!SkipValue(value, 2)) {
      return false;
    }
  }
  if (has_events) return batch_problem.empty() || FrameError(std::move(batch_problem));

  // One event: "batch" was an unknown field of it, not the frame's batch.
  out->batch_json.clear();
  doc.rewind();
  if (auto error = doc.get_object().get(top)) return JsonError(error);
  if (1 > options.max_depth) return DepthError();
  out->total = 1;
  return ReadEventObject(top, 0, 1);
}

bool EventParser::Impl::ReadEvents(ondemand::value& events, uint32_t depth) {
  const std::string_view token = events.raw_json_token();
  if (token.empty() || token[0] != '[') return FrameError("events: must be an array");
  if (depth > options.max_depth) return DepthError();
  ondemand::array array;
  if (auto error = events.get_array().get(array)) return JsonError(error);
  uint32_t index = 0;
  for (auto element_result : array) {
    if (auto error = element_result.error()) return JsonError(error);
    ondemand::value& element = element_result.value_unsafe();
    if (index == options.max_batch) {
      return FrameError("frame: more than " + std::to_string(options.max_batch) +
                        " events (the limit per frame)");
    }
    if (!ReadEvent(element, index, depth + 1)) return false;
    out->total = ++index;
  }
  return true;
}

bool EventParser::Impl::ReadEvent(ondemand::value& value, uint32_t index, uint32_t depth) {
  const std::string_view token = value.raw_json_token();
  if (token.empty() || token[0] != '{') {
    if (!SkipValue(value, depth)) return false;
    out->rejected.push_back({index, "event: must be an object"});
    return true;
  }
  if (depth > options.max_depth) return DepthError();
  ondemand::object object;
  if (auto error = value.get_object().get(object)) return JsonError(error);
  return ReadEventObject(object, index, depth);
}

bool EventParser::Impl::ReadEventObject(ondemand::object& object, uint32_t index,
                                        uint32_t depth) {
  Event e;
  uint32_t seen = 0;     // fields met, null or not: a second one is a duplicate
  uint32_t present = 0;  // fields met with a non-null value
  Field bad_field = Field::kUnknown;
  Problem problem = Problem::kNone;  // the first, in the event's order
  for (auto field_result : object) {
    if (auto error = field_result.error()) return JsonError(error);
    ondemand::field& field = field_result.value_unsafe();
    const char* raw = field.key().raw();
    Field f = MatchFieldKey(raw);
    if (f == Field::kUnknown) {
      size_t match = kFieldCount;
      if (!MatchEscapedKey(raw, kFieldNames, kFieldCount, &match)) return false;
      f = static_cast<Field>(match);
    }
    ondemand::value& value = field.value();
    if (f == Field::kUnknown) {
      if (!SkipValue(value, depth + 1)) return false;
      continue;
    }
    const uint32_t bit = 1u << static_cast<uint32_t>(f);
    Problem p;
    if (seen & bit) {
      if (!SkipValue(value, depth + 1)) return false;
      p = Problem::kDuplicate;
    } else {
      seen |= bit;
      p = ReadField(f, value, depth + 1, &e);
      if (p == Problem::kNotJson) return false;
      if (p == Problem::kNone) present |= bit;
    }
    if (p != Problem::kNone && p != Problem::kAbsent && problem == Problem::kNone) {
      problem = p;
      bad_field = f;
    }
  }
  if (problem == Problem::kNone && (present & kRequiredFields) != kRequiredFields) {
    problem = Problem::kRequired;
    bad_field = FirstMissing(present);
  }
  if (problem != Problem::kNone) {
    out->rejected.push_back({index, ProblemMessage(bad_field, problem)});
    return true;
  }
  out->events.push_back(e);
  out->indices.push_back(index);
  return true;
}

inline Problem EventParser::Impl::ReadField(Field field, ondemand::value& value, uint32_t depth,
                                     Event* e) {
  // Strings and the two amounts are most of every event: they come first,
  // through a branch that history predicts, not through a jump table.
  const FieldSpec& spec = kFieldSpecs[static_cast<size_t>(field)];
  if (spec.kind == FieldKind::kString) {
    return ReadString(value, static_cast<size_t>(spec.max), depth, &(e->*spec.text));
  }
  if (spec.kind == FieldKind::kAmount) return ReadInteger(value, 0, spec.max, depth, &(e->*spec.number));
  if (field == Field::kTs) {
    int64_t ts = 0;
    const Problem p = ReadInteger(value, std::numeric_limits<int64_t>::min(),
                                  std::numeric_limits<int64_t>::max(), depth, &ts);
    if (p != Problem::kNone) return p;
    if (ts < kMinTsMs) return Problem::kTooEarly;
    if (ts > max_ts_ms) return Problem::kTooLate;
    e->ts_ms = ts;
    e->has_ts = true;
    return Problem::kNone;
  }
  return ReadBool(value, depth, &e->refund);
}

inline Problem EventParser::Impl::ReadString(ondemand::value& value, size_t max_bytes, uint32_t depth,
                                      std::string_view* out_view) {
  const std::string_view token = value.raw_json_token();
  if (token.empty()) return NotJson(simdjson::TAPE_ERROR);
  if (!EndsWell(token)) return NotJson(kBadFollower);
  const std::string_view content = StringContent(token);
  if (content.data() == nullptr) {
    if (TrimToken(token) == "null") return Problem::kAbsent;
    return SkipValue(value, depth) ? Problem::kBadValue : Problem::kNotJson;
  }
  if (!json_scalar::HasQuoteOrBackslash(content)) {
    if (content.empty() || content.size() > max_bytes) return Problem::kBadValue;
    *out_view = content;
    return Problem::kNone;
  }
  // In place: the arena is this Parse's own copy of the frame, and nothing
  // reads a string's bytes twice.
  char* const start = const_cast<char*>(content.data());
  const char* const end = json_scalar::UnescapeTo(content, start);
  if (end == nullptr) {
    return NotJson("invalid JSON: bad string escape");
  }
  const std::string_view unescaped(start, static_cast<size_t>(end - start));
  if (!IsValidUtf8(unescaped)) return Problem::kBadUtf8;
  if (unescaped.empty() || unescaped.size() > max_bytes) return Problem::kBadValue;
  *out_view = unescaped;
  return Problem::kNone;
}

inline Problem EventParser::Impl::ReadInteger(ondemand::value& value, int64_t min, int64_t max,
                                       uint32_t depth, int64_t* out_value) {
  const std::string_view raw = value.raw_json_token();
  if (raw.empty()) return NotJson(simdjson::TAPE_ERROR);
  if (!EndsWell(raw)) return NotJson(kBadFollower);
  const std::string_view token = TrimToken(raw);
  // The common case, a positive integer of up to 16 digits, in two words.
  uint64_t digits;
  if (token[0] != '0' && json_scalar::ReadShortDigits(token.data(), token.size(), &digits)) {
    const auto v = static_cast<int64_t>(digits);  // < 10^16
    if (v < min || v > max) return Problem::kBadValue;
    *out_value = v;
    return Problem::kNone;
  }
  if (!StartsNumber(token[0])) {
    if (token == "null") return Problem::kAbsent;
    return SkipValue(value, depth) ? Problem::kBadValue : Problem::kNotJson;
  }
  const json_scalar::Number n = json_scalar::ReadNumber(token);
  if (n.kind == json_scalar::NumberKind::kMalformed) {
    return NotJson("invalid JSON: bad number");
  }
  if (n.kind != json_scalar::NumberKind::kInteger || n.value < min || n.value > max) {
    return Problem::kBadValue;
  }
  *out_value = n.value;
  return Problem::kNone;
}

EventParser::EventParser(ParserOptions options) : impl_(std::make_unique<Impl>(options)) {}

EventParser::~EventParser() = default;

Status EventParser::Parse(std::string_view text, int64_t now_ms, ParsedFrame* out) {
  return impl_->Parse(text, now_ms, out);
}

}  // namespace bangdan
