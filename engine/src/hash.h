// Hash64: a fast, deterministic 64-bit string hash for the engine's tables.
//
// Built like wyhash: 8-byte reads folded pairwise through a 64×64→128-bit
// multiply ("mum") whose two halves are xored together, which mixes every
// input bit into every output bit in a few cycles. The seed is a parameter so
// that dedup can draw two independent 64-bit hashes (a 128-bit fingerprint)
// from one function. No random seed: the same bytes hash the same in every
// process, which keeps the tables' layout — and so the engine — deterministic.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace bangdan {

namespace hash_internal {

inline uint64_t Mum(uint64_t a, uint64_t b) {
  unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

inline uint64_t Read64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;  // little-endian machines only; the hash never leaves the process
}

inline uint64_t Read32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

inline constexpr uint64_t kP0 = 0xa0761d6478bd642full;
inline constexpr uint64_t kP1 = 0xe7037ed1a0b428dbull;
inline constexpr uint64_t kP2 = 0x8ebc6af09c88c6e3ull;
inline constexpr uint64_t kP3 = 0x589965cc75374cc3ull;

}  // namespace hash_internal

inline uint64_t Hash64(std::string_view s, uint64_t seed = 0) {
  using namespace hash_internal;
  const char* p = s.data();
  size_t n = s.size();
  uint64_t h = seed ^ Mum(seed ^ kP0, kP1) ^ n;
  uint64_t a, b;
  if (n <= 16) {
    if (n >= 4) {
      // Two overlapping 4-byte reads from each end cover 4…16 bytes.
      a = (Read32(p) << 32) | Read32(p + ((n >> 3) << 2));
      b = (Read32(p + n - 4) << 32) | Read32(p + n - 4 - ((n >> 3) << 2));
    } else if (n > 0) {
      a = (static_cast<uint64_t>(static_cast<uint8_t>(p[0])) << 16) |
          (static_cast<uint64_t>(static_cast<uint8_t>(p[n >> 1])) << 8) |
          static_cast<uint8_t>(p[n - 1]);
      b = 0;
    } else {
      a = b = 0;
    }
  } else {
    size_t i = n;
    while (i > 16) {
      h = Mum(Read64(p) ^ kP1, Read64(p + 8) ^ h);
      p += 16;
      i -= 16;
    }
    a = Read64(p + i - 16);
    b = Read64(p + i - 8);
  }
  return Mum(kP1 ^ n, Mum(a ^ kP1, b ^ h) ^ kP2) ^ kP3;
}

// Mixes a 64-bit integer key (for tables keyed by ids).
inline uint64_t HashInt(uint64_t x) {
  return hash_internal::Mum(x ^ hash_internal::kP0, hash_internal::kP1 ^ 0x9e3779b97f4a7c15ull);
}

// A 128-bit print of a key's names: what replay's sums (replay_sums.h) and
// live apply's key caches (key_cache.h) find keys by instead of their ids.
// Two Hash64 of the same bytes with independent seeds; two keys taken for one
// need both to collide, about n² / 2^129 for n keys.
struct Print128 {
  uint64_t lo;  // also places it in a table
  uint64_t hi;
  bool operator==(const Print128&) const = default;
};

// The seeds of prints. Drawn from the clock and an address (DrawPrintSeeds),
// so that nobody outside can make names print alike; a print never leaves
// the process, and what is built with it does not depend on the seeds.
struct PrintSeeds {
  uint64_t lo;
  uint64_t hi;
};
inline PrintSeeds DrawPrintSeeds(const void* where) {
  const uint64_t now =
      static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  const uint64_t at = reinterpret_cast<uintptr_t>(where);
  return PrintSeeds{HashInt(now ^ HashInt(at)), HashInt(at ^ HashInt(now + 1))};
}

}  // namespace bangdan
