#include "histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace bangdan::loadgen {

// Values below kSub are their own bucket (exact); above, bucket = (exponent
// block) * kSub + the kSubBits bits after the leading one.
int Histogram::BucketOf(uint64_t value) {
  if (value < static_cast<uint64_t>(kSub)) return static_cast<int>(value);
  int msb = 63 - std::countl_zero(value);  // >= kSubBits
  int shift = msb - kSubBits;
  int sub = static_cast<int>((value >> shift) & (kSub - 1));
  return (shift + 1) * kSub + sub;
}

uint64_t Histogram::BucketLow(int bucket) {
  if (bucket < kSub) return static_cast<uint64_t>(bucket);
  int shift = bucket / kSub - 1;
  uint64_t sub = static_cast<uint64_t>(bucket % kSub);
  return (static_cast<uint64_t>(kSub) | sub) << shift;
}

void Histogram::Record(uint64_t value) {
  ++counts_[BucketOf(value)];
  ++count_;
  sum_ += value;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

void Histogram::Merge(const Histogram& other) {
  for (int i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void Histogram::Reset() { *this = Histogram(); }

uint64_t Histogram::Quantile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      uint64_t low = BucketLow(i);
      uint64_t high = i + 1 < kBuckets ? BucketLow(i + 1) : UINT64_MAX;
      uint64_t mid = low + (high - low) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

}  // namespace bangdan::loadgen
