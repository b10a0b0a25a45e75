#include "zipf.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace bangdan::loadgen {
namespace {

TEST(ZipfSamplerTest, SameSeedGivesTheSameSamples) {
  ZipfSampler zipf(1000, 1.0);
  Rng a(42), b(42);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(zipf.Sample(a), zipf.Sample(b));
}

TEST(ZipfSamplerTest, DifferentSeedsGiveDifferentSamples) {
  ZipfSampler zipf(1000, 1.0);
  Rng a(1), b(2);
  int same = 0;
  for (int i = 0; i < 1000; ++i) same += zipf.Sample(a) == zipf.Sample(b);
  EXPECT_LT(same, 300);  // rank 0 alone has p ≈ 0.13, so ~2 % of pairs agree on it
}

TEST(ZipfSamplerTest, ProbabilitiesFollowOneOverRankToTheS) {
  ZipfSampler zipf(100, 1.0);
  EXPECT_NEAR(zipf.Probability(0) / zipf.Probability(1), 2.0, 1e-9);
  EXPECT_NEAR(zipf.Probability(0) / zipf.Probability(9), 10.0, 1e-9);
  double sum = 0;
  for (uint32_t k = 0; k < 100; ++k) sum += zipf.Probability(k);
  EXPECT_NEAR(sum, 1.0, 1e-12);
}

TEST(ZipfSamplerTest, SampledFrequenciesMatchTheDistribution) {
  ZipfSampler zipf(50, 1.0);
  Rng rng(7);
  const int n = 400'000;
  std::vector<int> counts(50);
  for (int i = 0; i < n; ++i) ++counts[zipf.Sample(rng)];
  for (uint32_t k : {0u, 1u, 4u, 19u, 49u}) {
    double expected = zipf.Probability(k) * n;
    // Five standard deviations of a binomial count: never flaky, still tight.
    EXPECT_NEAR(counts[k], expected, 5 * std::sqrt(expected)) << "rank " << k;
  }
}

TEST(ZipfSamplerTest, ExponentZeroIsUniform) {
  ZipfSampler zipf(10, 0.0);
  for (uint32_t k = 0; k < 10; ++k) EXPECT_NEAR(zipf.Probability(k), 0.1, 1e-12);
}

TEST(ZipfSamplerTest, SamplesStayInRange) {
  ZipfSampler zipf(3, 2.0);
  Rng rng(3);
  for (int i = 0; i < 10'000; ++i) ASSERT_LT(zipf.Sample(rng), 3u);
}

TEST(RngTest, BelowStaysBelow) {
  Rng rng(9);
  for (int i = 0; i < 10'000; ++i) ASSERT_LT(rng.Below(7), 7u);
}

}  // namespace
}  // namespace bangdan::loadgen
