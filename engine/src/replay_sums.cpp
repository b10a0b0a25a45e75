#include "replay_sums.h"

namespace bangdan {

namespace {
constexpr size_t kInitialSlots = 1024;
}  // namespace

SumTable::SumTable() : slots_(kInitialSlots, Slot{{}, kNone}), mask_(kInitialSlots - 1) {}

uint32_t SumTable::Locate(const Print& p, const Key& k) {
  size_t i = p.lo & mask_;
  for (;; i = (i + 1) & mask_) {
    if (slots_[i].index == kNone) break;
    if (slots_[i].print == p) return slots_[i].index;
  }
  const uint32_t index = size();
  slots_[i] = Slot{p, index};
  keys_.push_back(k);
  sums_.push_back(Sum{{{0, 0, 0}, {0, 0, 0}, 0}, BoardSet::kNoDay, 0});
  if (2 * keys_.size() > slots_.size()) Grow();
  return index;
}

void SumTable::Grow() {
  std::vector<Slot> bigger(2 * slots_.size(), Slot{{}, kNone});
  const size_t mask = bigger.size() - 1;
  for (const Slot& slot : slots_) {
    if (slot.index == kNone) continue;
    size_t i = slot.print.lo & mask;
    while (bigger[i].index != kNone) i = (i + 1) & mask;
    bigger[i] = slot;
  }
  slots_.swap(bigger);
  mask_ = mask;
}

void SumTable::Clear(bool release) {
  if (release) {
    *this = SumTable();
    return;
  }
  if (keys_.empty()) return;
  std::fill(slots_.begin(), slots_.end(), Slot{{}, kNone});
  sums_.clear();
  keys_.clear();
}

}  // namespace bangdan
