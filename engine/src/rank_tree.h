// RankTree: the ordered structure at the heart of every board.
//
// An order-statistic B+ tree over RankKey: inner nodes keep, for each child,
// the number of keys below it, so that the rank of a key and the key at a
// rank are both found in O(log N) while touching a few cache lines. Keys are
// packed in leaves (no per-key allocation), which keeps memory per entry near
// the key's own size. See docs/rank_tree.md for the node layout, why this and
// not a skiplist, and measured figures.
//
// Order: higher value first; equal values: smaller seq first (the entity that
// reached its value first); then smaller id. Within one board (value, seq) is
// already unique — one event changes one entity per board — so id only makes
// the order total.
//
// Thread safety: none; the owner serializes access.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace bangdan {

struct RankKey {
  int64_t value = 0;
  uint64_t seq = 0;
  uint32_t id = 0;

  bool operator==(const RankKey&) const = default;
};

// a precedes b in board order.
inline bool RankBefore(const RankKey& a, const RankKey& b) {
  if (a.value != b.value) return a.value > b.value;
  if (a.seq != b.seq) return a.seq < b.seq;
  return a.id < b.id;
}

class RankTree {
 public:
  RankTree();
  ~RankTree();
  RankTree(const RankTree&) = delete;
  RankTree& operator=(const RankTree&) = delete;
  RankTree(RankTree&&) noexcept;
  RankTree& operator=(RankTree&&) noexcept;

  // REQUIRES: key not present (a present key leaves the tree unchanged);
  // fewer than 2^32 keys, as subtree counts are 32-bit.
  void Insert(const RankKey& key);
  // Returns false if key was not present.
  bool Erase(const RankKey& key);
  // Replaces the contents with `keys`, which are in board order, without
  // repeats. Builds the tree bottom-up in O(N), leaves 22 of 24 full so that
  // later inserts do not split at once: a board's ordering by a metric is
  // made this way the first time that metric is read.
  void Assign(std::span<const RankKey> keys);
  // Erases every key of `erase` (all present) and inserts every key of
  // `insert` (none present once those are gone); both are reordered in
  // place. Many keys against the tree's size — a busy board read after a
  // while — are merged with the tree's own in one pass and the tree rebuilt:
  // a walk of the leaves in order instead of a descent per key. Few are
  // erased and inserted one by one, in order, so that neighbouring descents
  // share their nodes.
  void Replace(std::span<RankKey> erase, std::span<RankKey> insert);
  size_t size() const;
  void Clear();

  // 0-based position of key in board order; nullopt if absent.
  std::optional<size_t> Rank(const RankKey& key) const;
  // The key at 0-based position `rank`. REQUIRES: rank < size().
  RankKey At(size_t rank) const;

  // Calls f(const RankKey&) for positions from, from+1, … up to `count` keys
  // (fewer at the end). Walks leaves; O(log N + count).
  template <typename F>
  void ForEach(size_t from, size_t count, F&& f) const;

  // Heap bytes held by the tree.
  size_t MemoryBytes() const;

  // Checks every invariant (ordering, counts, fill); for tests. Returns "" or
  // a description of the first violation.
  std::string CheckInvariants() const;

 private:
  struct Node;
  struct Leaf;
  struct Inner;
  // One level of a root-to-leaf descent: the inner node and the child taken.
  struct Step {
    Inner* node;
    unsigned idx;
  };
  // Leaf-walking cursor used by ForEach. It holds the current leaf's key
  // columns, so that stepping within a leaf and reading a key are inlined
  // into ForEach; only moving to the next leaf is a call.
  struct Cursor {
    const Leaf* leaf;
    const int64_t* value;
    const uint64_t* seq;
    const uint32_t* id;
    unsigned pos;
    unsigned count;
  };
  Cursor Seek(size_t rank) const;
  static Cursor CursorAt(const Leaf* leaf, unsigned pos);
  static bool Next(Cursor* c) { return ++c->pos < c->count || NextLeaf(c); }
  static bool NextLeaf(Cursor* c);
  static RankKey KeyAt(const Cursor& c) { return {c.value[c.pos], c.seq[c.pos], c.id[c.pos]}; }

  Leaf* FindLeaf(const RankKey& key, Step* path) const;
  static void PrefetchInner(const Inner* in);
  static void PrefetchLeaf(const Leaf* leaf);
  void InsertIntoFullLeaf(Leaf* leaf, unsigned pos, const RankKey& key, Step* path);
  void AddChild(Step* path, int depth, Node* right, const RankKey& sep, uint32_t right_count);
  void RebalanceLeaf(Step* path);
  void RebalanceInner(Step* path, int depth);
  Leaf* NewLeaf(unsigned capacity);
  Leaf* GrowRootLeaf();
  Inner* NewInner();
  void FreeLeaf(Leaf* leaf);
  void FreeInner(Inner* inner);
  void FreeSubtree(Node* node, size_t level);
  // Replaces root_, height_ and size_ with a tree of the n keys that
  // next() gives in board order (the old nodes are the caller's to free).
  template <typename NextKey>
  void Build(size_t n, NextKey next);
  // Build's levels above the leaves: groups `level` (nodes, their key
  // counts and first keys) into inner nodes until one root is left.
  void BuildInnerLevels(std::vector<Node*> level, std::vector<uint32_t> counts,
                        std::vector<RankKey> firsts);
  std::string CheckSubtree(const Node* node, size_t level, const RankKey* lo, const RankKey* hi,
                           size_t* keys, size_t* bytes, const Leaf** prev_leaf) const;

  Node* root_ = nullptr;
  size_t size_ = 0;
  size_t height_ = 0;  // levels: 0 when empty, 1 when the root is a leaf
  size_t nodes_bytes_ = 0;
};

template <typename F>
void RankTree::ForEach(size_t from, size_t count, F&& f) const {
  if (from >= size_ || count == 0) return;
  Cursor c = Seek(from);
  for (size_t i = 0; i < count; ++i) {
    f(KeyAt(c));
    if (!Next(&c)) break;
  }
}

}  // namespace bangdan
