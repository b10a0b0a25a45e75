// RankTree::Assign: a tree built bottom-up from keys already in order, for a
// board's ordering by a metric that is read for the first time (BoardSet).
// Inserting N keys one by one would cost a descent each; here each key is
// written once, and each node once.
#include <algorithm>
#include <cassert>

#include "rank_tree.h"
#include "rank_tree_nodes.h"

namespace bangdan {

using namespace rank_tree_internal;

namespace {

// Keys a built leaf gets, about: full leaves would split at the first insert
// into them, while two free places let a neighbour lend first. 20 cost 6 more
// bytes an entry in the engine's memory, at the same speed (bench/RESULTS.md).
constexpr unsigned kBuildLeafFill = 22;
// Children a built inner node gets, about.
constexpr unsigned kBuildInnerFill = 28;

// How many nodes to spread `n` items over so that each gets about `fill` and
// never fewer than `min` nor more than `cap` (n > cap; cap = 2 * min, so some
// count always fits).
size_t NodesFor(size_t n, size_t fill, size_t min, size_t cap) {
  size_t nodes = (n + fill - 1) / fill;
  while (n / nodes < min) --nodes;
  assert((n + nodes - 1) / nodes <= cap);
  (void)cap;
  return nodes;
}

}  // namespace

template <typename NextKey>
void RankTree::Build(size_t n, NextKey next) {
  root_ = nullptr;
  height_ = 0;
  size_ = n;
  if (n == 0) return;
  if (n <= kLeafCap) {  // a root leaf, with the capacity inserts would have grown it to
    unsigned capacity = kFirstLeafCap;
    while (capacity < n) capacity = std::min(2 * capacity, kLeafCap);
    Leaf* leaf = NewLeaf(capacity);
    for (unsigned i = 0; i < n; ++i) leaf->keys().Set(i, next());
    leaf->count = static_cast<uint32_t>(n);
    root_ = leaf;
    height_ = 1;
    return;
  }
  const size_t leaves = NodesFor(n, kBuildLeafFill, kLeafMin, kLeafCap);
  std::vector<Node*> level(leaves);
  std::vector<uint32_t> counts(leaves);
  std::vector<RankKey> firsts(leaves);
  Leaf* prev = nullptr;
  for (size_t i = 0; i < leaves; ++i) {
    // The first n % leaves leaves take one key more.
    const unsigned count = static_cast<unsigned>(n / leaves + (i < n % leaves ? 1 : 0));
    Leaf* leaf = NewLeaf(kLeafCap);
    KeyColumnsView cols = leaf->keys();
    for (unsigned k = 0; k < count; ++k) cols.Set(k, next());
    leaf->count = count;
    if (prev != nullptr) prev->next = leaf;
    prev = leaf;
    level[i] = leaf;
    counts[i] = count;
    firsts[i] = cols.Get(0);
  }
  height_ = 1;
  BuildInnerLevels(std::move(level), std::move(counts), std::move(firsts));
}

void RankTree::Assign(std::span<const RankKey> keys) {
  Clear();
  size_t i = 0;
  Build(keys.size(), [&] { return keys[i++]; });
}

void RankTree::Replace(std::span<RankKey> erase, std::span<RankKey> insert) {
  std::sort(erase.begin(), erase.end(), RankBefore);
  std::sort(insert.begin(), insert.end(), RankBefore);
  // A rebuild writes every key once more; a key erased or inserted one by
  // one costs a descent, mostly cache misses. Past about one changed key in
  // kRebuildRatio the rebuild is cheaper (bench/rank_tree_bench.cpp,
  // BM_Replace). Sorted, the keys one by one go faster too: neighbouring
  // descents share their nodes.
  constexpr size_t kRebuildRatio = 16;
  if ((erase.size() + insert.size()) * kRebuildRatio < size_) {
    for (const RankKey& k : erase) Erase(k);
    for (const RankKey& k : insert) Insert(k);
    return;
  }
  // Merge the old leaves' keys, walked in order, less those erased, with the
  // inserted ones into a new tree; then free the old nodes.
  assert(erase.size() <= size_);
  Node* old_root = root_;
  const size_t old_height = height_;
  Cursor c{};
  bool old_left = size_ > 0;
  if (old_left) c = Seek(0);
  auto erased = erase.begin();
  // Steps past the old keys that are erased (in the same order as the walk).
  auto skip_erased = [&] {
    while (old_left && erased != erase.end() && *erased == KeyAt(c)) {
      ++erased;
      old_left = Next(&c);
    }
  };
  skip_erased();
  auto inserted = insert.begin();
  Build(size_ - erase.size() + insert.size(), [&] {
    if (inserted != insert.end() && (!old_left || RankBefore(*inserted, KeyAt(c)))) {
      return *inserted++;
    }
    const RankKey k = KeyAt(c);
    old_left = Next(&c);
    skip_erased();
    return k;
  });
  assert(erased == erase.end());
  if (old_root != nullptr) FreeSubtree(old_root, old_height - 1);
}

void RankTree::BuildInnerLevels(std::vector<Node*> level, std::vector<uint32_t> counts,
                                std::vector<RankKey> firsts) {
  while (level.size() > 1) {
    const size_t c = level.size();
    const size_t parents = c <= kInnerCap ? 1 : NodesFor(c, kBuildInnerFill, kInnerMin, kInnerCap);
    std::vector<Node*> up(parents);
    std::vector<uint32_t> up_counts(parents);
    std::vector<RankKey> up_firsts(parents);
    size_t at = 0;
    for (size_t p = 0; p < parents; ++p) {
      const unsigned children = static_cast<unsigned>(c / parents + (p < c % parents ? 1 : 0));
      Inner* in = NewInner();
      uint32_t total = 0;
      for (unsigned k = 0; k < children; ++k) {
        in->child[k] = level[at + k];
        in->counts[k] = counts[at + k];
        total += counts[at + k];
        // Separator k - 1 splits child k - 1 from child k: child k's first key.
        if (k > 0) in->sep.Set(k - 1, firsts[at + k]);
      }
      in->count = children;
      up[p] = in;
      up_counts[p] = total;
      up_firsts[p] = firsts[at];
      at += children;
    }
    level = std::move(up);
    counts = std::move(up_counts);
    firsts = std::move(up_firsts);
    ++height_;
  }
  root_ = level[0];
}

}  // namespace bangdan
