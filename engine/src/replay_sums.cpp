#include "replay_sums.h"

namespace bangdan {

namespace {
constexpr size_t kInitialSlots = 1024;
}  // namespace

SumTable::SumTable() : slots_(kInitialSlots, Slot{{}, kNone}), mask_(kInitialSlots - 1) {}

uint32_t SumTable::Locate(const Key& k, uint64_t h) {
  size_t i = h & mask_;
  for (;; i = (i + 1) & mask_) {
    if (slots_[i].index == kNone) break;
    if (slots_[i].key == k) return slots_[i].index;
  }
  const uint32_t index = size();
  slots_[i] = Slot{k, index};
  keys_.push_back(k);
  sums_.push_back(Sum{{{0, 0, 0}, {0, 0, 0}, 0}, BoardSet::kNoDay, 0});
  if (2 * keys_.size() > slots_.size()) Grow();
  return index;
}

void SumTable::Grow() {
  std::vector<Slot> bigger(2 * slots_.size(), Slot{{}, kNone});
  const size_t mask = bigger.size() - 1;
  for (uint32_t index = 0; index < size(); ++index) {
    size_t i = HashOf(keys_[index]) & mask;
    while (bigger[i].index != kNone) i = (i + 1) & mask;
    bigger[i] = Slot{keys_[index], index};
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
