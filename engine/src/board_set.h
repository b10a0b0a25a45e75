// BoardSet: every board of one family (a dimension with one scope kind, e.g.
// "team within firm") in one window (total, or one day).
//
// Entries: one per (scope, entity) that has had an event, in a vector in
// order of first appearance (so the layout is a function of the event
// sequence). Unscoped families find an entry through an array (in pages) indexed by
// entity id; scoped ones through an open-addressing map keyed by
// scope id << 32 | entity id, in 256 shards that grow one at a time
// (ShardedSlots). Entries and boards live in pages: no growth moves them.
//
// Lazy ordering: each board (one per scope id) has a RankTree per metric and
// a dirty list. A metric's tree is built the first time the board is read by
// that metric, and kept from then on; one that nobody reads costs nothing
// (dashboards read by weight: the other two would triple the work of every
// read and of every change after it). Add() costs O(1): the first time an
// entry changes after the board was last read, its keys in the kept trees
// (its values at that moment are exactly the indexed ones) are noted as
// stale and it joins the dirty list; its values then change in place, as
// often as events come. PrepareBoard() takes the stale keys out and puts the
// dirty entries back with their current keys before a read, all sorted, in
// one pass over a tree when they are many. A hot entity thus costs no tree
// work at all between two reads of its board. Until a board has a kept tree,
// every entry of it is dirty.
//
// RankKey.id is the entry's index in this set. Within one board (value, seq)
// is already unique — one event changes at most one entity of a board, so no
// two entities share the seq of their last change — hence the id never decides
// the order and the tree order is exactly SPEC §2's (value, seq, key bytes).
//
// Thread safety: none.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "bangdan/board.h"
#include "hash.h"
#include "paged_vector.h"
#include "prefetch.h"
#include "rank_tree.h"
#include "sharded_slots.h"

namespace bangdan {

// A family: a board dimension with one of the scope kinds §2 allows for it.
struct Family {
  Dimension dim;
  ScopeKind scope;
};

inline constexpr int kFamilyCount = 10;
inline constexpr Family kFamilies[kFamilyCount] = {
    {Dimension::kCity, ScopeKind::kNone},    {Dimension::kFirm, ScopeKind::kNone},
    {Dimension::kFirm, ScopeKind::kCity},    {Dimension::kTeam, ScopeKind::kNone},
    {Dimension::kTeam, ScopeKind::kCity},    {Dimension::kTeam, ScopeKind::kFirm},
    {Dimension::kUser, ScopeKind::kNone},    {Dimension::kUser, ScopeKind::kTeam},
    {Dimension::kProduct, ScopeKind::kNone}, {Dimension::kProduct, ScopeKind::kCity},
};

// The index of (dim, scope) in kFamilies, or -1 when §2 does not allow it.
int FamilyIndex(Dimension dim, ScopeKind scope);

class BoardSet {
 public:
  static constexpr uint32_t kNone = 0xffffffffu;  // no entry
  static constexpr int32_t kNoDay = INT32_MIN;     // Entry::link_day: no link

  // One cache line: an update touches one line, not two.
  struct alignas(64) Entry {
    int64_t value[kMetricCount];
    uint64_t seq[kMetricCount];  // the event that last changed each value
    uint32_t entity;
    uint32_t board_and_dirty;    // board index; top bit: dirty
    // Left to the owner, not part of the state (never serialized): the
    // engine links an entry of the total window to the same (scope, entity)'s
    // entry in the window of day `link_day`, so that an event finds its day
    // entry without a second lookup.
    int32_t link_day;
    uint32_t link_index;
  };

  struct Board {
    std::vector<uint32_t> dirty;  // entries changed since the last Prepare
    // The keys the kept trees hold for dirty entries that were clean: each
    // one's old key in each kept tree, metric by metric. They leave the
    // trees at the next read, sorted, with the new keys going in.
    std::vector<RankKey> stale;
    uint32_t scope = 0;
    uint32_t count = 0;           // entries on the board
    uint8_t ordered = 0;          // bit m: trees[m] is kept
    RankTree trees[kMetricCount];
  };

  explicit BoardSet(bool scoped);
  BoardSet(const BoardSet&) = delete;
  BoardSet& operator=(const BoardSet&) = delete;
  BoardSet(BoardSet&&) noexcept = default;
  BoardSet& operator=(BoardSet&&) noexcept = default;

  // What one event adds to every entry it touches, worked out once.
  struct Change {
    Change(const int64_t d[kMetricCount], uint64_t event_seq) : seq(event_seq) {
      for (int m = 0; m < kMetricCount; ++m) {
        delta[m] = d[m];
        if (d[m] != 0) moves |= 1u << m;
      }
    }
    int64_t delta[kMetricCount];
    uint64_t seq;
    unsigned moves = 0;  // bit m: delta[m] != 0, so value m changes
  };
  static constexpr unsigned kEveryMetric = (1u << kMetricCount) - 1;

  // Adds `delta` to the entry (scope, entity), creating it; the event is seq.
  // Unscoped sets ignore `scope`. Same as Locate, then Update.
  void Add(uint32_t scope, uint32_t entity, const int64_t delta[kMetricCount], uint64_t seq) {
    bool created;
    const uint32_t index = Locate(scope, entity, &created);
    Update(index, created, Change(delta, seq));
  }

  // The steps of Add, apart so that the engine can interleave the memory
  // accesses of the many entries a batch of events touches (cold entries are
  // cache misses; issued together they overlap). The templates take
  // kScoped == scoped() at compile time: the engine's families are fixed
  // (apply_steps.h), and an event goes through these steps five times for
  // each of its ten families (unrolled, 8 % fewer instructions than with a
  // branch on scoped_ and a list of keys).
  // 1. starts loading the lookup slot of (scope, entity) and its board's
  //    index. Returns the key's hash, which step 2 takes instead of hashing
  //    again (unscoped sets have none: 0);
  template <bool kScoped>
  uint64_t PrefetchAs(uint32_t scope, uint32_t entity) const {
    if constexpr (!kScoped) {
      if (entity < by_entity_.size()) PrefetchLine(&by_entity_[entity]);
      return 0;
    } else {
      const uint64_t h = HashInt(Key(scope, entity));
      const auto& shard = slots_.For(h);
      PrefetchLine(&shard.slots[h & shard.mask]);
      if (scope < board_of_scope_.size()) PrefetchLine(&board_of_scope_[scope]);
      return h;
    }
  }
  // 2. once that is in cache: the entry (nullptr if it has none yet), its
  //    index in *index (kNone), the entry and its board's version starting
  //    to load. Entries never move: the pointer stays right.
  template <bool kScoped>
  Entry* FindAndPrefetchAs(uint32_t scope, uint32_t entity, uint64_t hash, uint32_t* index) {
    *index = FindAs<kScoped>(scope, entity, hash);
    if (*index == kNone) return nullptr;
    Entry& e = mutable_entry(*index);
    PrefetchLine(&e);
    if constexpr (kScoped) PrefetchLine(&versions_[board_of_scope_[scope]]);
    return &e;
  }
  //    The same for an entry whose index is known (a day link).
  template <bool kScoped>
  void PrefetchEntryAs(uint32_t index, uint32_t scope) const {
    PrefetchLine(&entry(index));
    if constexpr (kScoped) PrefetchLine(&versions_[board_of_scope_[scope]]);
  }
  // 3. finds or creates the entry;
  uint32_t Locate(uint32_t scope, uint32_t entity, bool* created) {
    return scoped_ ? LocateAs<true>(scope, entity, created) : LocateAs<false>(scope, entity, created);
  }
  template <bool kScoped>
  uint32_t LocateAs(uint32_t scope, uint32_t entity, bool* created) {
    if constexpr (!kScoped) {
      const uint32_t index = FindAs<false>(scope, entity, 0);
      *created = index == kNone;
      return *created ? Create(scope, entity) : index;
    } else {
      return FindOrCreate(scope, entity, created);  // one probe sequence, not two
    }
  }
  // 4. adds delta to it. A new entry's first event counts as a change of all
  //    three values; later ones change only the values they move (SPEC §2's
  //    tie-break).
  void Update(uint32_t index, bool created, const Change& c) {
    Update(mutable_entry(index), index, created, c);
  }
  //    The same for an entry at hand (EntryForUpdate(index): entries never
  //    move), so that an event that reads it again finds it without a lookup.
  Entry& EntryForUpdate(uint32_t index) { return mutable_entry(index); }
  void Update(Entry& e, uint32_t index, bool created, const Change& c) {
    const unsigned moves = created ? kEveryMetric : c.moves;
    if (moves == 0) return;
    if (!(e.board_and_dirty & kDirtyBit)) MarkDirty(index, created);
    for (int m = 0; m < kMetricCount; ++m) e.value[m] += c.delta[m];  // 0: no move
    if (moves == kEveryMetric) {  // nearly always: events weigh and cost something
      e.seq[0] = e.seq[1] = e.seq[2] = c.seq;
    } else {
      for (int m = 0; m < kMetricCount; ++m) {
        if (moves >> m & 1) e.seq[m] = c.seq;
      }
    }
    versions_[e.board_and_dirty & ~kDirtyBit] = c.seq;
  }

  // What a run of events did to one entry, summed before it is touched
  // (replay does, engine_replay.cpp): their changes added up, the last of
  // them that moved each value (0: none did) and the first of them.
  struct Run {
    int64_t delta[kMetricCount];
    uint64_t moved_seq[kMetricCount];
    uint64_t first_seq;
  };
  // Adds a run, leaving the entry (and its board's version) as Update with
  // each of the run's events in turn would: a new entry's first event counts
  // as a change of all three values, later ones of those they move. An
  // entry's events may be spread over several runs that interleave in time,
  // added in any order, as long as the run that holds the entry's first
  // event creates it (seqs are kept as the newest of the runs').
  void AddRun(uint32_t index, bool created, const Run& r) {
    Entry& e = mutable_entry(index);
    uint64_t seq[kMetricCount];
    uint64_t newest = 0;
    for (int m = 0; m < kMetricCount; ++m) {
      seq[m] = created ? std::max(r.first_seq, r.moved_seq[m]) : r.moved_seq[m];
      newest = std::max(newest, seq[m]);
    }
    if (newest == 0) return;  // nothing moved
    if (!(e.board_and_dirty & kDirtyBit)) MarkDirty(index, created);
    for (int m = 0; m < kMetricCount; ++m) {
      e.value[m] += r.delta[m];
      // Another run of this entry may hold later events than this one.
      e.seq[m] = std::max(e.seq[m], seq[m]);
    }
    uint64_t& version = versions_[e.board_and_dirty & ~kDirtyBit];
    version = std::max(version, newest);
  }

  // The entry of (scope, entity), kNone if there is none.
  uint32_t Find(uint32_t scope, uint32_t entity) const {
    return scoped_ ? FindAs<true>(scope, entity, HashInt(Key(scope, entity)))
                   : FindAs<false>(scope, entity, 0);
  }
  //    The same with the hash that PrefetchAs returned.
  template <bool kScoped>
  uint32_t FindAs(uint32_t scope, uint32_t entity, uint64_t h) const {
    if constexpr (!kScoped) {
      return entity < by_entity_.size() ? by_entity_[entity] : kNone;
    } else {
      const uint64_t key = Key(scope, entity);
      const Slots::Shard& shard = slots_.For(h);
      const std::vector<Slot>& slots = shard.slots;
      const size_t mask = shard.mask;
      for (size_t i = h & mask;; i = (i + 1) & mask) {
        if (slots[i].key == key) return slots[i].index;  // an empty slot's key is kEmptyKey
        if (slots[i].index == kNone) return kNone;
      }
    }
  }
  std::optional<uint32_t> FindEntry(uint32_t scope, uint32_t entity) const {
    const uint32_t index = Find(scope, entity);
    return index == kNone ? std::nullopt : std::optional<uint32_t>(index);
  }

  // Restores one entry as it was serialized (values and seqs), dirty. Returns
  // false if (scope, entity) already has an entry.
  bool Restore(uint32_t scope, uint32_t entity, const int64_t value[kMetricCount],
               const uint64_t seq[kMetricCount]);

  // The board of `scope` (unscoped: the one board), nullptr if it has none.
  const Board* FindBoard(uint32_t scope) const;
  // As FindBoard, with its ordering by `metric` (built if need be) and its
  // other kept orderings brought up to date.
  Board* PrepareBoard(uint32_t scope, Metric metric);
  // The seq of the last event that changed the board of `scope`, 0 if it has
  // no board.
  uint64_t Version(uint32_t scope) const;

  const Entry& entry(uint32_t index) const {
    return pages_[index >> kPageBits][index & (kPageSize - 1)];
  }
  uint32_t entry_count() const { return entry_count_; }
  const Board& board(uint32_t index) const { return boards_[index]; }
  // The scope id of an entry's board (0 in an unscoped set).
  uint32_t ScopeOf(uint32_t index) const {
    return boards_[entry(index).board_and_dirty & ~kDirtyBit].scope;
  }
  bool scoped() const { return scoped_; }

  size_t MemoryBytes() const;

 private:
  static constexpr uint32_t kDirtyBit = 0x80000000u;
  // Entries live in fixed pages, not one vector: growth never copies them
  // and never holds twice their size for a moment.
  static constexpr uint32_t kPageBits = 10;
  static constexpr uint32_t kPageSize = 1u << kPageBits;
  // No real key: scope and entity ids are below 2^32 - 1 (kNone).
  static constexpr uint64_t kEmptyKey = ~uint64_t{0};

  struct Slot {
    uint64_t key;    // scope << 32 | entity; kEmptyKey: empty
    uint32_t index;  // kNone: empty
  };

  static uint64_t Key(uint32_t scope, uint32_t entity) { return uint64_t{scope} << 32 | entity; }
  uint32_t BoardFor(uint32_t scope);
  uint32_t Create(uint32_t scope, uint32_t entity);
  uint32_t FindOrCreate(uint32_t scope, uint32_t entity, bool* created);
  using Slots = ShardedSlots<Slot, 8>;
  // Scoped: a new entry in the empty slot `slot` of its probe sequence in
  // `shard`.
  uint32_t CreateAt(Slots::Shard& shard, size_t slot, uint32_t scope, uint32_t entity);
  uint32_t NewEntry(uint32_t scope, uint32_t entity);
  // A clean entry is about to change: its keys in the kept trees become
  // stale (unless it is new) and it joins its board's dirty list.
  void MarkDirty(uint32_t index, bool created);
  void GrowSlots(Slots::Shard& shard);
  Entry& mutable_entry(uint32_t index) {
    return pages_[index >> kPageBits][index & (kPageSize - 1)];
  }
  void Flush(Board& b);
  // Builds b's tree of metric m from all its entries, and keeps it.
  void Order(Board& b, int m);

  bool scoped_;
  std::vector<std::unique_ptr<Entry[]>> pages_;
  uint32_t entry_count_ = 0;
  // Pages of 64 boards: growth never moves a board (a scoped family has
  // one per scope, 100,000 for the users within teams).
  PagedVector<Board, 6> boards_;
  // By board index: the seq of the last event that changed the board. Apart
  // from the boards, as every update writes it: 8 bytes a board keep the
  // versions of 100,000 boards within a megabyte of cache.
  std::vector<uint64_t> versions_;
  // Unscoped: entity id → entry index. In pages, as the boards: a million
  // users' index doubling at once took milliseconds of copying and faults.
  PagedVector<uint32_t, 14> by_entity_;
  std::vector<uint32_t> board_of_scope_;  // scoped: scope id → board index
  Slots slots_;                           // scoped: the lookup of (scope, entity)
};

}  // namespace bangdan
