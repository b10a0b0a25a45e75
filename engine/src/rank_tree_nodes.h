// The node layout of RankTree and the moves between neighbouring nodes.
// Internal to rank_tree.cpp and rank_tree_check.cpp.
//
// Invariants:
//  - All leaves are at the same depth; height_ counts the levels, so a node's
//    kind is known from its level and nodes carry no type tag.
//  - A leaf holds 1..kLeafCap keys in board order, an inner node 2..kInnerCap
//    children; below the root, at least half of that.
//  - Inner separator sep[i] splits child i from child i+1: every key under
//    child i precedes it, no key under child i+1 does. After an erase it may
//    name a key no longer present; it still routes correctly.
//  - counts[i] is the number of keys under child i.
//  - Leaves are chained left to right through `next`.
#pragma once

#include <cstdint>
#include <cstring>

#include "rank_tree.h"

namespace bangdan {
namespace rank_tree_internal {

// A full leaf is 496 bytes, which malloc and jemalloc serve from their
// 512-byte class; an inner node is ~1 KB. Bigger leaves would make every insert and
// erase move more bytes; smaller ones would add levels and cache misses.
constexpr unsigned kLeafCap = 24;
constexpr unsigned kLeafMin = kLeafCap / 2;
constexpr unsigned kFirstLeafCap = 2;
constexpr unsigned kInnerCap = 32;
constexpr unsigned kInnerMin = kInnerCap / 2;
// With half-full inner nodes, 2^32 keys need fewer than 10 levels.
constexpr unsigned kMaxHeight = 16;

// Keys stored column by column: 20 bytes a key instead of RankKey's padded
// 24, and a search compares within the dense value column, reading seq and
// id only on a tie. The operations serve both column storage of a fixed
// size (inner nodes) and a view of columns laid out after a leaf's header.
template <typename Self>
struct KeyColumnOps {
  const Self& self() const { return static_cast<const Self&>(*this); }
  Self& self() { return static_cast<Self&>(*this); }

  RankKey Get(unsigned i) const { return {self().value[i], self().seq[i], self().id[i]}; }
  void Set(unsigned i, const RankKey& k) {
    self().value[i] = k.value;
    self().seq[i] = k.seq;
    self().id[i] = k.id;
  }
  bool Equals(unsigned i, const RankKey& k) const {
    return self().value[i] == k.value && self().seq[i] == k.seq && self().id[i] == k.id;
  }
  // Key i precedes k.
  bool Precedes(unsigned i, const RankKey& k) const {
    const Self& s = self();
    if (s.value[i] != k.value) return s.value[i] > k.value;
    if (s.seq[i] != k.seq) return s.seq[i] < k.seq;
    return s.id[i] < k.id;
  }
  // k precedes key i.
  bool Follows(unsigned i, const RankKey& k) const {
    const Self& s = self();
    if (s.value[i] != k.value) return k.value > s.value[i];
    if (s.seq[i] != k.seq) return k.seq < s.seq[i];
    return k.id < s.id[i];
  }
  // First i in [0, n) whose key does not precede k. A plain binary search:
  // at 1M keys it beat both a branch-free count over the value column and a
  // branch-free binary search (bench/RESULTS.md), as a lookup waits on cache
  // misses and speculation down the predicted branch overlaps them.
  unsigned LowerBound(unsigned n, const RankKey& k) const {
    unsigned lo = 0;
    while (n > 0) {
      unsigned half = n / 2;
      if (Precedes(lo + half, k)) {
        lo += half + 1;
        n -= half + 1;
      } else {
        n = half;
      }
    }
    return lo;
  }
  // First i in [0, n) whose key k precedes.
  unsigned UpperBound(unsigned n, const RankKey& k) const {
    unsigned lo = 0;
    while (n > 0) {
      unsigned half = n / 2;
      if (!Follows(lo + half, k)) {
        lo += half + 1;
        n -= half + 1;
      } else {
        n = half;
      }
    }
    return lo;
  }
  // Copies n keys from src[from, from+n) to [to, to+n); src may be this very
  // storage and the ranges may overlap.
  template <typename Src>
  void CopyFrom(const Src& src, unsigned from, unsigned to, unsigned n) {
    std::memmove(self().value + to, src.value + from, n * sizeof(int64_t));
    std::memmove(self().seq + to, src.seq + from, n * sizeof(uint64_t));
    std::memmove(self().id + to, src.id + from, n * sizeof(uint32_t));
  }
};

template <unsigned N>
struct KeyColumns : KeyColumnOps<KeyColumns<N>> {
  int64_t value[N];
  uint64_t seq[N];
  uint32_t id[N];
};

struct KeyColumnsView : KeyColumnOps<KeyColumnsView> {
  KeyColumnsView(int64_t* v, uint64_t* s, uint32_t* i) : value(v), seq(s), id(i) {}
  int64_t* value;
  uint64_t* seq;
  uint32_t* id;
};

}  // namespace rank_tree_internal

// Leaf and Inner are told apart by level, so the common base is empty.
struct RankTree::Node {};

// A leaf's key columns follow its header: value[capacity], seq[capacity],
// id[capacity]. Every leaf holds kLeafCap keys but a root leaf, which starts
// at kFirstLeafCap and doubles: most scoped boards rank a handful of
// entities, and a full leaf for each would be most of their memory.
struct RankTree::Leaf : Node {
  uint32_t count = 0;
  uint32_t capacity = 0;
  Leaf* next = nullptr;

  static size_t Bytes(unsigned capacity) {
    return sizeof(Leaf) + capacity * (sizeof(int64_t) + sizeof(uint64_t) + sizeof(uint32_t));
  }
  // A mutable view even of a const leaf: the const member functions of
  // RankTree only read through it.
  rank_tree_internal::KeyColumnsView keys() const {
    char* base = reinterpret_cast<char*>(const_cast<Leaf*>(this) + 1);
    return {reinterpret_cast<int64_t*>(base),
            reinterpret_cast<uint64_t*>(base + capacity * sizeof(int64_t)),
            reinterpret_cast<uint32_t*>(base + capacity * (sizeof(int64_t) + sizeof(uint64_t)))};
  }
  void InsertAt(unsigned pos, const RankKey& k) {
    rank_tree_internal::KeyColumnsView cols = keys();
    cols.CopyFrom(cols, pos, pos + 1, count - pos);
    cols.Set(pos, k);
    ++count;
  }
};

struct RankTree::Inner : Node {
  Node* child[rank_tree_internal::kInnerCap];
  rank_tree_internal::KeyColumns<rank_tree_internal::kInnerCap - 1> sep;
  uint32_t counts[rank_tree_internal::kInnerCap];
  uint32_t count = 0;  // children
};

namespace rank_tree_internal {

// Moves keys between adjacent leaves so that `left` ends with `left_count`
// keys, keeping their combined order.
template <typename L>
void BalanceLeaves(L* left, L* right, unsigned left_count) {
  if (left->count < left_count) {
    unsigned n = left_count - left->count;
    left->keys().CopyFrom(right->keys(), 0, left->count, n);
    right->keys().CopyFrom(right->keys(), n, 0, right->count - n);
    left->count += n;
    right->count -= n;
  } else if (left->count > left_count) {
    unsigned n = left->count - left_count;
    right->keys().CopyFrom(right->keys(), 0, n, right->count);
    right->keys().CopyFrom(left->keys(), left_count, 0, n);
    left->count -= n;
    right->count += n;
  }
}

// Two adjacent inner nodes' contents laid end to end, with the parent's
// separator between them; rebalancing gathers into it and scatters back.
template <typename NodeT>
struct InnerRow {
  NodeT* child[2 * kInnerCap];
  uint32_t counts[2 * kInnerCap];
  KeyColumns<2 * kInnerCap> sep;
  unsigned n = 0;  // children

  template <typename In>
  void Append(const In* in) {
    std::memcpy(child + n, in->child, in->count * sizeof(child[0]));
    std::memcpy(counts + n, in->counts, in->count * sizeof(counts[0]));
    sep.CopyFrom(in->sep, 0, n, in->count - 1);
    n += in->count;
  }
  // Gives `in` children [from, from+k) and the separators between them.
  template <typename In>
  void Give(unsigned from, unsigned k, In* in) const {
    std::memcpy(in->child, child + from, k * sizeof(child[0]));
    std::memcpy(in->counts, counts + from, k * sizeof(counts[0]));
    in->sep.CopyFrom(sep, from, 0, k - 1);
    in->count = k;
  }
  // Inserts child c at `at` (>= 1), with separator `before` ahead of it.
  void InsertChild(unsigned at, NodeT* c, uint32_t count, const RankKey& before) {
    std::memmove(child + at + 1, child + at, (n - at) * sizeof(child[0]));
    std::memmove(counts + at + 1, counts + at, (n - at) * sizeof(counts[0]));
    sep.CopyFrom(sep, at - 1, at, n - at);
    child[at] = c;
    counts[at] = count;
    sep.Set(at - 1, before);
    ++n;
  }
  uint32_t Sum(unsigned from, unsigned k) const {
    uint32_t s = 0;
    for (unsigned i = from; i < from + k; ++i) s += counts[i];
    return s;
  }
};

// Removes child k (>= 1) of `p` and the separator ahead of it.
template <typename In>
void RemoveChild(In* p, unsigned k) {
  unsigned n = p->count;
  std::memmove(p->child + k, p->child + k + 1, (n - k - 1) * sizeof(p->child[0]));
  std::memmove(p->counts + k, p->counts + k + 1, (n - k - 1) * sizeof(p->counts[0]));
  p->sep.CopyFrom(p->sep, k, k - 1, n - 1 - k);
  --p->count;
}

}  // namespace rank_tree_internal

}  // namespace bangdan
