#include "zipf.h"

#include <algorithm>
#include <cmath>

namespace bangdan::loadgen {

ZipfSampler::ZipfSampler(uint32_t n, double s) : cdf_(n == 0 ? 1 : n) {
  double sum = 0;
  for (size_t k = 0; k < cdf_.size(); ++k) {
    sum += s == 0 ? 1.0 : std::pow(static_cast<double>(k + 1), -s);
    cdf_[k] = sum;
  }
  for (double& c : cdf_) c /= sum;
  cdf_.back() = 1.0;  // no rounding gap above the last rank
}

uint32_t ZipfSampler::Sample(Rng& rng) const {
  double u = rng.Uniform();
  auto it = std::upper_bound(cdf_.begin(), cdf_.end(), u);
  if (it == cdf_.end()) --it;
  return static_cast<uint32_t>(it - cdf_.begin());
}

double ZipfSampler::Probability(uint32_t k) const {
  return k == 0 ? cdf_[0] : cdf_[k] - cdf_[k - 1];
}

}  // namespace bangdan::loadgen
