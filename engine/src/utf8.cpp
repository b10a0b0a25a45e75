// IsValidUtf8: the well-formed byte sequences of Unicode 15, Table 3-7.
//
// The parser relies on simdjson to validate a frame's raw bytes; this check
// is for bytes that did not come straight from a validated frame: strings
// rebuilt from escapes (a lone "\udcff" would become ED B3 BF, a surrogate)
// and events built by hand. Most strings here are short and many are ASCII
// ids, so ASCII runs are skipped eight bytes at a time and the rest is a
// plain table-free decoder: simple enough to check by reading it.
#include <cstdint>
#include <cstring>
#include <string_view>

#include "bangdan/event_parser.h"

namespace bangdan {

namespace {

constexpr uint64_t kHighBits = 0x8080808080808080ULL;

bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

}  // namespace

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const unsigned char* const end = p + s.size();
  while (p < end) {
    if (end - p >= 8) {
      uint64_t block;
      std::memcpy(&block, p, 8);
      if ((block & kHighBits) == 0) {
        p += 8;
        continue;
      }
    }
    const unsigned char lead = *p;
    if (lead < 0x80) {
      ++p;
      continue;
    }
    // The lead byte fixes the length and the allowed range of the second
    // byte; the narrowed ranges are what exclude overlongs (E0, F0),
    // surrogates (ED) and code points above U+10FFFF (F4).
    int length;
    unsigned char lo = 0x80, hi = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) lo = 0xA0;
      if (lead == 0xED) hi = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) lo = 0x90;
      if (lead == 0xF4) hi = 0x8F;
    } else {
      return false;  // a continuation byte, C0/C1 (overlong) or F5..FF
    }
    if (end - p < length) return false;
    if (p[1] < lo || p[1] > hi) return false;
    for (int i = 2; i < length; ++i) {
      if (!IsContinuation(p[i])) return false;
    }
    p += length;
  }
  return true;
}

}  // namespace bangdan
