#include "board_set.h"

#include "hash.h"

namespace bangdan {

int FamilyIndex(Dimension dim, ScopeKind scope) {
  for (int i = 0; i < kFamilyCount; ++i) {
    if (kFamilies[i].dim == dim && kFamilies[i].scope == scope) return i;
  }
  return -1;
}

BoardSet::BoardSet(bool scoped) : scoped_(scoped) {
  if (scoped_) {
    slots_.assign(16, Slot{kEmptyKey, kNone});
  } else {
    boards_.emplace_back();
  }
}

uint32_t BoardSet::BoardFor(uint32_t scope) {
  if (!scoped_) return 0;
  if (scope >= board_of_scope_.size()) board_of_scope_.resize(size_t{scope} + 1, kNone);
  uint32_t& b = board_of_scope_[scope];
  if (b == kNone) {
    b = static_cast<uint32_t>(boards_.size());
    boards_.emplace_back();
    boards_.back().scope = scope;
  }
  return b;
}

uint32_t BoardSet::NewEntry(uint32_t scope, uint32_t entity) {
  const uint32_t b = BoardFor(scope);
  const uint32_t index = entry_count_++;
  // Pages are left uninitialized: each entry is written as it is created.
  if ((index & (kPageSize - 1)) == 0) pages_.emplace_back(new Entry[kPageSize]);
  mutable_entry(index) = Entry{{0, 0, 0}, {0, 0, 0}, entity, b, kNoDay, 0};
  ++boards_[b].count;
  return index;
}

uint32_t BoardSet::Create(uint32_t scope, uint32_t entity) {
  if (!scoped_) {
    if (entity >= by_entity_.size()) by_entity_.resize(size_t{entity} + 1, kNone);
    return by_entity_[entity] = NewEntry(0, entity);
  }
  const uint64_t key = Key(scope, entity);
  const size_t mask = slots_.size() - 1;
  size_t i = HashInt(key) & mask;
  while (slots_[i].index != kNone) i = (i + 1) & mask;
  return CreateAt(i, scope, entity);
}

uint32_t BoardSet::FindOrCreate(uint32_t scope, uint32_t entity, bool* created) {
  const uint64_t key = Key(scope, entity);
  const size_t mask = slots_.size() - 1;
  size_t i = HashInt(key) & mask;
  for (; slots_[i].index != kNone; i = (i + 1) & mask) {
    if (slots_[i].key == key) {
      *created = false;
      return slots_[i].index;
    }
  }
  *created = true;
  return CreateAt(i, scope, entity);
}

uint32_t BoardSet::CreateAt(size_t slot, uint32_t scope, uint32_t entity) {
  // Keep the load at most 3/4: 16-byte slots make a lower one cost too much
  // memory for the user/team family, and the probes stay within a cache line
  // or two. Growing moves every slot: `slot` is then searched for again.
  if ((slot_count_ + 1) * 4 > slots_.size() * 3) {
    GrowSlots();
    return Create(scope, entity);
  }
  const uint32_t index = NewEntry(scope, entity);
  slots_[slot] = Slot{Key(scope, entity), index};
  ++slot_count_;
  return index;
}

void BoardSet::GrowSlots() {
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.assign(old.size() * 2, Slot{kEmptyKey, kNone});
  const size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.index == kNone) continue;
    size_t i = HashInt(s.key) & mask;
    while (slots_[i].index != kNone) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

void BoardSet::MarkDirty(uint32_t index, bool created) {
  Entry& e = mutable_entry(index);
  Board& b = boards_[e.board_and_dirty];
  if (!created) {
    // The entry is clean, so the trees hold exactly its current keys.
    for (int m = 0; m < kMetricCount; ++m) b.trees[m].Erase(RankKey{e.value[m], e.seq[m], index});
  }
  e.board_and_dirty |= kDirtyBit;
  b.dirty.push_back(index);
}

bool BoardSet::Restore(uint32_t scope, uint32_t entity, const int64_t value[kMetricCount],
                       const uint64_t seq[kMetricCount]) {
  bool created;
  const uint32_t index = Locate(scope, entity, &created);
  if (!created) return false;
  Entry& e = mutable_entry(index);
  Board& b = boards_[e.board_and_dirty];
  for (int m = 0; m < kMetricCount; ++m) {
    e.value[m] = value[m];
    e.seq[m] = seq[m];
    // Every event changes orders (±1), so the newest seq on a board is its
    // version: no need to store versions in the snapshot.
    if (seq[m] > b.version) b.version = seq[m];
  }
  e.board_and_dirty |= kDirtyBit;
  b.dirty.push_back(index);
  return true;
}

const BoardSet::Board* BoardSet::FindBoard(uint32_t scope) const {
  if (!scoped_) return &boards_[0];
  if (scope >= board_of_scope_.size() || board_of_scope_[scope] == kNone) return nullptr;
  return &boards_[board_of_scope_[scope]];
}

BoardSet::Board* BoardSet::PrepareBoard(uint32_t scope) {
  Board* b = const_cast<Board*>(FindBoard(scope));
  if (b != nullptr && !b->dirty.empty()) Flush(*b);
  return b;
}

void BoardSet::Flush(Board& b) {
  for (uint32_t index : b.dirty) {
    Entry& e = mutable_entry(index);
    e.board_and_dirty &= ~kDirtyBit;
    for (int m = 0; m < kMetricCount; ++m) b.trees[m].Insert(RankKey{e.value[m], e.seq[m], index});
  }
  b.dirty.clear();
  // A burst of changes can leave a large, idle dirty list behind.
  if (b.dirty.capacity() > 4096) b.dirty.shrink_to_fit();
}

size_t BoardSet::MemoryBytes() const {
  size_t bytes = pages_.size() * kPageSize * sizeof(Entry) +
                 pages_.capacity() * sizeof(void*) + boards_.capacity() * sizeof(Board) +
                 by_entity_.capacity() * sizeof(uint32_t) +
                 board_of_scope_.capacity() * sizeof(uint32_t) + slots_.capacity() * sizeof(Slot);
  for (const Board& b : boards_) {
    bytes += b.dirty.capacity() * sizeof(uint32_t);
    for (const RankTree& t : b.trees) bytes += t.MemoryBytes();
  }
  return bytes;
}

}  // namespace bangdan
