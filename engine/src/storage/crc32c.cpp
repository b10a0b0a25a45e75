// CRC32C: a byte-at-a-time table for any CPU, the SSE4.2 instruction on x86.
//
// The table path is kept simple: it runs only on CPUs without SSE4.2, which
// servers of this decade do not include. The hardware path does 8 bytes per
// instruction. One chain of crc32 instructions waits for each result (3
// cycles) before the next; a snapshot of hundreds of MB, checked before it
// loads, spent 15 % of its load there. So long inputs run three independent
// chains over three adjacent stripes and join them (see Shift).
#include "storage/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <nmmintrin.h>
#define BANGDAN_CRC32C_X86 1
#endif

namespace bangdan::crc32c {
namespace {

constexpr uint32_t kPolynomial = 0x82f63b78u;  // reflected Castagnoli

constexpr std::array<uint32_t, 256> MakeTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ ((crc & 1) ? kPolynomial : 0);
    table[i] = crc;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kTable = MakeTable();

// The CRC register after a run of kStripe zero bytes, as a function of the
// register before it: the "shift" that moves a stripe's CRC past the stripes
// after it. Without the pre- and post-inversion the register's update is
// linear over GF(2) in (register, data) jointly, so
//   raw(c, A ‖ B) = Shift(raw(c, A)) ⊕ raw(0, B)   for |B| = kStripe,
// and Shift itself is linear in c: four tables of 256, one per byte of c,
// built from the shifts of the 32 single bits.
constexpr size_t kStripe = 4096;

struct ShiftTables {
  uint32_t byte[4][256];
};

ShiftTables MakeShiftTables() {
  uint32_t bit[32];
  for (int i = 0; i < 32; ++i) {
    uint32_t crc = uint32_t{1} << i;
    for (size_t k = 0; k < kStripe; ++k) crc = kTable[crc & 0xff] ^ (crc >> 8);
    bit[i] = crc;
  }
  ShiftTables t{};
  for (int b = 0; b < 4; ++b) {
    for (uint32_t v = 0; v < 256; ++v) {
      uint32_t x = 0;
      for (int j = 0; j < 8; ++j) {
        if (v & (1u << j)) x ^= bit[8 * b + j];
      }
      t.byte[b][v] = x;
    }
  }
  return t;
}

const ShiftTables& TheShiftTables() {
  static const ShiftTables tables = MakeShiftTables();
  return tables;
}

inline uint32_t Shift(const ShiftTables& t, uint32_t crc) {
  return t.byte[0][crc & 0xff] ^ t.byte[1][(crc >> 8) & 0xff] ^ t.byte[2][(crc >> 16) & 0xff] ^
         t.byte[3][crc >> 24];
}

#ifdef BANGDAN_CRC32C_X86
__attribute__((target("sse4.2"))) uint32_t ExtendSse42(uint32_t init_crc, const char* data,
                                                       size_t n) {
  uint64_t crc = init_crc ^ 0xffffffffu;
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    crc = _mm_crc32_u8(static_cast<uint32_t>(crc), *p++);
    --n;
  }
  if (n >= 3 * kStripe) {
    // Three chains in flight; joining them costs two table shifts per
    // 12 KiB, against ~1,500 crc32 instructions.
    const ShiftTables& t = TheShiftTables();
    while (n >= 3 * kStripe) {
      uint64_t a = crc, b = 0, c = 0;
      for (size_t i = 0; i < kStripe; i += 8) {
        uint64_t wa, wb, wc;
        std::memcpy(&wa, p + i, 8);
        std::memcpy(&wb, p + kStripe + i, 8);
        std::memcpy(&wc, p + 2 * kStripe + i, 8);
        a = _mm_crc32_u64(a, wa);
        b = _mm_crc32_u64(b, wb);
        c = _mm_crc32_u64(c, wc);
      }
      const uint32_t ab = Shift(t, static_cast<uint32_t>(a)) ^ static_cast<uint32_t>(b);
      crc = Shift(t, ab) ^ static_cast<uint32_t>(c);
      p += 3 * kStripe;
      n -= 3 * kStripe;
    }
  }
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    crc = _mm_crc32_u64(crc, word);
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    crc = _mm_crc32_u8(static_cast<uint32_t>(crc), *p++);
    --n;
  }
  return static_cast<uint32_t>(crc) ^ 0xffffffffu;
}

bool CpuHasSse42() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return false;
  return (ecx & bit_SSE4_2) != 0;
}
#endif

using ExtendFn = uint32_t (*)(uint32_t, const char*, size_t);

ExtendFn ChooseExtend() {
#ifdef BANGDAN_CRC32C_X86
  if (CpuHasSse42()) return &ExtendSse42;
#endif
  return &ExtendPortable;
}

// Chosen once; a function-local static is initialised thread-safely.
ExtendFn TheExtend() {
  static const ExtendFn fn = ChooseExtend();
  return fn;
}

}  // namespace

uint32_t ExtendPortable(uint32_t init_crc, const char* data, size_t n) {
  uint32_t crc = init_crc ^ 0xffffffffu;
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) crc = kTable[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return crc ^ 0xffffffffu;
}

uint32_t Extend(uint32_t init_crc, const char* data, size_t n) {
  return TheExtend()(init_crc, data, n);
}

bool HardwareAccelerated() { return TheExtend() != &ExtendPortable; }

}  // namespace bangdan::crc32c
