// The UTF-8 check of WebSocket text messages (server/net/utf8_checker.cpp)
// against a plain reading of Unicode's Table 3-7, over messages cut into
// writes at every kind of place: inside code points, across several writes,
// empty writes. A message passes when every write and finish() say yes.
#include <boost/beast/websocket/detail/utf8_checker.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

using boost::beast::websocket::detail::check_utf8;
using boost::beast::websocket::detail::utf8_checker;

// Table 3-7, byte by byte: the reference the checker must agree with.
bool ReferenceValid(const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  for (std::size_t i = 0; i < n;) {
    const unsigned char b = p[i];
    std::size_t len;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b <= 0x7F) { ++i; continue; }
    if (b >= 0xC2 && b <= 0xDF) len = 2;
    else if (b == 0xE0) { len = 3; lo = 0xA0; }
    else if (b >= 0xE1 && b <= 0xEC) len = 3;
    else if (b == 0xED) { len = 3; hi = 0x9F; }
    else if (b >= 0xEE && b <= 0xEF) len = 3;
    else if (b == 0xF0) { len = 4; lo = 0x90; }
    else if (b >= 0xF1 && b <= 0xF3) len = 4;
    else if (b == 0xF4) { len = 4; hi = 0x8F; }
    else return false;
    if (i + len > n) return false;
    if (p[i + 1] < lo || p[i + 1] > hi) return false;
    for (std::size_t k = 2; k < len; ++k) {
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return false;
    }
    i += len;
  }
  return true;
}

// Feeds `s` in writes of the given sizes (the last takes the rest). Returns
// the verdict; `early` is set when a write said no before the message ended.
bool Check(const std::string& s, const std::vector<std::size_t>& cuts, bool* early = nullptr) {
  utf8_checker checker;
  checker.reset();
  const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
  std::size_t at = 0;
  for (std::size_t cut : cuts) {
    const std::size_t n = std::min(cut, s.size() - at);
    if (!checker.write(p + at, n)) {
      if (early) *early = at + n < s.size();
      return false;
    }
    at += n;
  }
  if (!checker.write(p + at, s.size() - at)) return false;
  return checker.finish();
}

TEST(Utf8Checker, KnownTextAndKnownFaults) {
  const std::string valid[] = {
      "", "plain ascii, long enough to take more than one sixteen-byte block",
      "合肥市 · 蜀山区 · 安居苑", "κόσμε", "\xF0\x9F\x8D\x8E apples",  // U+1F34E
      "\xEF\xBF\xBF",                                                    // U+FFFF is UTF-8
      "\xF4\x8F\xBF\xBF",                                                // U+10FFFF
      "\xED\x9F\xBF",                                                    // U+D7FF
  };
  for (const std::string& s : valid) {
    EXPECT_TRUE(Check(s, {})) << s;
    EXPECT_TRUE(check_utf8(s.data(), s.size())) << s;
  }
  const std::string invalid[] = {
      "\xC0\x80",           // overlong NUL
      "\xE0\x80\xAF",       // overlong '/'
      "\xF0\x80\x80\xAF",   // overlong '/'
      "\xED\xA0\x80",       // a surrogate
      "\xF4\x90\x80\x80",   // above U+10FFFF
      "\xF5\x80\x80\x80",   // no such lead
      "\x80",               // a lone continuation byte
      "\xFF",
      "合肥\xE5\x90",        // ends inside a code point
      "abc\xE5" "def",       // a lead without its continuation bytes
  };
  for (const std::string& s : invalid) {
    EXPECT_FALSE(Check(s, {})) << s;
    EXPECT_FALSE(check_utf8(s.data(), s.size())) << s;
  }
}

// A code point cut between writes passes whole, and a cut one that can start
// no valid code point fails at the write that shows it, as Beast's did.
TEST(Utf8Checker, ACodePointSplitBetweenWrites) {
  const std::string apple = "x\xF0\x9F\x8D\x8Ey";
  for (std::size_t a = 0; a <= apple.size(); ++a) {
    for (std::size_t b = 0; a + b <= apple.size(); ++b) {
      EXPECT_TRUE(Check(apple, {a, b})) << a << "," << b;
    }
  }
  bool early = false;
  EXPECT_FALSE(Check("ok\xED\xA0 and more", {4}, &early));  // a surrogate's first two bytes
  EXPECT_TRUE(early);
  early = false;
  EXPECT_FALSE(Check("ok\xF4\x90 and more", {3, 1}, &early));  // above U+10FFFF, one byte a write
  EXPECT_TRUE(early);
  EXPECT_FALSE(Check("\xE5\x90", {1}));  // the message ends inside a code point
}

// Random text — ASCII, Chinese, other code points of every length — with
// random damage, cut into random writes, against the reference.
TEST(Utf8Checker, AgreesWithTheReferenceOverRandomMessagesAndCuts) {
  std::mt19937_64 rng(20261207);
  const std::string pieces[] = {"a", "Z9 ", "\xC3\xA9", "\xCE\xBA", "合", "肥", "苹果",
                                "\xEF\xBF\xBD", "\xF0\x9F\x8D\x8E", "\xF4\x8F\xBF\xBF",
                                "{\"city\":\"六安\"}"};
  const std::string faults[] = {"\xC0", "\xC1\xBF", "\xE0\x9F\xBF", "\xED\xA0\x80", "\xF0\x8F",
                                "\xF4\x90\x80\x80", "\xF8", "\x80", "\xBF\xBF", "\xE5\x90"};
  int valid = 0, invalid = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string s;
    const int count = static_cast<int>(rng() % 80);
    for (int i = 0; i < count; ++i) s += pieces[rng() % std::size(pieces)];
    switch (rng() % 4) {
      case 0: break;  // left valid
      case 1: s.insert(rng() % (s.size() + 1), faults[rng() % std::size(faults)]); break;
      case 2:
        if (!s.empty()) s[rng() % s.size()] = static_cast<char>(rng());
        break;
      default:
        if (!s.empty()) s.resize(rng() % s.size());  // may end inside a code point
    }
    std::vector<std::size_t> cuts(rng() % 6);
    for (std::size_t& c : cuts) c = rng() % 8 == 0 ? 0 : rng() % (s.size() / 2 + 2);
    const bool expected = ReferenceValid(s);
    bool early = false;
    ASSERT_EQ(Check(s, cuts, &early), expected) << "round " << round;
    ASSERT_EQ(check_utf8(s.data(), s.size()), expected) << "round " << round;
    (expected ? valid : invalid)++;
  }
  EXPECT_GT(valid, 5000);
  EXPECT_GT(invalid, 5000);
}

}  // namespace
