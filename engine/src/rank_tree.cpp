// RankTree: an order-statistic B+ tree (design and figures: docs/rank_tree.md;
// node layout and invariants: rank_tree_nodes.h).
#include "rank_tree.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <new>

#include "prefetch.h"
#include "rank_tree_nodes.h"

namespace bangdan {

using namespace rank_tree_internal;

// ---------------------------------------------------------------- lifetime

RankTree::RankTree() = default;
RankTree::~RankTree() { Clear(); }

RankTree::RankTree(RankTree&& other) noexcept
    : root_(other.root_),
      size_(other.size_),
      height_(other.height_),
      nodes_bytes_(other.nodes_bytes_) {
  other.root_ = nullptr;
  other.size_ = other.height_ = other.nodes_bytes_ = 0;
}

RankTree& RankTree::operator=(RankTree&& other) noexcept {
  if (this != &other) {
    Clear();
    root_ = other.root_;
    size_ = other.size_;
    height_ = other.height_;
    nodes_bytes_ = other.nodes_bytes_;
    other.root_ = nullptr;
    other.size_ = other.height_ = other.nodes_bytes_ = 0;
  }
  return *this;
}

RankTree::Leaf* RankTree::NewLeaf(unsigned capacity) {
  nodes_bytes_ += Leaf::Bytes(capacity);
  Leaf* leaf = new (::operator new(Leaf::Bytes(capacity))) Leaf;
  leaf->capacity = capacity;
  return leaf;
}
RankTree::Inner* RankTree::NewInner() {
  nodes_bytes_ += sizeof(Inner);
  return new Inner;
}
void RankTree::FreeLeaf(Leaf* leaf) {
  nodes_bytes_ -= Leaf::Bytes(leaf->capacity);
  leaf->~Leaf();
  ::operator delete(leaf);
}
void RankTree::FreeInner(Inner* inner) {
  nodes_bytes_ -= sizeof(Inner);
  delete inner;
}

void RankTree::FreeSubtree(Node* node, size_t level) {
  if (level == 0) return FreeLeaf(static_cast<Leaf*>(node));
  Inner* in = static_cast<Inner*>(node);
  for (unsigned i = 0; i < in->count; ++i) FreeSubtree(in->child[i], level - 1);
  FreeInner(in);
}

void RankTree::Clear() {
  if (root_ != nullptr) FreeSubtree(root_, height_ - 1);
  root_ = nullptr;
  size_ = height_ = 0;
}

size_t RankTree::size() const { return size_; }
size_t RankTree::MemoryBytes() const { return nodes_bytes_; }

// ---------------------------------------------------------------- lookups

namespace {

// Starts loading every line a search of `bytes` bytes at `p` will read. A
// binary search over a cold column is a chain of dependent misses, one per
// probe; asked for at once, the lines arrive together.
void PrefetchLines(const void* p, size_t bytes) {
  const char* c = static_cast<const char*>(p);
  for (size_t off = 0; off < bytes; off += 64) PrefetchLine(c + off);
}

}  // namespace

// A descent reads most of each node it passes: the separators' values, their
// seqs whenever values tie (common: many users buy the same weight), the
// counts before the child taken, the child pointer, the count at the end. So
// the whole node is asked for at once.
void RankTree::PrefetchInner(const Inner* in) { PrefetchLines(in, sizeof(Inner)); }

// A full leaf's size, not this leaf's own capacity, which would be one more
// miss to read first.
void RankTree::PrefetchLeaf(const Leaf* leaf) {
  PrefetchLines(leaf, Leaf::Bytes(rank_tree_internal::kLeafCap));
}

// Descends to the leaf where `key` is or would be, noting the path.
RankTree::Leaf* RankTree::FindLeaf(const RankKey& key, Step* path) const {
  Node* node = root_;
  for (size_t d = 0; d + 1 < height_; ++d) {
    Inner* in = static_cast<Inner*>(node);
    PrefetchInner(in);
    unsigned i = in->sep.UpperBound(in->count - 1, key);
    path[d] = {in, i};
    node = in->child[i];
  }
  return static_cast<Leaf*>(node);
}

std::optional<size_t> RankTree::Rank(const RankKey& key) const {
  if (root_ == nullptr) return std::nullopt;
  const Node* node = root_;
  size_t rank = 0;
  for (size_t d = 0; d + 1 < height_; ++d) {
    const Inner* in = static_cast<const Inner*>(node);
    PrefetchInner(in);
    unsigned i = in->sep.UpperBound(in->count - 1, key);
    for (unsigned j = 0; j < i; ++j) rank += in->counts[j];
    node = in->child[i];
  }
  const Leaf* leaf = static_cast<const Leaf*>(node);
  PrefetchLeaf(leaf);
  unsigned pos = leaf->keys().LowerBound(leaf->count, key);
  if (pos == leaf->count || !leaf->keys().Equals(pos, key)) return std::nullopt;
  return rank + pos;
}

RankTree::Cursor RankTree::CursorAt(const Leaf* leaf, unsigned pos) {
  KeyColumnsView cols = leaf->keys();
  return {leaf, cols.value, cols.seq, cols.id, pos, leaf->count};
}

RankTree::Cursor RankTree::Seek(size_t rank) const {
  assert(rank < size_);
  const Node* node = root_;
  for (size_t d = 0; d + 1 < height_; ++d) {
    const Inner* in = static_cast<const Inner*>(node);
    // A walk by position reads only the counts and one child pointer.
    PrefetchLines(in->counts, sizeof(in->counts));
    PrefetchLines(in->child, sizeof(in->child));
    unsigned i = 0;
    while (rank >= in->counts[i]) rank -= in->counts[i++];
    node = in->child[i];
  }
  return CursorAt(static_cast<const Leaf*>(node), static_cast<unsigned>(rank));
}

RankKey RankTree::At(size_t rank) const { return KeyAt(Seek(rank)); }

bool RankTree::NextLeaf(Cursor* c) {
  if (c->leaf->next == nullptr) return false;
  *c = CursorAt(c->leaf->next, 0);
  return true;
}

// ---------------------------------------------------------------- insert

void RankTree::Insert(const RankKey& key) {
  if (root_ == nullptr) {
    Leaf* leaf = NewLeaf(kFirstLeafCap);
    leaf->InsertAt(0, key);
    root_ = leaf;
    height_ = size_ = 1;
    return;
  }
  Step path[kMaxHeight];
  Leaf* leaf = FindLeaf(key, path);
  unsigned pos = leaf->keys().LowerBound(leaf->count, key);
  if (pos < leaf->count && leaf->keys().Equals(pos, key)) {
    assert(false && "RankTree::Insert: key already present");
    return;
  }
  for (size_t d = 0; d + 1 < height_; ++d) ++path[d].node->counts[path[d].idx];
  ++size_;
  if (leaf->count == leaf->capacity && leaf->capacity < kLeafCap) leaf = GrowRootLeaf();
  if (leaf->count < leaf->capacity) return leaf->InsertAt(pos, key);
  InsertIntoFullLeaf(leaf, pos, key, path);
}

// Only a root leaf is ever below full capacity; it doubles, up to kLeafCap.
RankTree::Leaf* RankTree::GrowRootLeaf() {
  Leaf* old = static_cast<Leaf*>(root_);
  assert(height_ == 1);
  Leaf* grown = NewLeaf(std::min(2 * old->capacity, kLeafCap));
  grown->keys().CopyFrom(old->keys(), 0, 0, old->count);
  grown->count = old->count;
  FreeLeaf(old);
  root_ = grown;
  return grown;
}

// Places `key` at position q of the keys of `left` and `right` (adjacent
// leaves, combined at most 2 * kLeafCap - 1 keys) so that `left` ends with
// `left_after` keys.
template <typename L>
static void InsertAcross(L* left, L* right, unsigned q, const RankKey& key, unsigned left_after) {
  if (q < left_after) {
    BalanceLeaves(left, right, left_after - 1);
    left->InsertAt(q, key);
  } else {
    BalanceLeaves(left, right, left_after);
    right->InsertAt(q - left_after, key);
  }
}

// After keys moved between leaves j and j+1 of `p`, restores the separator
// and the counts between them.
template <typename In, typename L>
static void SettleLeaves(In* p, unsigned j, const L* left, const L* right) {
  p->sep.Set(j, right->keys().Get(0));
  p->counts[j] = left->count;
  p->counts[j + 1] = right->count;
}

void RankTree::InsertIntoFullLeaf(Leaf* leaf, unsigned pos, const RankKey& key, Step* path) {
  const int parent_depth = static_cast<int>(height_) - 2;
  if (parent_depth >= 0) {
    // A neighbour with room takes some keys first: it defers the split and
    // keeps the leaves of random inserts ~80% full instead of ~70%.
    Inner* p = path[parent_depth].node;
    unsigned i = path[parent_depth].idx;
    if (i > 0) {
      Leaf* left = static_cast<Leaf*>(p->child[i - 1]);
      if (left->count < kLeafCap) {
        InsertAcross(left, leaf, left->count + pos, key, (left->count + kLeafCap + 1) / 2);
        return SettleLeaves(p, i - 1, left, leaf);
      }
    }
    if (i + 1 < p->count) {
      Leaf* right = static_cast<Leaf*>(p->child[i + 1]);
      if (right->count < kLeafCap) {
        InsertAcross(leaf, right, pos, key, (kLeafCap + right->count + 1) / 2);
        return SettleLeaves(p, i, leaf, right);
      }
    }
  }
  Leaf* right = NewLeaf(kLeafCap);
  right->next = leaf->next;
  leaf->next = right;
  unsigned left_after = (kLeafCap + 1) / 2;
  InsertAcross(leaf, right, pos, key, left_after);
  AddChild(path, parent_depth, right, right->keys().Get(0), right->count);
}

// Records `right`, split off the child taken at path[depth], in that parent;
// splits the parent in turn when it is full. depth -1: the root split.
void RankTree::AddChild(Step* path, int depth, Node* right, const RankKey& sep,
                        uint32_t right_count) {
  RankKey up = sep;
  for (;; --depth) {
    if (depth < 0) {
      Inner* root = NewInner();
      root->child[0] = root_;
      root->child[1] = right;
      root->counts[0] = static_cast<uint32_t>(size_ - right_count);
      root->counts[1] = right_count;
      root->sep.Set(0, up);
      root->count = 2;
      root_ = root;
      ++height_;
      return;
    }
    Inner* p = path[depth].node;
    unsigned i = path[depth].idx;
    p->counts[i] -= right_count;
    unsigned n = p->count;
    if (n < kInnerCap) {
      std::memmove(p->child + i + 2, p->child + i + 1, (n - i - 1) * sizeof(p->child[0]));
      std::memmove(p->counts + i + 2, p->counts + i + 1, (n - i - 1) * sizeof(p->counts[0]));
      p->sep.CopyFrom(p->sep, i, i + 1, n - 1 - i);
      p->child[i + 1] = right;
      p->counts[i + 1] = right_count;
      p->sep.Set(i, up);
      ++p->count;
      return;
    }
    InnerRow<Node> row;
    row.Append(p);
    row.InsertChild(i + 1, right, right_count, up);
    Inner* split = NewInner();
    unsigned h = row.n / 2;
    row.Give(0, h, p);
    row.Give(h, row.n - h, split);
    up = row.sep.Get(h - 1);
    right = split;
    right_count = row.Sum(h, row.n - h);
  }
}

// ---------------------------------------------------------------- erase

bool RankTree::Erase(const RankKey& key) {
  if (root_ == nullptr) return false;
  Step path[kMaxHeight];
  Leaf* leaf = FindLeaf(key, path);
  unsigned pos = leaf->keys().LowerBound(leaf->count, key);
  if (pos == leaf->count || !leaf->keys().Equals(pos, key)) return false;
  for (size_t d = 0; d + 1 < height_; ++d) --path[d].node->counts[path[d].idx];
  --size_;
  leaf->keys().CopyFrom(leaf->keys(), pos + 1, pos, leaf->count - pos - 1);
  --leaf->count;
  if (height_ == 1) {
    if (leaf->count == 0) {
      FreeLeaf(leaf);
      root_ = nullptr;
      height_ = 0;
    }
  } else if (leaf->count < kLeafMin) {
    RebalanceLeaf(path);
  }
  return true;
}

// The leaf at the end of `path` fell below half full: it borrows from a
// neighbour, or, when the two fit in one leaf, they merge and the parent
// loses a child.
void RankTree::RebalanceLeaf(Step* path) {
  const int depth = static_cast<int>(height_) - 2;
  Inner* p = path[depth].node;
  unsigned i = path[depth].idx;
  unsigned j = i > 0 ? i - 1 : i;
  Leaf* left = static_cast<Leaf*>(p->child[j]);
  Leaf* right = static_cast<Leaf*>(p->child[j + 1]);
  unsigned total = left->count + right->count;
  if (total > kLeafCap) {
    BalanceLeaves(left, right, total / 2);
    return SettleLeaves(p, j, left, right);
  }
  BalanceLeaves(left, right, total);
  left->next = right->next;
  FreeLeaf(right);
  RemoveChild(p, j + 1);
  p->counts[j] = left->count;
  RebalanceInner(path, depth);
}

// The inner node at path[depth] lost a child: the root gives way to its only
// child; any other node below half full borrows from or merges with a
// neighbour, going up while parents underflow.
void RankTree::RebalanceInner(Step* path, int depth) {
  for (;; --depth) {
    Inner* node = path[depth].node;
    if (depth == 0) {
      if (node->count == 1) {
        root_ = node->child[0];
        FreeInner(node);
        --height_;
      }
      return;
    }
    if (node->count >= kInnerMin) return;
    Inner* p = path[depth - 1].node;
    unsigned i = path[depth - 1].idx;
    unsigned j = i > 0 ? i - 1 : i;
    Inner* left = static_cast<Inner*>(p->child[j]);
    Inner* right = static_cast<Inner*>(p->child[j + 1]);
    InnerRow<Node> row;
    row.Append(left);
    row.sep.Set(row.n - 1, p->sep.Get(j));
    row.Append(right);
    if (row.n > kInnerCap) {
      unsigned h = row.n / 2;
      row.Give(0, h, left);
      row.Give(h, row.n - h, right);
      p->sep.Set(j, row.sep.Get(h - 1));
      p->counts[j] = row.Sum(0, h);
      p->counts[j + 1] = row.Sum(h, row.n - h);
      return;
    }
    row.Give(0, row.n, left);
    FreeInner(right);
    RemoveChild(p, j + 1);
    p->counts[j] = row.Sum(0, row.n);
  }
}

}  // namespace bangdan
