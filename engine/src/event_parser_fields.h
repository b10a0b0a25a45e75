// The fields of an event (SPEC §1) and the words of their rejections, shared
// by the parser and ValidateEvent so that both say the same thing.
#pragma once

#include <array>
#include <bit>
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

enum class FieldKind : uint8_t { kString, kAmount, kTs, kBool };

// How to read each field, indexed by Field.
struct FieldSpec {
  FieldKind kind;
  int64_t max;                        // bytes (strings) or value (amounts)
  std::string_view Event::*text;      // kString
  int64_t Event::*number;             // kAmount
};

inline constexpr FieldSpec kFieldSpecs[kFieldCount] = {
    {FieldKind::kString, kMaxIdBytes, &Event::id, nullptr},
    {FieldKind::kString, kMaxCityBytes, &Event::city, nullptr},
    {FieldKind::kString, kMaxNameBytes, &Event::firm, nullptr},
    {FieldKind::kString, kMaxNameBytes, &Event::team, nullptr},
    {FieldKind::kString, kMaxNameBytes, &Event::user, nullptr},
    {FieldKind::kString, kMaxNameBytes, &Event::product, nullptr},
    {FieldKind::kAmount, kMaxWeightG, nullptr, &Event::weight_g},
    {FieldKind::kAmount, kMaxAmountFen, nullptr, &Event::amount_fen},
    {FieldKind::kTs, 0, nullptr, nullptr},
    {FieldKind::kBool, 0, nullptr, nullptr},
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

// Known keys, found without branching on their spelling: the first two bytes
// of every field name differ in their XOR's low five bits, which index a
// 32-slot table; the slot's name (with its closing quote) is then compared
// as two masked 8-byte words. Little-endian: byte 0 is the low byte.
struct KeyPattern {
  uint64_t word[2] = {1, 0};  // an empty slot: never equal under a zero mask
  uint64_t mask[2] = {0, 0};
  Field field = Field::kUnknown;
};

constexpr unsigned KeySlot(unsigned char a, unsigned char b) { return (a ^ b) & 31u; }

constexpr std::array<KeyPattern, 32> BuildKeyTable() {
  std::array<KeyPattern, 32> table{};
  for (size_t f = 0; f < kFieldCount; ++f) {
    const std::string_view name = kFieldNames[f];
    KeyPattern k;
    k.word[0] = k.word[1] = 0;
    for (size_t i = 0; i <= name.size(); ++i) {  // the name, then its closing quote
      const uint64_t byte = i < name.size() ? static_cast<unsigned char>(name[i]) : '"';
      k.word[i / 8] |= byte << (8 * (i % 8));
      k.mask[i / 8] |= uint64_t{0xFF} << (8 * (i % 8));
    }
    k.field = static_cast<Field>(f);
    table[KeySlot(static_cast<unsigned char>(name[0]), static_cast<unsigned char>(name[1]))] = k;
  }
  return table;
}

inline constexpr std::array<KeyPattern, 32> kKeyTable = BuildKeyTable();

constexpr bool KeyTableHasEveryField() {
  for (size_t f = 0; f < kFieldCount; ++f) {
    const std::string_view name = kFieldNames[f];
    const auto slot = KeySlot(static_cast<unsigned char>(name[0]), static_cast<unsigned char>(name[1]));
    if (kKeyTable[slot].field != static_cast<Field>(f)) return false;  // two names share a slot
  }
  return true;
}
static_assert(KeyTableHasEveryField());
static_assert(std::endian::native == std::endian::little);

// Matches a key by its raw bytes (`raw` points after the opening quote).
// REQUIRES: 16 bytes readable at raw (a padded simdjson input guarantees it).
// A key spelled with escapes does not match here.
inline Field MatchFieldKey(const char* raw) {
  const KeyPattern& k =
      kKeyTable[KeySlot(static_cast<unsigned char>(raw[0]), static_cast<unsigned char>(raw[1]))];
  uint64_t w0, w1;
  std::memcpy(&w0, raw, 8);
  std::memcpy(&w1, raw + 8, 8);
  if (((w0 & k.mask[0]) ^ k.word[0]) | ((w1 & k.mask[1]) ^ k.word[1])) return Field::kUnknown;
  return k.field;
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
