// Little-endian fixed-width integers: decoding must run at millions of
// records per second on replay, and a fixed layout is a handful of loads.
#include "storage/record_codec.h"

#include <bit>
#include <cstring>
#include <tuple>
#include <utility>

#include "state_codec.h"

namespace bangdan::log {
namespace {

constexpr uint8_t kFlagHasTs = 1;
constexpr uint8_t kFlagRefund = 2;

void PutFixed64(char* p, uint64_t v) {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(p, &v, 8);
  } else {
    for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));
  }
}

uint64_t GetFixed64(const char* p) {
  uint64_t v = 0;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(&v, p, 8);
  } else {
    for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  }
  return v;
}

// Only valid events are logged (ValidateEvent), so a record that holds
// another was not written by a Wal, and the engine must not see it: it takes
// an empty string for an absent name, which a required one cannot be (an
// absent city would be entity 2^32 - 1, and the city board would grow to hold
// it), its sums rely on the values' bounds not to overflow, and its day
// arithmetic on the times' (state_codec.h: a receive time becomes the clock).
Status CheckLoggable(const Event& e, int64_t recv_ms) {
  const std::pair<const char*, std::string_view> required[] = {
      {"id", e.id}, {"city", e.city}, {"firm", e.firm}};
  for (const auto& [name, value] : required) {
    if (value.empty()) return Status::Corruption(std::string("event record with an empty ") + name);
  }
  // Longer than §1 allows: not written by a Wal (ValidateEvent bounds them).
  const std::tuple<const char*, std::string_view, size_t> bounded[] = {
      {"id", e.id, kMaxIdBytes},       {"city", e.city, kMaxCityBytes},
      {"firm", e.firm, kMaxNameBytes}, {"team", e.team, kMaxNameBytes},
      {"user", e.user, kMaxNameBytes}, {"product", e.product, kMaxNameBytes}};
  for (const auto& [name, value, most] : bounded) {
    if (value.size() > most) {
      return Status::Corruption("event record with a " + std::to_string(value.size()) + "-byte " +
                                name + " (at most " + std::to_string(most) + ")");
    }
  }
  if (e.weight_g < 0 || e.weight_g > kMaxWeightG) {
    return Status::Corruption("event record with weight_g " + std::to_string(e.weight_g) +
                              " out of range");
  }
  if (e.amount_fen < 0 || e.amount_fen > kMaxAmountFen) {
    return Status::Corruption("event record with amount_fen " + std::to_string(e.amount_fen) +
                              " out of range");
  }
  if (!state_codec::IsTimeInRange(recv_ms)) {
    return Status::Corruption("event record with recv_ms " + std::to_string(recv_ms) +
                              " out of range");
  }
  if (e.has_ts && !state_codec::IsTimeInRange(e.ts_ms)) {
    return Status::Corruption("event record with ts_ms " + std::to_string(e.ts_ms) +
                              " out of range");
  }
  return Status::OK();
}

}  // namespace

void EncodeEvent(const Event& e, uint64_t seq, int64_t recv_ms, std::string* out) {
  const std::string_view strings[6] = {e.id, e.city, e.firm, e.team, e.user, e.product};
  size_t total = kEventHeaderSize;
  for (auto s : strings) total += s.size();
  const size_t base = out->size();
  out->resize(base + total);
  char* p = out->data() + base;
  p[0] = static_cast<char>(kEventRecordV1);
  p[1] = static_cast<char>((e.has_ts ? kFlagHasTs : 0) | (e.refund ? kFlagRefund : 0));
  PutFixed64(p + 2, seq);
  PutFixed64(p + 10, static_cast<uint64_t>(recv_ms));
  PutFixed64(p + 18, static_cast<uint64_t>(e.has_ts ? e.ts_ms : 0));
  PutFixed64(p + 26, static_cast<uint64_t>(e.weight_g));
  PutFixed64(p + 34, static_cast<uint64_t>(e.amount_fen));
  char* q = p + kEventHeaderSize;
  for (int i = 0; i < 6; ++i) {
    p[42 + i] = static_cast<char>(static_cast<uint8_t>(strings[i].size()));
    // An absent string may be a null view: memcpy from null is undefined
    // even for zero bytes.
    if (!strings[i].empty()) std::memcpy(q, strings[i].data(), strings[i].size());
    q += strings[i].size();
  }
}

Status DecodeEvent(std::string_view record, Event* e, uint64_t* seq, int64_t* recv_ms) {
  if (record.size() < kEventHeaderSize) {
    return Status::Corruption("event record of " + std::to_string(record.size()) +
                              " bytes is shorter than its header");
  }
  const char* p = record.data();
  if (static_cast<uint8_t>(p[0]) != kEventRecordV1) {
    return Status::Corruption("unknown record kind " +
                              std::to_string(static_cast<uint8_t>(p[0])));
  }
  const auto flags = static_cast<uint8_t>(p[1]);
  if ((flags & ~(kFlagHasTs | kFlagRefund)) != 0) {
    return Status::Corruption("unknown event flags " + std::to_string(flags));
  }
  size_t total = kEventHeaderSize;
  for (int i = 0; i < 6; ++i) total += static_cast<uint8_t>(p[42 + i]);
  if (total != record.size()) {
    return Status::Corruption("event record lengths add up to " + std::to_string(total) +
                              " bytes, record has " + std::to_string(record.size()));
  }
  *seq = GetFixed64(p + 2);
  *recv_ms = static_cast<int64_t>(GetFixed64(p + 10));
  e->has_ts = (flags & kFlagHasTs) != 0;
  e->refund = (flags & kFlagRefund) != 0;
  e->ts_ms = static_cast<int64_t>(GetFixed64(p + 18));
  e->weight_g = static_cast<int64_t>(GetFixed64(p + 26));
  e->amount_fen = static_cast<int64_t>(GetFixed64(p + 34));
  std::string_view* fields[6] = {&e->id, &e->city, &e->firm, &e->team, &e->user, &e->product};
  const char* q = p + kEventHeaderSize;
  for (int i = 0; i < 6; ++i) {
    const size_t n = static_cast<uint8_t>(p[42 + i]);
    *fields[i] = std::string_view(q, n);
    q += n;
  }
  return CheckLoggable(*e, *recv_ms);
}

}  // namespace bangdan::log
