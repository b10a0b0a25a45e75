// BoardSet: every board of one family (a dimension with one scope kind, e.g.
// "team within firm") in one window (total, or one day).
//
// Entries: one per (scope, entity) that has had an event, in a vector in
// order of first appearance (so the layout is a function of the event
// sequence). Unscoped families find an entry through a vector indexed by
// entity id; scoped ones through an open-addressing map keyed by
// scope id << 32 | entity id.
//
// Lazy ordering: each board (one per scope id) keeps three RankTrees, one per
// metric, and a dirty list. Add() costs O(1): the first time an entry changes
// after the board was last read, its three keys leave the trees (its values at
// that moment are exactly the indexed ones) and it joins the dirty list; its
// values then change in place, as often as events come. Prepare() puts the
// dirty entries back with their current keys before a read. A hot entity thus
// costs no tree work at all between two reads of its board.
//
// RankKey.id is the entry's index in this set. Within one board (value, seq)
// is already unique — one event changes at most one entity of a board, so no
// two entities share the seq of their last change — hence the id never decides
// the order and the tree order is exactly SPEC §2's (value, seq, key bytes).
//
// Thread safety: none.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "bangdan/board.h"
#include "rank_tree.h"

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
  struct Entry {
    int64_t value[kMetricCount];
    uint64_t seq[kMetricCount];  // the event that last changed each value
    uint32_t entity;
    uint32_t board_and_dirty;    // board index; top bit: dirty
  };

  struct Board {
    RankTree trees[kMetricCount];
    std::vector<uint32_t> dirty;  // entries changed since the last Prepare
    uint64_t version = 0;         // seq of the last event that changed the board
    uint32_t scope = 0;
    uint32_t count = 0;           // entries on the board
  };

  explicit BoardSet(bool scoped);
  BoardSet(const BoardSet&) = delete;
  BoardSet& operator=(const BoardSet&) = delete;
  BoardSet(BoardSet&&) noexcept = default;
  BoardSet& operator=(BoardSet&&) noexcept = default;

  // Adds `delta` to the entry (scope, entity), creating it; the event is seq.
  // Unscoped sets ignore `scope`. Same as Prefetch, Locate, then Update.
  void Add(uint32_t scope, uint32_t entity, const int64_t delta[kMetricCount], uint64_t seq) {
    bool created;
    const uint32_t index = Locate(scope, entity, &created);
    Update(index, created, delta, seq);
  }

  // The three steps of Add, apart so that Apply can interleave the memory
  // accesses of the ~20 entries one event touches (the entries of cold
  // entities are cache misses; issued together they overlap):
  // 1. starts loading the lookup slot of (scope, entity) and its board;
  void Prefetch(uint32_t scope, uint32_t entity) const;
  // 1b. (batches) once the slot is in cache: the entry's index if it exists
  //     (kNone if not), its entry and board starting to load. Indexes never
  //     change, so Update may take this one instead of Locate's.
  uint32_t FindAndPrefetch(uint32_t scope, uint32_t entity) const;
  // 2. finds or creates the entry and starts loading it;
  uint32_t Locate(uint32_t scope, uint32_t entity, bool* created);
  // 3. adds delta to it.
  void Update(uint32_t index, bool created, const int64_t delta[kMetricCount], uint64_t seq);

  // Restores one entry as it was serialized (values and seqs), dirty. Returns
  // false if (scope, entity) already has an entry.
  bool Restore(uint32_t scope, uint32_t entity, const int64_t value[kMetricCount],
               const uint64_t seq[kMetricCount]);

  // The board of `scope` (unscoped: the one board), nullptr if it has none.
  const Board* FindBoard(uint32_t scope) const;
  // As FindBoard, with its orderings brought up to date.
  Board* PrepareBoard(uint32_t scope);
  // The entry of (scope, entity) if there is one.
  std::optional<uint32_t> FindEntry(uint32_t scope, uint32_t entity) const;

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

  struct Slot {
    uint64_t key;    // scope << 32 | entity
    uint32_t index;  // kNone: empty
  };

  uint32_t BoardFor(uint32_t scope);
  uint32_t FindOrCreate(uint32_t scope, uint32_t entity, bool* created);
  uint32_t NewEntry(uint32_t scope, uint32_t entity);
  void GrowSlots();
  Entry& mutable_entry(uint32_t index) {
    return pages_[index >> kPageBits][index & (kPageSize - 1)];
  }
  void Flush(Board& b);

  bool scoped_;
  std::vector<std::unique_ptr<Entry[]>> pages_;
  uint32_t entry_count_ = 0;
  std::vector<Board> boards_;
  std::vector<uint32_t> by_entity_;       // unscoped: entity id → entry index
  std::vector<uint32_t> board_of_scope_;  // scoped: scope id → board index
  std::vector<Slot> slots_;               // scoped: power-of-two size
  size_t slot_count_ = 0;
};

}  // namespace bangdan
