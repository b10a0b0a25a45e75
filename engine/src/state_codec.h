// The engine's state as bytes: shared by StateWriter (state_writer.cpp) and
// Engine::Deserialize (engine_serialize.cpp).
//
// Little-endian, fixed-width fields, in this order (docs/engine.md has the
// grammar and why):
//   "BDENGINE" u32 version (3)
//   i32 tz_offset_minutes  i32 keep_days  i64 dedup_window_ms  u64 dedup_max
//   u64 begin_seq  u64 end_seq  u8 has_clock  i64 clock_ms
//   5 × u32 name count                         per dimension
//   u64 n  u64 front_seq  n × (u64 lo, u64 hi)                dedup FIFO
//   u64 runs  runs × (u64 first_seq, i64 recv_ms)             its receive times
//   window "total", u32 days, days × (i32 day, window)
//   5 × (count × (u32 len, bytes))             interned names, in id order
// window := i64 weight_g i64 amount_fen i64 orders u64 events u64 last_seq
//           10 × (u32 n, n × ([u32 scope] u32 entity 3×i64 value 3×u64 seq))
// Versions 1 and 2 (read, no longer written) had n × (u64 lo, u64 hi, i64
// recv_ms) for the FIFO and no runs; version 1 also had no end_seq, and the
// names, each dimension with its count, right after the header.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bangdan::state_codec {

constexpr char kMagic[8] = {'B', 'D', 'E', 'N', 'G', 'I', 'N', 'E'};
constexpr uint32_t kVersion = 3;

// The receive times a state may hold (its clock, the dedup window's), and so
// a logged event too, as its receive time becomes the clock: years 0 to 9999
// (UTC). Wider than any clock; narrow enough that the day arithmetic (DayOf,
// today minus keep_days) cannot overflow on a corrupt value.
constexpr int64_t kMinTimeMs = -62'167'219'200'000;  // 0000-01-01T00:00:00Z
constexpr int64_t kMaxTimeMs = 253'402'300'799'999;  // 9999-12-31T23:59:59.999Z
inline bool IsTimeInRange(int64_t ms) { return ms >= kMinTimeMs && ms <= kMaxTimeMs; }

// The n-byte little-endian integer at p.
inline uint64_t LoadLittleEndian(const char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= uint64_t{static_cast<uint8_t>(p[i])} << (8 * i);
  return v;
}

// Appends to memory in chunks: growing never copies what is written (a copy
// of hundreds of MiB would stall the step that grows it), and Reserve() can
// allocate and touch the chunks ahead, outside the engine's lock, so that a
// step takes no page fault. The first chunk may be sized to the whole state
// (a write in one step): Take() then hands it over without a copy. Fields
// written earlier can be patched by position.
class Writer {
 public:
  static constexpr size_t kChunk = size_t{8} << 20;

  explicit Writer(size_t first_chunk = kChunk) : first_(std::max<size_t>(first_chunk, 64)) {}

  size_t pos() const { return pos_; }
  void U8(uint8_t v) { Fixed(v, 1); }
  void U32(uint32_t v) { Fixed(v, 4); }
  void U64(uint64_t v) { Fixed(v, 8); }
  void I32(int32_t v) { Fixed(static_cast<uint32_t>(v), 4); }
  void I64(int64_t v) { Fixed(static_cast<uint64_t>(v), 8); }
  void Bytes(std::string_view s) {
    Put(pos_, s.data(), s.size());
    pos_ += s.size();
  }
  // Overwrites a field written at `at`.
  void PatchU32(size_t at, uint32_t v) { Store(at, v, 4); }
  void PatchU64(size_t at, uint64_t v) { Store(at, v, 8); }
  // Forgets everything written from `pos` on.
  void Truncate(size_t pos) { pos_ = pos; }
  // Allocates and touches (zero-fills) the memory for `bytes` more.
  void Reserve(size_t bytes) {
    while (capacity() < pos_ + bytes) AddChunk();
  }
  // What is written, chunk by chunk; valid until the next write.
  std::vector<std::string_view> Pieces() const {
    std::vector<std::string_view> out;
    for (size_t c = 0, at = 0; at < pos_; at += chunks_[c].size(), ++c) {
      out.emplace_back(chunks_[c].data(), std::min(chunks_[c].size(), pos_ - at));
    }
    return out;
  }
  std::string Take() {
    std::string out;
    if (pos_ <= first_ && !chunks_.empty()) {
      out = std::move(chunks_[0]);
      out.resize(pos_);
    } else {
      out.reserve(pos_);
      for (std::string_view piece : Pieces()) out.append(piece);
    }
    chunks_.clear();
    pos_ = fast_begin_ = fast_end_ = 0;
    fast_ = nullptr;
    return out;
  }

 private:
  size_t capacity() const {
    return chunks_.empty() ? 0 : first_ + (chunks_.size() - 1) * kChunk;
  }
  void AddChunk() { chunks_.emplace_back(chunks_.empty() ? first_ : kChunk, '\0'); }
  // The chunk holding byte `at`, and the offset in it. REQUIRES: at < capacity().
  std::pair<size_t, size_t> Locate(size_t at) const {
    if (at < first_) return {0, at};
    return {1 + (at - first_) / kChunk, (at - first_) % kChunk};
  }
  void Put(size_t at, const char* p, size_t n) {
    while (capacity() < at + n) AddChunk();
    while (n > 0) {
      const auto [c, off] = Locate(at);
      const size_t k = std::min(n, chunks_[c].size() - off);
      std::memcpy(chunks_[c].data() + off, p, k);
      at += k;
      p += k;
      n -= k;
    }
  }
  void Store(size_t at, uint64_t v, int n) {
    char buf[8];
    for (int i = 0; i < n; ++i) buf[i] = static_cast<char>(v >> (8 * i));
    if (at + static_cast<size_t>(n) <= capacity()) {
      const auto [c, off] = Locate(at);
      if (off + static_cast<size_t>(n) <= chunks_[c].size()) {  // within one chunk
        std::memcpy(chunks_[c].data() + off, buf, static_cast<size_t>(n));
        return;
      }
    }
    Put(at, buf, static_cast<size_t>(n));
  }
  void Fixed(uint64_t v, int n) {
    const size_t len = static_cast<size_t>(n);
    if (pos_ >= fast_begin_ && pos_ + len <= fast_end_) {
      // Within the chunk written last: one store, no search (the common case).
      char* p = fast_ + (pos_ - fast_begin_);
      for (int i = 0; i < n; ++i) p[i] = static_cast<char>(v >> (8 * i));
    } else {
      Store(pos_, v, n);
      const auto [c, off] = Locate(pos_);
      fast_ = chunks_[c].data();
      fast_begin_ = pos_ - off;
      fast_end_ = fast_begin_ + chunks_[c].size();
    }
    pos_ += len;
  }
  size_t first_;
  std::vector<std::string> chunks_;
  size_t pos_ = 0;
  // The chunk Fixed() wrote to last: bytes [fast_begin_, fast_end_) at fast_.
  char* fast_ = nullptr;
  size_t fast_begin_ = 0;
  size_t fast_end_ = 0;
};

}  // namespace bangdan::state_codec
