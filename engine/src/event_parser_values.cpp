// EventParser::Impl, the values off the hot path: booleans, the frame's
// batch, keys written with escapes, and checking (as JSON, within max_depth)
// every value the parser does not keep. See event_parser.cpp for the design.
#include <charconv>
#include <cstring>

#include "event_parser_impl.h"

namespace bangdan {

Problem EventParser::Impl::ReadBool(ondemand::value& value, uint32_t depth, bool* out_value) {
  const std::string_view raw = value.raw_json_token();
  if (raw.empty()) return NotJson(simdjson::TAPE_ERROR);
  if (!EndsWell(raw)) return NotJson(kBadFollower);
  const std::string_view token = TrimToken(raw);
  if (token == "true" || token == "false") {
    *out_value = token[0] == 't';
    return Problem::kNone;
  }
  if (token == "null") return Problem::kAbsent;
  return SkipValue(value, depth) ? Problem::kBadValue : Problem::kNotJson;
}

namespace {

// The value token of a "batch" key that opens an object frame, followed by
// ',' or '}' (`{"batch":17,…`, `{ "batch" : "b-17" }`), or empty: a value
// cut short is not the client's.
std::string_view LeadingBatchToken(std::string_view text) {
  size_t i = 0;
  auto skip_blanks = [&] {
    while (i < text.size() && json_scalar::IsJsonSpace(text[i])) ++i;
  };
  auto take = [&](std::string_view what) {
    skip_blanks();
    if (text.substr(i, what.size()) != what) return false;
    i += what.size();
    return true;
  };
  if (!take("{") || !take("\"batch\"") || !take(":")) return {};
  skip_blanks();
  const size_t begin = i;
  if (i < text.size() && text[i] == '"') {
    for (++i; i < text.size() && text[i] != '"'; ++i) {
      if (text[i] == '\\') ++i;
    }
    if (i >= text.size()) return {};
    ++i;
  } else {
    while (i < text.size() && (text[i] == '-' || json_scalar::IsDigit(text[i]))) ++i;
  }
  const size_t end = i;
  if (end == begin || !(take(",") || take("}"))) return {};
  return text.substr(begin, end - begin);
}

}  // namespace

void EventParser::Impl::ReadLeadingBatch(std::string_view text, int64_t now_ms) {
  const std::string_view token = LeadingBatchToken(text);
  if (token.empty()) return;
  // Judged as the same value in a whole frame would be.
  std::string whole = "{\"batch\":";
  whole.append(token).append(",\"events\":[]}");
  ParsedFrame probe;
  std::string error = std::move(frame_error);
  ParsedFrame* frame = out;
  if (Parse(whole, now_ms, &probe).ok()) frame->batch_json = std::move(probe.batch_json);
  out = frame;
  frame_error = std::move(error);
}

// Reads the frame's batch into out->batch_json. Returns false on a frame
// error; a batch of the wrong kind leaves *problem set, judged by the caller
// once it knows the object is a batch frame.
bool EventParser::Impl::ReadBatch(ondemand::value& value, std::string* problem) {
  const std::string_view raw = value.raw_json_token();
  if (raw.empty()) return JsonError(simdjson::TAPE_ERROR);
  if (!EndsWell(raw)) return FrameError(kBadFollower);
  const std::string_view token = TrimToken(raw);
  const std::string_view content = StringContent(token);
  if (content.data() != nullptr) {
    if (!json_scalar::HasQuoteOrBackslash(content)) {
      out->batch_json.assign(token);  // already JSON: UTF-8, no control characters
      return true;
    }
    scratch.clear();
    if (!json_scalar::Unescape(content, &scratch)) {
      return FrameError("invalid JSON: bad string escape");
    }
    if (!IsValidUtf8(scratch)) {
      *problem = "batch: invalid UTF-8";
      return true;
    }
    json_scalar::AppendQuoted(scratch, &out->batch_json);
    return true;
  }
  if (!token.empty() && StartsNumber(token[0])) {
    const json_scalar::Number n = json_scalar::ReadNumber(token);
    if (n.kind == json_scalar::NumberKind::kMalformed) {
      return FrameError("invalid JSON: bad number");
    }
    if (n.kind == json_scalar::NumberKind::kInteger) {
      char digits[24];
      const auto end = std::to_chars(digits, digits + sizeof digits, n.value).ptr;
      out->batch_json.assign(digits, end);  // canonical: -0 echoes as 0
      return true;
    }
    *problem = "batch: must be a string or a 64-bit integer";
    return true;
  }
  if (token == "null") return true;  // null: no batch
  if (!SkipValue(value, 2)) return false;
  *problem = "batch: must be a string or a 64-bit integer";
  return true;
}

// For a key that did not match by its raw bytes: if it has escapes, unescape
// it and match again (`"w\u0065ight_g"` is "weight_g"). *match is left as is
// when nothing matches. Returns false (a frame error) on a bad escape.
bool EventParser::Impl::MatchEscapedKey(const char* raw, const std::string_view* names,
                                        size_t count, size_t* match) {
  const std::string_view content = KeyContent(raw);
  if (std::memchr(content.data(), '\\', content.size()) == nullptr) return true;
  scratch.clear();
  if (!json_scalar::Unescape(content, &scratch)) {
    return FrameError("invalid JSON: bad string escape");
  }
  for (size_t i = 0; i < count; ++i) {
    if (scratch == names[i]) *match = i;
  }
  return true;
}

// Checks a value we do not keep as JSON, and its nesting against max_depth
// (`depth` is the depth the value has if it is an array or object).
bool EventParser::Impl::SkipValue(ondemand::value& value, uint32_t depth) {
  const std::string_view token = value.raw_json_token();
  if (token.empty()) return JsonError(simdjson::TAPE_ERROR);
  if (token[0] == '{') {
    if (depth > options.max_depth) return DepthError();
    ondemand::object object;
    if (auto error = value.get_object().get(object)) return JsonError(error);
    for (auto field_result : object) {
      if (auto error = field_result.error()) return JsonError(error);
      ondemand::field& field = field_result.value_unsafe();
      if (!json_scalar::EscapesAreValid(KeyContent(field.key().raw()))) {
        return FrameError("invalid JSON: bad string escape");
      }
      if (!SkipValue(field.value(), depth + 1)) return false;
    }
    return true;
  }
  if (token[0] == '[') {
    if (depth > options.max_depth) return DepthError();
    ondemand::array array;
    if (auto error = value.get_array().get(array)) return JsonError(error);
    for (auto element_result : array) {
      if (auto error = element_result.error()) return JsonError(error);
      ondemand::value& element = element_result.value_unsafe();
      if (!SkipValue(element, depth + 1)) return false;
    }
    return true;
  }
  return (EndsWell(token) || FrameError(kBadFollower)) && SkipScalar(token);
}

bool EventParser::Impl::SkipScalar(std::string_view token) {
  const std::string_view t = TrimToken(token);
  if (!t.empty() && t[0] == '"') {
    const std::string_view content = StringContent(t);
    return (content.data() != nullptr && json_scalar::EscapesAreValid(content)) ||
           FrameError("invalid JSON: bad string escape");
  }
  if (!t.empty() && StartsNumber(t[0])) {
    return json_scalar::ReadNumber(t).kind != json_scalar::NumberKind::kMalformed ||
           FrameError("invalid JSON: bad number");
  }
  return t == "true" || t == "false" || t == "null" || FrameError("invalid JSON: bad value");
}

}  // namespace bangdan
