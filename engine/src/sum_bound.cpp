// SumBoundOf: the scan that gives a loaded state its bounds (sum_bound.h).
#include "sum_bound.h"

#include <algorithm>

#include "engine_impl.h"

namespace bangdan {

namespace {

constexpr int kWeight = static_cast<int>(Metric::kWeight);
constexpr int kAmount = static_cast<int>(Metric::kAmount);

void Widen(SumBound& b, int64_t weight_g, int64_t amount_fen) {
  b.weight_g = std::max(b.weight_g, SumBound::Magnitude(weight_g));
  b.amount_fen = std::max(b.amount_fen, SumBound::Magnitude(amount_fen));
}

void WidenByWindow(SumBound& b, const Window& w) {
  Widen(b, w.weight_g, w.amount_fen);
  for (const BoardSet& set : w.sets) {
    const uint32_t n = set.entry_count();
    for (uint32_t i = 0; i < n; ++i) {
      const BoardSet::Entry& e = set.entry(i);
      Widen(b, e.value[kWeight], e.value[kAmount]);
    }
  }
}

}  // namespace

SumBound SumBoundOf(const EngineState& s) {
  SumBound b;
  WidenByWindow(b, s.total);
  for (const auto& [day, window] : s.days) WidenByWindow(b, *window);
  return b;
}

}  // namespace bangdan
