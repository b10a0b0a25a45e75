// The engine's state as bytes: shared by StateWriter (state_writer.cpp) and
// Engine::Deserialize (engine_serialize.cpp).
//
// Little-endian, fixed-width fields, in this order (docs/engine.md has the
// grammar and why):
//   "BDENGINE" u32 version (2)
//   i32 tz_offset_minutes  i32 keep_days  i64 dedup_window_ms  u64 dedup_max
//   u64 begin_seq  u64 end_seq  u8 has_clock  i64 clock_ms
//   5 × u32 name count                         per dimension
//   u64 n  u64 front_seq  n × (u64 lo, u64 hi, i64 recv_ms)   dedup FIFO
//   window "total", u32 days, days × (i32 day, window)
//   5 × (count × (u32 len, bytes))             interned names, in id order
// window := i64 weight_g i64 amount_fen i64 orders u64 events u64 last_seq
//           10 × (u32 n, n × ([u32 scope] u32 entity 3×i64 value 3×u64 seq))
// Version 1 (read, no longer written) had no end_seq and the names, each
// dimension with its count, right after the header.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace bangdan::state_codec {

constexpr char kMagic[8] = {'B', 'D', 'E', 'N', 'G', 'I', 'N', 'E'};
constexpr uint32_t kVersion = 2;

// The n-byte little-endian integer at p.
inline uint64_t LoadLittleEndian(const char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= uint64_t{static_cast<uint8_t>(p[i])} << (8 * i);
  return v;
}

// Appends to a string whose size runs ahead of what is written (grown in
// doubling steps, trimmed by Take), so that each field is one store rather
// than one append; fields written earlier can be patched by position.
class Writer {
 public:
  explicit Writer(size_t expected) { out_.resize(expected); }
  size_t pos() const { return pos_; }
  void U8(uint8_t v) { Fixed(v, 1); }
  void U32(uint32_t v) { Fixed(v, 4); }
  void U64(uint64_t v) { Fixed(v, 8); }
  void I32(int32_t v) { Fixed(static_cast<uint32_t>(v), 4); }
  void I64(int64_t v) { Fixed(static_cast<uint64_t>(v), 8); }
  void Bytes(std::string_view s) {
    Reserve(s.size());
    std::memcpy(out_.data() + pos_, s.data(), s.size());
    pos_ += s.size();
  }
  // Overwrites a field written at `at`.
  void PatchU32(size_t at, uint32_t v) { Store(at, v, 4); }
  void PatchU64(size_t at, uint64_t v) { Store(at, v, 8); }
  // Forgets everything written from `pos` on.
  void Truncate(size_t pos) { pos_ = pos; }
  std::string Take() {
    out_.resize(pos_);
    return std::move(out_);
  }

 private:
  void Reserve(size_t n) {
    if (out_.size() - pos_ < n) out_.resize(2 * out_.size() + n);
  }
  void Store(size_t at, uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_[at + i] = static_cast<char>(v >> (8 * i));
  }
  void Fixed(uint64_t v, int n) {
    Reserve(8);
    Store(pos_, v, n);
    pos_ += static_cast<size_t>(n);
  }
  std::string out_;
  size_t pos_ = 0;
};

}  // namespace bangdan::state_codec
