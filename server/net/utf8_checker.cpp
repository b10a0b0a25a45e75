// Beast's check that a WebSocket text message is UTF-8 (RFC 6455 §8.1), with
// whole code points validated by simdjson.
//
// Beast validates every text frame it reads one code point at a time; at the
// maximum ingest rate that was 7.6 % of the server's CPU (bench/RESULTS.md,
// "Text frames checked for UTF-8 with SIMD"), as much as a third of applying the
// events. The check itself stays: a connection that sends invalid UTF-8 in a
// text message is still failed with close code 1007. This file defines the
// member functions Beast declares in websocket/detail/utf8_checker.hpp in place
// of its own utf8_checker.ipp, which beast_impl.cpp leaves out. The members it
// keeps: `need_` (bytes still missing from a code point split between two
// reads), `cp_` and `p_` (that code point's bytes so far).
//
// What is valid is Unicode's Table 3-7 (well-formed byte sequences), for Beast
// and simdjson alike: no overlong forms, no surrogates, nothing above U+10FFFF.
// Like Beast, a write that ends inside a code point fails at once if the bytes
// it has can start no valid one ("fail fast").
#include <boost/beast/websocket/detail/utf8_checker.hpp>

#include <simdjson.h>

#include <algorithm>
#include <cstring>

namespace boost::beast::websocket::detail {
namespace {

// The length of the code point that `lead` starts, or 0 if no code point
// starts with it (a continuation byte, or F8..FF).
std::size_t CodePointLength(std::uint8_t lead) {
  if (lead < 0x80) return 1;
  if (lead < 0xC0) return 0;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  if (lead < 0xF8) return 4;
  return 0;
}

// Whether the first `n` bytes of a code point, fewer than it takes, can still
// begin a valid one. Table 3-7 narrows only the lead and the second byte.
bool ValidPrefix(const std::uint8_t* p, std::size_t n) {
  if (p[0] < 0xC2 || p[0] > 0xF4) return false;  // C0, C1: overlong; F5..: > U+10FFFF
  if (n >= 2) {
    std::uint8_t lo = 0x80, hi = 0xBF;
    switch (p[0]) {
      case 0xE0: lo = 0xA0; break;  // below: overlong
      case 0xED: hi = 0x9F; break;  // above: surrogates
      case 0xF0: lo = 0x90; break;  // below: overlong
      case 0xF4: hi = 0x8F; break;  // above: > U+10FFFF
      default: break;
    }
    if (p[1] < lo || p[1] > hi) return false;
  }
  return n < 3 || (p[2] & 0xC0) == 0x80;
}

bool Valid(const std::uint8_t* p, std::size_t n) {
  return simdjson::validate_utf8(reinterpret_cast<const char*>(p), n);
}

}  // namespace

void utf8_checker::reset() {
  need_ = 0;
  p_ = cp_;
}

bool utf8_checker::finish() {
  const bool success = need_ == 0;
  reset();
  return success;
}

bool utf8_checker::write(std::uint8_t const* in, std::size_t size) {
  const std::uint8_t* const end = in + size;

  // First the code point the last write ended inside of.
  if (need_ > 0) {
    const std::size_t n = (std::min)(size, need_);
    std::memcpy(p_, in, n);
    p_ += n;
    in += n;
    need_ -= n;
    if (need_ > 0) return ValidPrefix(cp_, static_cast<std::size_t>(p_ - cp_));
    const bool valid = Valid(cp_, static_cast<std::size_t>(p_ - cp_));
    p_ = cp_;
    if (!valid) return false;
  }

  // A code point this write ends inside of has its lead byte among the last
  // three: it is kept for the next write, the rest validated whole. If those
  // three bytes hold no lead byte, the whole is validated and fails or ends
  // at a code point's end.
  const std::uint8_t* cut = end;
  for (const std::uint8_t* q = end; q > in && end - q < 3;) {
    --q;
    if ((*q & 0xC0) == 0x80) continue;  // a continuation byte
    if (CodePointLength(*q) > static_cast<std::size_t>(end - q)) cut = q;
    break;
  }
  if (!Valid(in, static_cast<std::size_t>(cut - in))) return false;
  if (cut == end) return true;

  const auto n = static_cast<std::size_t>(end - cut);
  std::memcpy(cp_, cut, n);
  p_ = cp_ + n;
  need_ = CodePointLength(*cut) - n;
  return ValidPrefix(cp_, n);
}

bool check_utf8(char const* p, std::size_t n) {
  return simdjson::validate_utf8(p, n);
}

}  // namespace boost::beast::websocket::detail
