// IsValidUtf8 against Unicode's Table 3-7, by example and exhaustively
// against simdjson's validator for every sequence of up to three bytes.
#include <simdjson.h>

#include <string>

#include <gtest/gtest.h>

#include "bangdan/event_parser.h"

namespace bangdan {
namespace {

bool Valid(const std::string& s) { return IsValidUtf8(s); }

TEST(Utf8Test, EmptyAndAsciiAreValid) {
  EXPECT_TRUE(Valid(""));
  EXPECT_TRUE(Valid("hello, world: 0123456789"));
  EXPECT_TRUE(Valid(std::string("\0a", 2)));
}

TEST(Utf8Test, ChineseAndEmojiAreValid) {
  EXPECT_TRUE(Valid("合肥"));
  EXPECT_TRUE(Valid("é"));
  EXPECT_TRUE(Valid("𠀀"));   // U+20000, 4 bytes
  EXPECT_TRUE(Valid("🍐"));   // U+1F350, 4 bytes
  EXPECT_TRUE(Valid("\xf4\x8f\xbf\xbf"));  // U+10FFFF, the last code point
  EXPECT_TRUE(Valid("\xef\xbf\xbf"));      // U+FFFF
  EXPECT_TRUE(Valid("\xee\x80\x80"));      // U+E000, just past the surrogates
}

TEST(Utf8Test, OverlongFormsAreInvalid) {
  EXPECT_FALSE(Valid("\xc0\xaf"));              // '/' in 2 bytes
  EXPECT_FALSE(Valid("\xc1\xbf"));
  EXPECT_FALSE(Valid("\xe0\x80\xaf"));          // '/' in 3 bytes
  EXPECT_FALSE(Valid("\xe0\x9f\xbf"));          // U+07FF in 3 bytes
  EXPECT_FALSE(Valid("\xf0\x80\x80\xaf"));      // '/' in 4 bytes
  EXPECT_FALSE(Valid("\xf0\x8f\xbf\xbf"));      // U+FFFF in 4 bytes
}

TEST(Utf8Test, SurrogatesAreInvalid) {
  EXPECT_FALSE(Valid("\xed\xa0\x80"));  // U+D800
  EXPECT_FALSE(Valid("\xed\xb3\xbf"));  // U+DCFF, what "\udcff" would make
  EXPECT_FALSE(Valid("\xed\xbf\xbf"));  // U+DFFF
  EXPECT_TRUE(Valid("\xed\x9f\xbf"));   // U+D7FF, just before them
}

TEST(Utf8Test, CodePointsAboveTheLastAreInvalid) {
  EXPECT_FALSE(Valid("\xf4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(Valid("\xf5\x80\x80\x80"));
  EXPECT_FALSE(Valid("\xff"));
  EXPECT_FALSE(Valid("\xfe"));
}

TEST(Utf8Test, TruncatedAndStrayBytesAreInvalid) {
  EXPECT_FALSE(Valid("\xe5\x90"));        // 合 without its last byte
  EXPECT_FALSE(Valid("a\xf0\x9f\x8d"));   // 🍐 without its last byte
  EXPECT_FALSE(Valid("\x80"));            // a lone continuation byte
  EXPECT_FALSE(Valid("\xe5\x90\x88\x88"));  // one continuation too many
  EXPECT_FALSE(Valid("\xc3("));           // a lead byte then ASCII
}

TEST(Utf8Test, BadByteIsFoundAtEveryOffsetOfTheAsciiFastPath) {
  for (size_t length = 1; length <= 40; ++length) {
    for (size_t at = 0; at < length; ++at) {
      std::string s(length, 'a');
      s[at] = '\x80';
      EXPECT_FALSE(Valid(s)) << "length " << length << " at " << at;
      s[at] = 'b';
      EXPECT_TRUE(Valid(s));
    }
  }
}

TEST(Utf8Test, MultiByteCharactersStraddlingEightByteBlocksAreValid) {
  for (size_t prefix = 0; prefix < 16; ++prefix) {
    EXPECT_TRUE(Valid(std::string(prefix, 'a') + "合肥🍐" + std::string(prefix, 'z')));
    EXPECT_FALSE(Valid(std::string(prefix, 'a') + "\xe5\x90" + std::string(9, 'z')));
  }
}

TEST(Utf8Test, AgreesWithSimdjsonOnEverySequenceOfUpToThreeBytes) {
  char buf[3];
  for (int a = 0; a < 256; ++a) {
    buf[0] = static_cast<char>(a);
    ASSERT_EQ(IsValidUtf8({buf, 1}), simdjson::validate_utf8(buf, 1)) << a;
    for (int b = 0; b < 256; ++b) {
      buf[1] = static_cast<char>(b);
      ASSERT_EQ(IsValidUtf8({buf, 2}), simdjson::validate_utf8(buf, 2)) << a << " " << b;
      for (int c = 0; c < 256; ++c) {
        buf[2] = static_cast<char>(c);
        ASSERT_EQ(IsValidUtf8({buf, 3}), simdjson::validate_utf8(buf, 3))
            << a << " " << b << " " << c;
      }
    }
  }
}

TEST(Utf8Test, AgreesWithSimdjsonOnFourByteSequences) {
  // Every lead and second byte, with third and fourth bytes at the edges of
  // the continuation range and just outside it.
  const int edges[] = {0x00, 0x7f, 0x80, 0x8f, 0x90, 0xbf, 0xc0, 0xff};
  char buf[4];
  for (int a = 0xc0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      for (int c : edges) {
        for (int d : edges) {
          buf[0] = static_cast<char>(a);
          buf[1] = static_cast<char>(b);
          buf[2] = static_cast<char>(c);
          buf[3] = static_cast<char>(d);
          ASSERT_EQ(IsValidUtf8({buf, 4}), simdjson::validate_utf8(buf, 4))
              << a << " " << b << " " << c << " " << d;
        }
      }
    }
  }
}

}  // namespace
}  // namespace bangdan
