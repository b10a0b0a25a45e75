#include "board_set.h"

#include <algorithm>
#include <bit>

#include "hash.h"

namespace bangdan {

int FamilyIndex(Dimension dim, ScopeKind scope) {
  for (int i = 0; i < kFamilyCount; ++i) {
    if (kFamilies[i].dim == dim && kFamilies[i].scope == scope) return i;
  }
  return -1;
}

namespace {
// Slots per shard to begin with: 256 shards × 4 × 16 bytes = 16 KiB a scoped set.
constexpr size_t kInitialShardSlots = 4;
// A read with fewer dirty entries than this puts them back one by one.
constexpr size_t kFlushOneByOne = 64;

RankKey KeyOf(const BoardSet::Entry& e, int m, uint32_t index) {
  return RankKey{e.value[m], e.seq[m], index};
}

// The metrics whose trees a board keeps, in order: b.stale holds, for each
// entry that was clean when it changed, its old key in each of them in turn.
struct Kept {
  int metric[kMetricCount];
  size_t count = 0;
};
Kept KeptOf(const BoardSet::Board& b) {
  Kept k;
  for (int m = 0; m < kMetricCount; ++m) {
    if (b.ordered >> m & 1) k.metric[k.count++] = m;
  }
  return k;
}

}  // namespace

BoardSet::BoardSet(bool scoped)
    : scoped_(scoped), slots_(scoped ? kInitialShardSlots : 0, Slot{kEmptyKey, kNone}) {
  if (!scoped_) {
    boards_.emplace_back();
    versions_.push_back(0);
  }
}

uint32_t BoardSet::BoardFor(uint32_t scope) {
  if (!scoped_) return 0;
  if (scope >= board_of_scope_.size()) board_of_scope_.resize(size_t{scope} + 1, kNone);
  uint32_t& b = board_of_scope_[scope];
  if (b == kNone) {
    b = static_cast<uint32_t>(boards_.size());
    boards_.emplace_back().scope = scope;
    versions_.push_back(0);
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
    by_entity_.GrowTo(size_t{entity} + 1, kNone);
    return by_entity_[entity] = NewEntry(0, entity);
  }
  const uint64_t h = HashInt(Key(scope, entity));
  Slots::Shard& shard = slots_.For(h);
  const size_t mask = shard.mask;
  size_t i = h & mask;
  while (shard.slots[i].index != kNone) i = (i + 1) & mask;
  return CreateAt(shard, i, scope, entity);
}

uint32_t BoardSet::FindOrCreate(uint32_t scope, uint32_t entity, bool* created) {
  const uint64_t key = Key(scope, entity);
  const uint64_t h = HashInt(key);
  Slots::Shard& shard = slots_.For(h);
  const size_t mask = shard.mask;
  size_t i = h & mask;
  for (; shard.slots[i].index != kNone; i = (i + 1) & mask) {
    if (shard.slots[i].key == key) {
      *created = false;
      return shard.slots[i].index;
    }
  }
  *created = true;
  return CreateAt(shard, i, scope, entity);
}

uint32_t BoardSet::CreateAt(Slots::Shard& shard, size_t slot, uint32_t scope, uint32_t entity) {
  // Keep the load at most 3/4: 16-byte slots make a lower one cost too much
  // memory for the user/team family, and the probes stay within a cache line
  // or two. Growing moves the shard's slots: `slot` is then searched for again.
  if ((shard.count + 1) * 4 > shard.slots.size() * 3) {
    GrowSlots(shard);
    return Create(scope, entity);
  }
  const uint32_t index = NewEntry(scope, entity);
  shard.slots[slot] = Slot{Key(scope, entity), index};
  ++shard.count;
  return index;
}

void BoardSet::GrowSlots(Slots::Shard& shard) {
  slots_.Resize(
      shard, shard.slots.size() * 2, [](const Slot& s) { return s.index == kNone; },
      [](const Slot& s) { return HashInt(s.key); }, [](const Slot&) {});
}

void BoardSet::MarkDirty(uint32_t index, bool created) {
  Entry& e = mutable_entry(index);
  Board& b = boards_[e.board_and_dirty];
  if (!created) {
    // The entry is clean, so the kept trees hold exactly its current keys.
    for (int m = 0; m < kMetricCount; ++m) {
      if (b.ordered >> m & 1) b.stale.push_back(KeyOf(e, m, index));
    }
  }
  e.board_and_dirty |= kDirtyBit;
  b.dirty.push_back(index);
  if (b.ordered != 0 && b.dirty.size() == b.count) {
    // Every entry changed since the board was last read: its trees hold
    // nothing current. The next read builds what it needs from the dirty
    // list (Order) for less than replacing every key would cost, and until
    // then the trees and the stale keys free their memory — a board that
    // stopped being read stops costing its orderings.
    for (RankTree& t : b.trees) t.Clear();
    b.stale.clear();
    b.stale.shrink_to_fit();
    b.ordered = 0;
  }
}

bool BoardSet::Restore(uint32_t scope, uint32_t entity, const int64_t value[kMetricCount],
                       const uint64_t seq[kMetricCount]) {
  bool created;
  const uint32_t index = Locate(scope, entity, &created);
  if (!created) return false;
  Entry& e = mutable_entry(index);
  Board& b = boards_[e.board_and_dirty];
  // Every event changes orders (±1), so the newest seq on a board is its
  // version: no need to store versions in the snapshot.
  uint64_t& version = versions_[e.board_and_dirty];
  for (int m = 0; m < kMetricCount; ++m) {
    e.value[m] = value[m];
    e.seq[m] = seq[m];
    if (seq[m] > version) version = seq[m];
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

uint64_t BoardSet::Version(uint32_t scope) const {
  if (!scoped_) return versions_[0];
  if (scope >= board_of_scope_.size() || board_of_scope_[scope] == kNone) return 0;
  return versions_[board_of_scope_[scope]];
}

BoardSet::Board* BoardSet::PrepareBoard(uint32_t scope, Metric metric) {
  Board* b = const_cast<Board*>(FindBoard(scope));
  if (b == nullptr) return nullptr;
  const int m = static_cast<int>(metric);
  if (!(b->ordered >> m & 1)) {
    Order(*b, m);
  } else if (!b->dirty.empty()) {
    Flush(*b);
  }
  return b;
}

void BoardSet::Flush(Board& b) {
  const Kept kept = KeptOf(b);
  // Hands each stale key to erase(m, key), then each dirty entry's key in
  // each kept tree to insert(m, key), leaving the entries clean.
  auto changes = [&](auto&& erase, auto&& insert) {
    for (size_t i = 0; i < b.stale.size(); ++i) erase(kept.metric[i % kept.count], b.stale[i]);
    for (uint32_t index : b.dirty) {
      Entry& e = mutable_entry(index);
      e.board_and_dirty &= ~kDirtyBit;
      for (size_t k = 0; k < kept.count; ++k) {
        insert(kept.metric[k], KeyOf(e, kept.metric[k], index));
      }
    }
  };
  if (b.dirty.size() < kFlushOneByOne) {  // most reads: not worth sorting
    changes([&](int m, const RankKey& k) { b.trees[m].Erase(k); },
            [&](int m, const RankKey& k) { b.trees[m].Insert(k); });
  } else {
    // Per kept metric, the keys that leave its tree and those that go in.
    std::vector<RankKey> erase[kMetricCount], insert[kMetricCount];
    for (size_t k = 0; k < kept.count; ++k) {
      erase[kept.metric[k]].reserve(b.stale.size() / kept.count);
      insert[kept.metric[k]].reserve(b.dirty.size());
    }
    changes([&](int m, const RankKey& k) { erase[m].push_back(k); },
            [&](int m, const RankKey& k) { insert[m].push_back(k); });
    for (size_t k = 0; k < kept.count; ++k) {
      const int m = kept.metric[k];
      b.trees[m].Replace(erase[m], insert[m]);
    }
  }
  b.dirty.clear();
  b.stale.clear();
  // A burst of changes can leave large, idle lists behind.
  if (b.dirty.capacity() > 4096) b.dirty.shrink_to_fit();
  if (b.stale.capacity() > 4096) b.stale.shrink_to_fit();
}

void BoardSet::Order(Board& b, int m) {
  // With no kept tree every entry of the board is dirty, in its dirty list;
  // with one, after a flush, every entry is in it.
  std::vector<RankKey> keys;
  keys.reserve(b.count);
  if (b.ordered == 0) {
    for (uint32_t index : b.dirty) keys.push_back(KeyOf(entry(index), m, index));
    Flush(b);  // no tree to put them in: the entries are clean now
  } else {
    Flush(b);  // the kept trees up to date: each holds every entry
    if (!scoped_) {
      // The one board holds every entry: read them in order, not at random.
      for (uint32_t index = 0; index < entry_count_; ++index) {
        keys.push_back(KeyOf(entry(index), m, index));
      }
    } else {
      const RankTree& kept = b.trees[std::countr_zero(static_cast<unsigned>(b.ordered))];
      kept.ForEach(0, kept.size(), [&](const RankKey& k) {
        keys.push_back(KeyOf(entry(k.id), m, k.id));
      });
    }
  }
  std::sort(keys.begin(), keys.end(), RankBefore);
  b.trees[m].Assign(keys);
  b.ordered |= 1u << m;
}

size_t BoardSet::MemoryBytes() const {
  size_t bytes = pages_.size() * kPageSize * sizeof(Entry) +
                 pages_.capacity() * sizeof(void*) + boards_.MemoryBytes() +
                 by_entity_.MemoryBytes() +
                 board_of_scope_.capacity() * sizeof(uint32_t) +
                 versions_.capacity() * sizeof(uint64_t) + slots_.MemoryBytes();
  for (size_t i = 0; i < boards_.size(); ++i) {
    const Board& b = boards_[i];
    bytes += b.dirty.capacity() * sizeof(uint32_t) + b.stale.capacity() * sizeof(RankKey);
    for (const RankTree& t : b.trees) bytes += t.MemoryBytes();
  }
  return bytes;
}

}  // namespace bangdan
