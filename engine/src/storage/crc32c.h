// CRC32C (Castagnoli), the checksum of log records and snapshots.
//
// Computed with the SSE4.2 crc32 instruction when the CPU has it (checked once
// at run time), else with a table; both give the same values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace bangdan::crc32c {

// The CRC of concat(A, data) where init_crc is the CRC of some string A.
uint32_t Extend(uint32_t init_crc, const char* data, size_t n);

inline uint32_t Value(const char* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(std::string_view s) { return Extend(0, s.data(), s.size()); }

// A CRC stored next to the data it covers is masked, as in leveldb: the CRC
// of a string that itself embeds CRCs is otherwise weak, and a run of zeros
// must not checksum to zero.
inline constexpr uint32_t kMaskDelta = 0xa282ead8u;

inline uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }

inline uint32_t Unmask(uint32_t masked) {
  uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

// True when the hardware path is in use (for tests and benchmarks).
bool HardwareAccelerated();
// The table path, always available (tests compare it with the hardware one).
uint32_t ExtendPortable(uint32_t init_crc, const char* data, size_t n);

}  // namespace bangdan::crc32c
