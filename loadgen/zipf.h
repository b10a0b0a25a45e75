// Random numbers for the workload: a small fast generator and a Zipf sampler.
//
// Floating point is fine here: the load generator is not the engine, and the
// samples only need to be deterministic for a seed on one build, which they are
// (the CDF is computed in one fixed order).
#pragma once

#include <cstdint>
#include <vector>

namespace bangdan::loadgen {

// SplitMix64: tiny, fast, passes BigCrush; one per stream of events.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Uniform in [0, n). REQUIRES: n > 0.
  uint64_t Below(uint64_t n) { return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64); }

 private:
  uint64_t state_;
};

// Ranks 0..n-1 with P(k) proportional to 1/(k+1)^s (s = 0: uniform).
// Sampling inverts the cumulative table by binary search: O(log n), 8 bytes
// per rank (a million users: 8 MiB, built once).
class ZipfSampler {
 public:
  ZipfSampler(uint32_t n, double s);
  uint32_t Sample(Rng& rng) const;
  uint32_t size() const { return static_cast<uint32_t>(cdf_.size()); }
  // P(rank k), for tests.
  double Probability(uint32_t k) const;

 private:
  std::vector<double> cdf_;  // cdf_[k] = P(rank <= k); cdf_.back() == 1
};

}  // namespace bangdan::loadgen
