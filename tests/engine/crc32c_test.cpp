// CRC32C against the published test vectors (RFC 3720 B.4, as leveldb's
// crc32c_test uses them), and the hardware path against the table.
#include "storage/crc32c.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>

namespace bangdan::crc32c {
namespace {

TEST(Crc32cTest, MatchesRfc3720Vectors) {
  char buf[32];

  std::memset(buf, 0, sizeof buf);
  EXPECT_EQ(0x8a9136aau, Value(buf, sizeof buf));

  std::memset(buf, 0xff, sizeof buf);
  EXPECT_EQ(0x62a8ab43u, Value(buf, sizeof buf));

  for (int i = 0; i < 32; ++i) buf[i] = static_cast<char>(i);
  EXPECT_EQ(0x46dd794eu, Value(buf, sizeof buf));

  for (int i = 0; i < 32; ++i) buf[i] = static_cast<char>(31 - i);
  EXPECT_EQ(0x113fdb5cu, Value(buf, sizeof buf));

  const unsigned char iscsi_read[48] = {
      0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
      0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  };
  EXPECT_EQ(0xd9963a56u, Value(reinterpret_cast<const char*>(iscsi_read), sizeof iscsi_read));
}

TEST(Crc32cTest, CheckValueOfTheDigitsIsTheStandardOne) {
  EXPECT_EQ(0xe3069283u, Value("123456789"));
}

TEST(Crc32cTest, DifferentStringsGiveDifferentValues) {
  EXPECT_NE(Value("a"), Value("foo"));
}

TEST(Crc32cTest, ExtendEqualsTheValueOfTheConcatenation) {
  EXPECT_EQ(Value("hello world"), Extend(Value("hello "), "world", 5));
}

TEST(Crc32cTest, MaskChangesTheValueAndUnmaskRestoresIt) {
  const uint32_t crc = Value("foo");
  EXPECT_NE(crc, Mask(crc));
  EXPECT_NE(crc, Mask(Mask(crc)));
  EXPECT_EQ(crc, Unmask(Mask(crc)));
  EXPECT_EQ(crc, Unmask(Unmask(Mask(Mask(crc)))));
}

TEST(Crc32cTest, HardwarePathAgreesWithTheTableAtEveryLengthAndAlignment) {
  std::mt19937 rng(42);
  std::string data(600, '\0');
  for (auto& c : data) c = static_cast<char>(rng());
  for (size_t start = 0; start < 9; ++start) {
    for (size_t n = 0; n + start <= data.size(); n += 7) {
      ASSERT_EQ(ExtendPortable(0x1234u, data.data() + start, n),
                Extend(0x1234u, data.data() + start, n))
          << "start " << start << " length " << n;
    }
  }
}

// Inputs of 12 KiB and more run as three stripes joined at the end: every
// length around the stripe boundaries, any alignment, and a running CRC.
TEST(Crc32cTest, ThreeStripePathAgreesWithTheTableAroundEveryBoundary) {
  std::mt19937 rng(7);
  std::string data(5 * 12288 + 64, '\0');
  for (auto& c : data) c = static_cast<char>(rng());
  for (size_t start : {0, 1, 5, 8}) {
    for (size_t stripes : {1, 2, 3, 5}) {
      for (int delta = -9; delta <= 9; ++delta) {
        const size_t n = stripes * 12288 + delta;
        if (start + n > data.size()) continue;
        ASSERT_EQ(ExtendPortable(0x9abcu, data.data() + start, n),
                  Extend(0x9abcu, data.data() + start, n))
            << "start " << start << " length " << n;
      }
    }
  }
  // The stripes start from the CRC so far, not from zero.
  const uint32_t head = Value(data.data(), 100);
  EXPECT_EQ(Value(data.data(), 100 + 3 * 12288), Extend(head, data.data() + 100, 3 * 12288));
}

TEST(Crc32cTest, ThisMachineUsesTheHardwarePath) {
#if defined(__x86_64__)
  EXPECT_TRUE(HardwareAccelerated());
#else
  GTEST_SKIP() << "not x86-64";
#endif
}

}  // namespace
}  // namespace bangdan::crc32c
