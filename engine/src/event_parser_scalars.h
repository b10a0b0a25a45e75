// JSON scalars read from raw tokens, for the event parser.
//
// The parser takes structure (objects, arrays, keys) from simdjson On-Demand
// but reads scalars itself from the raw token text. simdjson's getters fold
// two different failures into one error: `5.0` (valid JSON, not an integer:
// the event is rejected) and `01` (not JSON: the frame is refused), and a lone
// surrogate escape (valid JSON grammar: the event is rejected naming the
// field) and `\x` (not JSON). Reading the token ourselves keeps those apart.
//
// All functions take tokens that simdjson's stage 1 has already checked for
// UTF-8, unescaped control characters and closing quotes.
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace bangdan::json_scalar {

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

inline bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// A raw token runs up to the next structural character, so it may carry
// trailing whitespace ("5 " in "[5 ,6]").
inline std::string_view TrimToken(std::string_view token) {
  while (!token.empty() && IsJsonSpace(token.back())) token.remove_suffix(1);
  return token;
}

enum class NumberKind {
  kInteger,     // fits int64; `value` holds it (-0 reads as 0)
  kOutOfRange,  // an integer beyond int64
  kFraction,    // valid JSON with a fraction or exponent: 5.0, 5e3
  kMalformed,   // not a JSON number: 01, 1., -, 5x
};

struct Number {
  NumberKind kind;
  int64_t value;
};

// True if the eight bytes of `word` (little-endian) are all ASCII digits.
inline bool IsEightDigits(uint64_t word) {
  return ((word & 0xF0F0F0F0F0F0F0F0ULL) |
          (((word + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL) >> 4)) ==
         0x3333333333333333ULL;
}

// The value of eight ASCII digits, most significant first (little-endian
// load): three multiply rounds instead of eight.
inline uint64_t ParseEightDigits(uint64_t word) {
  constexpr uint64_t kMask = 0x000000FF000000FFULL;
  constexpr uint64_t kMul1 = 0x000F424000000064ULL;  // 100 + (1000000 << 32)
  constexpr uint64_t kMul2 = 0x0000271000000001ULL;  // 1 + (10000 << 32)
  word -= 0x3030303030303030ULL;
  word = (word * 10) + (word >> 8);
  word = (((word & kMask) * kMul1) + (((word >> 16) & kMask) * kMul2)) >> 32;
  return word;
}

// For 1 to 16 bytes at p: true, and their value, if all are ASCII digits.
// REQUIRES: 16 bytes readable at p (the padded input).
inline bool ReadShortDigits(const char* p, size_t len, uint64_t* value) {
  constexpr uint64_t kZeros = 0x3030303030303030ULL;
  constexpr uint64_t kPow10[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
  // The last `n` (1..8) bytes of a number's digits at q, as eight digits
  // with leading '0's: shifted up to the word's high end, zeros below.
  auto eight = [kZeros](const char* q, size_t n) {
    uint64_t w;
    std::memcpy(&w, q, 8);
    return n == 8 ? w : (w << (8 * (8 - n))) | (kZeros >> (8 * n));
  };
  if (len == 0 || len > 16) return false;
  if (len <= 8) {
    const uint64_t w = eight(p, len);
    if (!IsEightDigits(w)) return false;
    *value = ParseEightDigits(w);
    return true;
  }
  const uint64_t high = eight(p, 8), low = eight(p + 8, len - 8);
  if (!IsEightDigits(high) || !IsEightDigits(low)) return false;
  *value = ParseEightDigits(high) * kPow10[len - 8] + ParseEightDigits(low);
  return true;
}

// Reads a trimmed token against RFC 8259's number grammar:
//   -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
// Timestamps have 13 digits, so digits go eight at a time where they can.
inline Number ReadNumber(std::string_view t) {
  constexpr Number kMalformed{NumberKind::kMalformed, 0};
  size_t i = 0;
  const size_t n = t.size();
  const bool negative = i < n && t[i] == '-';
  if (negative) ++i;
  if (i == n || !IsDigit(t[i])) return kMalformed;
  uint64_t magnitude = 0;  // wraps past 20 digits; `digits` tells
  size_t digits = 0;
  if (t[i] == '0') {
    ++i;
  } else {
    const size_t first = i;
    uint64_t word;
    while (n - i >= 8 && (std::memcpy(&word, t.data() + i, 8), IsEightDigits(word))) {
      magnitude = magnitude * 100000000 + ParseEightDigits(word);
      i += 8;
    }
    for (; i < n && IsDigit(t[i]); ++i) {
      magnitude = magnitude * 10 + static_cast<uint64_t>(t[i] - '0');
    }
    digits = i - first;
  }
  bool integer = true;
  if (i < n && t[i] == '.') {
    ++i;
    if (i == n || !IsDigit(t[i])) return kMalformed;
    while (i < n && IsDigit(t[i])) ++i;
    integer = false;
  }
  if (i < n && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < n && (t[i] == '+' || t[i] == '-')) ++i;
    if (i == n || !IsDigit(t[i])) return kMalformed;
    while (i < n && IsDigit(t[i])) ++i;
    integer = false;
  }
  if (i != n) return kMalformed;  // "01", "5x": a digit or junk after the number
  if (!integer) return {NumberKind::kFraction, 0};
  // Up to 19 digits fit in uint64 without wrapping; 20 or more are beyond int64.
  constexpr uint64_t kMaxPositive = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (digits > 19 || magnitude > kMaxPositive + (negative ? 1 : 0)) {
    return {NumberKind::kOutOfRange, 0};
  }
  if (!negative) return {NumberKind::kInteger, static_cast<int64_t>(magnitude)};
  if (magnitude == kMaxPositive + 1) return {NumberKind::kInteger, std::numeric_limits<int64_t>::min()};
  return {NumberKind::kInteger, -static_cast<int64_t>(magnitude)};
}

inline int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads the four hex digits after "\u" at s[i]; -1 if they are not hex.
inline int32_t ReadHex4(std::string_view s, size_t i) {
  if (i > s.size() || s.size() - i < 4) return -1;
  int32_t v = 0;
  for (size_t k = 0; k < 4; ++k) {
    const int h = HexValue(s[i + k]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

// Writes `cp` as UTF-8 at dst; returns the end. Surrogates are written in
// their 3-byte form (not UTF-8) for the caller's UTF-8 check to catch.
inline char* WriteCodePoint(uint32_t cp, char* dst) {
  if (cp < 0x80) {
    *dst++ = static_cast<char>(cp);
  } else if (cp < 0x800) {
    *dst++ = static_cast<char>(0xC0 | (cp >> 6));
    *dst++ = static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *dst++ = static_cast<char>(0xE0 | (cp >> 12));
    *dst++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *dst++ = static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *dst++ = static_cast<char>(0xF0 | (cp >> 18));
    *dst++ = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *dst++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *dst++ = static_cast<char>(0x80 | (cp & 0x3F));
  }
  return dst;
}

// Unescapes `content` (the bytes between a string's quotes) to dst and
// returns the end, or nullptr if an escape is not JSON (`\x`, `\u12`). A
// surrogate pair becomes one 4-byte sequence; a lone surrogate is written in
// its 3-byte form, which is not UTF-8, so that the caller's UTF-8 check
// rejects it and can name the field.
//
// Every escape is longer than what it stands for, so the output never
// outruns the input: dst may be content.data() (unescaping in place).
inline char* UnescapeTo(std::string_view content, char* dst) {
  size_t i = 0;
  while (i < content.size()) {
    const char c = content[i];
    if (c == '"') return nullptr;  // the string ended early: `"a"b"` is not JSON
    if (c != '\\') {
      *dst++ = c;
      ++i;
      continue;
    }
    if (i + 1 >= content.size()) return nullptr;
    const char e = content[i + 1];
    i += 2;
    switch (e) {
      case '"': *dst++ = '"'; break;
      case '\\': *dst++ = '\\'; break;
      case '/': *dst++ = '/'; break;
      case 'b': *dst++ = '\b'; break;
      case 'f': *dst++ = '\f'; break;
      case 'n': *dst++ = '\n'; break;
      case 'r': *dst++ = '\r'; break;
      case 't': *dst++ = '\t'; break;
      case 'u': {
        const int32_t unit = ReadHex4(content, i);
        if (unit < 0) return nullptr;
        i += 4;
        uint32_t cp = static_cast<uint32_t>(unit);
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < content.size() && content[i] == '\\' &&
            content[i + 1] == 'u') {
          const int32_t low = ReadHex4(content, i + 2);
          if (low < 0) return nullptr;
          if (low >= 0xDC00 && low <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (static_cast<uint32_t>(low) - 0xDC00);
            i += 6;
          }
        }
        dst = WriteCodePoint(cp, dst);
        break;
      }
      default:
        return nullptr;
    }
  }
  return dst;
}

// UnescapeTo into a std::string (replacing its contents).
inline bool Unescape(std::string_view content, std::string* out) {
  out->resize(content.size());
  char* end = UnescapeTo(content, out->data());
  if (end == nullptr) return false;
  out->resize(static_cast<size_t>(end - out->data()));
  return true;
}

// Checks the escapes of a JSON string's content without keeping the result.
// Returns false if an escape is not JSON.
inline bool EscapesAreValid(std::string_view content) {
  for (size_t i = 0; i < content.size(); ++i) {
    if (content[i] == '"') return false;
    if (content[i] != '\\') continue;
    if (i + 1 >= content.size()) return false;
    const char e = content[i + 1];
    if (e == 'u') {
      if (ReadHex4(content, i + 2) < 0) return false;
      i += 5;
    } else if (std::strchr("\"\\/bfnrt", e) != nullptr && e != '\0') {
      i += 1;
    } else {
      return false;
    }
  }
  return true;
}

// True if `content` holds a quote or a backslash: then it needs unescaping
// (or is not one string). Most strings have neither.
// REQUIRES: 15 bytes readable past the end of `content` (the padded input).
inline bool HasQuoteOrBackslash(std::string_view content) {
  const char* p = content.data();
  const size_t n = content.size();
#if defined(__SSE2__)
  const __m128i quotes = _mm_set1_epi8('"');
  const __m128i backslashes = _mm_set1_epi8('\\');
  for (size_t i = 0; i < n; i += 16) {
    const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    auto hits = static_cast<uint32_t>(_mm_movemask_epi8(
        _mm_or_si128(_mm_cmpeq_epi8(chunk, quotes), _mm_cmpeq_epi8(chunk, backslashes))));
    if (n - i < 16) hits &= (1u << (n - i)) - 1;  // bytes past the end do not count
    if (hits) return true;
  }
  return false;
#else
  for (size_t i = 0; i < n; ++i) {
    if (p[i] == '"' || p[i] == '\\') return true;
  }
  return false;
#endif
}

// Appends `utf8` as a JSON string literal: quotes, backslashes and control
// characters escaped, everything else (including non-ASCII) as is.
inline void AppendQuoted(std::string_view utf8, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (const char c : utf8) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (u < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[u >> 4]);
          out->push_back(kHex[u & 0xF]);
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

}  // namespace bangdan::json_scalar
