// The fields of an event (SPEC §1) and the words of their rejections, shared
// by the parser and ValidateEvent so that both say the same thing.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "bangdan/event.h"

namespace bangdan {

enum class Field : uint32_t {
  kId, kCity, kFirm, kTeam, kUser, kProduct, kWeightG, kAmountFen, kTs, kRefund,
  kUnknown,
};
inline constexpr size_t kFieldCount = static_cast<size_t>(Field::kUnknown);

// Indexed by Field.
inline constexpr std::string_view kFieldNames[kFieldCount] = {
    "id", "city", "firm", "team", "user", "product", "weight_g", "amount_fen", "ts", "refund",
};

constexpr uint32_t FieldBit(Field f) { return 1u << static_cast<uint32_t>(f); }

inline constexpr uint32_t kRequiredFields = FieldBit(Field::kId) | FieldBit(Field::kCity) |
                                            FieldBit(Field::kFirm) | FieldBit(Field::kWeightG) |
                                            FieldBit(Field::kAmountFen);

// What is wrong with one field of one event.
enum class Problem {
  kNone,
  kAbsent,     // null: fine when optional, "required" when not
  kRequired,   // missing or null
  kBadValue,   // wrong type, out of range or of the wrong length
  kBadUtf8,    // a string that is not UTF-8 once unescaped
  kDuplicate,  // the field appears twice in one event
  kTooEarly,   // ts before 2000-01-01
  kTooLate,    // ts more than 24 h after the receive time
  kNotJson,    // not a rejection: the frame is not JSON (the parser's error)
};

// The first required field missing from `present`, in the table's order.
inline Field FirstMissing(uint32_t present) {
  for (uint32_t i = 0; i < kFieldCount; ++i) {
    const uint32_t bit = 1u << i;
    if ((kRequiredFields & bit) && !(present & bit)) return static_cast<Field>(i);
  }
  return Field::kUnknown;
}

// Matches a key by its raw bytes (`raw` points after the opening quote; the
// bytes after the key are readable, as they are in a padded simdjson input).
// A key spelled with escapes does not match here.
inline Field MatchFieldKey(const char* raw) {
  auto is = [raw](std::string_view name) {
    return std::memcmp(raw, name.data(), name.size()) == 0 && raw[name.size()] == '"';
  };
  switch (raw[0]) {
    case 'i': return is("id") ? Field::kId : Field::kUnknown;
    case 'c': return is("city") ? Field::kCity : Field::kUnknown;
    case 'f': return is("firm") ? Field::kFirm : Field::kUnknown;
    case 't': return is("ts") ? Field::kTs : is("team") ? Field::kTeam : Field::kUnknown;
    case 'u': return is("user") ? Field::kUser : Field::kUnknown;
    case 'p': return is("product") ? Field::kProduct : Field::kUnknown;
    case 'w': return is("weight_g") ? Field::kWeightG : Field::kUnknown;
    case 'a': return is("amount_fen") ? Field::kAmountFen : Field::kUnknown;
    case 'r': return is("refund") ? Field::kRefund : Field::kUnknown;
    default: return Field::kUnknown;
  }
}

// "<field>: <reason>", e.g. "weight_g: must be an integer from 0 to 1000000000".
inline std::string ProblemMessage(Field field, Problem problem) {
  std::string m(kFieldNames[static_cast<size_t>(field)]);
  switch (problem) {
    case Problem::kRequired: return m + ": required";
    case Problem::kBadUtf8: return m + ": invalid UTF-8";
    case Problem::kDuplicate: return m + ": duplicate field";
    case Problem::kTooEarly: return m + ": before 2000-01-01T00:00:00Z";
    case Problem::kTooLate: return m + ": more than 24 h in the future";
    case Problem::kBadValue: break;
    case Problem::kNone: case Problem::kAbsent: case Problem::kNotJson: return m;
  }
  switch (field) {
    case Field::kCity: return m + ": must be a string of 1 to 64 bytes";
    case Field::kWeightG: return m + ": must be an integer from 0 to 1000000000";
    case Field::kAmountFen: return m + ": must be an integer from 0 to 1000000000000";
    case Field::kTs: return m + ": must be an integer (ms since the Unix epoch)";
    case Field::kRefund: return m + ": must be true or false";
    default: return m + ": must be a string of 1 to 128 bytes";
  }
}

static_assert(kMaxCityBytes == 64 && kMaxIdBytes == 128 && kMaxNameBytes == 128 &&
                  kMaxWeightG == 1'000'000'000 && kMaxAmountFen == 1'000'000'000'000,
              "ProblemMessage spells these limits out");

}  // namespace bangdan
