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

// Reads a trimmed token against RFC 8259's number grammar:
//   -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
inline Number ReadNumber(std::string_view t) {
  constexpr Number kMalformed{NumberKind::kMalformed, 0};
  size_t i = 0;
  const size_t n = t.size();
  const bool negative = i < n && t[i] == '-';
  if (negative) ++i;
  if (i == n || !IsDigit(t[i])) return kMalformed;
  uint64_t magnitude = 0;
  bool overflow = false;
  if (t[i] == '0') {
    ++i;
  } else {
    for (; i < n && IsDigit(t[i]); ++i) {
      const uint64_t digit = static_cast<uint64_t>(t[i] - '0');
      if (magnitude > (std::numeric_limits<uint64_t>::max() - digit) / 10) overflow = true;
      magnitude = magnitude * 10 + digit;
    }
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
  constexpr uint64_t kMaxPositive = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (overflow || magnitude > kMaxPositive + (negative ? 1 : 0)) {
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

inline void AppendCodePoint(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Appends the unescaped `content` (the bytes between the quotes) to *out.
// Returns false if an escape is not JSON (`\x`, `\u12`). A surrogate pair
// becomes one 4-byte sequence; a lone surrogate is written as its 3-byte
// form, which is not UTF-8, so that the caller's UTF-8 check rejects it and
// can name the field. Never writes more bytes than `content` holds.
inline bool Unescape(std::string_view content, std::string* out) {
  size_t i = 0;
  while (i < content.size()) {
    const char c = content[i];
    if (c == '"') return false;  // the string ended early: `"a"b"` is not JSON
    if (c != '\\') {
      out->push_back(c);
      ++i;
      continue;
    }
    if (i + 1 >= content.size()) return false;
    const char e = content[i + 1];
    i += 2;
    switch (e) {
      case '"': out->push_back('"'); break;
      case '\\': out->push_back('\\'); break;
      case '/': out->push_back('/'); break;
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'u': {
        const int32_t unit = ReadHex4(content, i);
        if (unit < 0) return false;
        i += 4;
        uint32_t cp = static_cast<uint32_t>(unit);
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < content.size() && content[i] == '\\' &&
            content[i + 1] == 'u') {
          const int32_t low = ReadHex4(content, i + 2);
          if (low < 0) return false;
          if (low >= 0xDC00 && low <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (static_cast<uint32_t>(low) - 0xDC00);
            i += 6;
          }
        }
        AppendCodePoint(cp, out);
        break;
      }
      default:
        return false;
    }
  }
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

// True if `content` holds a quote or a backslash: then it needs Unescape
// (or is not one string). Eight bytes at a time: most strings have neither.
inline bool HasQuoteOrBackslash(std::string_view content) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  constexpr uint64_t kQuotes = kOnes * '"';
  constexpr uint64_t kBackslashes = kOnes * '\\';
  const char* p = content.data();
  size_t n = content.size();
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    const uint64_t q = word ^ kQuotes;
    const uint64_t b = word ^ kBackslashes;
    // A zero byte in q or b marks a match (the classic "has zero byte" test).
    if ((((q - kOnes) & ~q) | ((b - kOnes) & ~b)) & kHigh) return true;
  }
  for (; n > 0; ++p, --n) {
    if (*p == '"' || *p == '\\') return true;
  }
  return false;
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
