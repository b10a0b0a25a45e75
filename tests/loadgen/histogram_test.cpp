#include "histogram.h"

#include <gtest/gtest.h>

#include <initializer_list>

namespace bangdan::loadgen {
namespace {

TEST(HistogramTest, SmallValuesAreExact) {
  Histogram h;
  for (uint64_t v = 1; v <= 50; ++v) h.Record(v);
  EXPECT_EQ(h.count(), 50u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 50u);
  EXPECT_EQ(h.Quantile(0.5), 25u);
  EXPECT_EQ(h.Quantile(1.0), 50u);
}

TEST(HistogramTest, QuantilesAreWithinTwoPercentAtAnyScale) {
  for (uint64_t scale : {1'000ULL, 1'000'000ULL, 1'000'000'000ULL}) {
    Histogram h;
    for (uint64_t i = 1; i <= 10'000; ++i) h.Record(i * scale);
    for (double q : {0.5, 0.99, 0.999}) {
      double exact = q * 10'000 * static_cast<double>(scale);
      EXPECT_NEAR(static_cast<double>(h.Quantile(q)), exact, 0.02 * exact) << "q " << q << " scale " << scale;
    }
  }
}

TEST(HistogramTest, BucketsCoverEveryValueInOrder) {
  for (uint64_t v : std::initializer_list<uint64_t>{0, 1, 63, 64, 65, 127, 128, 1ULL << 40, UINT64_MAX}) {
    int b = Histogram::BucketOf(v);
    ASSERT_LT(b, Histogram::kBuckets) << v;
    EXPECT_LE(Histogram::BucketLow(b), v);
    if (b + 1 < Histogram::kBuckets) {
      EXPECT_GT(Histogram::BucketLow(b + 1), v);
    }
  }
}

TEST(HistogramTest, MergeAddsCountsAndKeepsExtremes) {
  Histogram a, b;
  a.Record(10);
  a.Record(20);
  b.Record(5);
  b.Record(1'000);
  a.Merge(b);
  EXPECT_EQ(a.count(), 4u);
  EXPECT_EQ(a.min(), 5u);
  EXPECT_EQ(a.max(), 1'000u);
  EXPECT_DOUBLE_EQ(a.mean(), (10 + 20 + 5 + 1'000) / 4.0);
}

TEST(HistogramTest, EmptyHistogramAnswersZero) {
  Histogram h;
  EXPECT_EQ(h.Quantile(0.99), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
}

TEST(HistogramTest, ResetForgetsEverything) {
  Histogram h;
  h.Record(77);
  h.Reset();
  EXPECT_EQ(h.count(), 0u);
  h.Record(3);
  EXPECT_EQ(h.min(), 3u);
}

}  // namespace
}  // namespace bangdan::loadgen
