// The dedup window: by time, by count, unadmission, rebuild.
#include "dedup.h"

#include <gtest/gtest.h>

#include <string>

namespace bangdan {
namespace {

std::string Key(const char* prefix, int i) {
  std::string s = prefix;
  s += std::to_string(i);
  return s;
}

// A Dedup driven like the engine drives it: admit, then apply (evict).
class DedupTest : public ::testing::Test {
 protected:
  explicit DedupTest(int64_t window_ms = 1000, uint64_t max_ids = 1'000'000)
      : dedup_(window_ms, max_ids) {}

  // True if accepted (and then applied at once).
  bool Offer(const std::string& id, int64_t recv_ms) {
    Fingerprint fp = FingerprintOf(id);
    if (dedup_.Contains(fp, recv_ms, seq_ + 1)) return false;
    dedup_.Push(fp, recv_ms, ++seq_);
    dedup_.Evict(recv_ms, seq_);
    return true;
  }

  Dedup dedup_;
  uint64_t seq_ = 0;
};

TEST_F(DedupTest, SecondSendOfAnIdIsADuplicate) {
  EXPECT_TRUE(Offer("a", 0));
  EXPECT_FALSE(Offer("a", 10));
  EXPECT_TRUE(Offer("b", 10));
}

TEST_F(DedupTest, AnIdExactlyAtTheWindowEdgeIsStillADuplicate) {
  EXPECT_TRUE(Offer("a", 5000));
  EXPECT_FALSE(Offer("a", 6000));  // recv - window == its recv_ms: inside
}

TEST_F(DedupTest, AnIdOneMillisecondPastTheWindowIsAcceptedAgain) {
  EXPECT_TRUE(Offer("a", 5000));
  EXPECT_TRUE(Offer("a", 6001));
  EXPECT_FALSE(Offer("a", 6002));  // and its new admission counts from now
}

TEST_F(DedupTest, EvictionFreesEntriesOutsideTheWindow) {
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(Offer(Key("id-", i), i));
  EXPECT_EQ(dedup_.size(), 100u);
  EXPECT_TRUE(Offer("late", 2050));  // evicts everything received before 1050
  EXPECT_EQ(dedup_.size(), 1u);
  EXPECT_EQ(dedup_.front_seq(), 101u);
}

class DedupCountTest : public DedupTest {
 protected:
  DedupCountTest() : DedupTest(1'000'000, 3) {}
};

TEST_F(DedupCountTest, OnlyTheLastMaxIdsAreRemembered) {
  EXPECT_TRUE(Offer("a", 0));
  EXPECT_TRUE(Offer("b", 0));
  EXPECT_TRUE(Offer("c", 0));
  EXPECT_FALSE(Offer("a", 0));  // a, b, c are the last three
  EXPECT_TRUE(Offer("d", 0));   // a leaves
  EXPECT_EQ(dedup_.size(), 3u);
  EXPECT_TRUE(Offer("a", 0));
  EXPECT_FALSE(Offer("d", 0));
}

TEST_F(DedupTest, DuplicatesWithinOneFrameAreCaughtBeforeApplying) {
  // Two admissions before any eviction, as within one frame.
  Fingerprint fp = FingerprintOf("x");
  EXPECT_FALSE(dedup_.Contains(fp, 0, 1));
  dedup_.Push(fp, 0, 1);
  EXPECT_TRUE(dedup_.Contains(fp, 0, 2));
}

TEST_F(DedupTest, PopAfterTakesBackUnappliedAdmissions) {
  EXPECT_TRUE(Offer("a", 0));
  dedup_.Push(FingerprintOf("b"), 0, 2);
  dedup_.Push(FingerprintOf("c"), 0, 3);
  dedup_.PopAfter(1);
  EXPECT_EQ(dedup_.size(), 1u);
  EXPECT_FALSE(dedup_.Contains(FingerprintOf("b"), 0, 2));
  EXPECT_FALSE(dedup_.Contains(FingerprintOf("c"), 0, 2));
  EXPECT_TRUE(dedup_.Contains(FingerprintOf("a"), 0, 2));
}

TEST_F(DedupTest, SurvivesManyInsertionsAndEvictions) {
  // Sliding window of ~500 ids over 100,000: every id in the window is found,
  // every id outside is not (exercises growth and backward-shift deletion).
  for (int i = 0; i < 100'000; ++i) {
    ASSERT_TRUE(Offer(Key("k", i), i * 2));
    if (i % 1000 == 999) {
      for (int j = i - 600; j <= i; j += 7) {
        bool inside = (i * 2) - (j * 2) <= 1000;
        ASSERT_EQ(dedup_.Contains(FingerprintOf(Key("k", j)), i * 2, seq_ + 1), inside)
            << i << " " << j;
      }
    }
  }
  EXPECT_LE(dedup_.size(), 501u);
}

TEST(Fingerprint, HalvesAreIndependentHashes) {
  Fingerprint a = FingerprintOf("order-1"), b = FingerprintOf("order-2");
  EXPECT_NE(a.lo, a.hi);
  EXPECT_NE(a.lo, b.lo);
  EXPECT_NE(a.hi, b.hi);
  EXPECT_EQ(a, FingerprintOf("order-1"));
}

}  // namespace
}  // namespace bangdan
