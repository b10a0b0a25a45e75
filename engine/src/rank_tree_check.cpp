// RankTree::CheckInvariants: walks the whole tree; for tests.
#include <string>

#include "rank_tree.h"
#include "rank_tree_nodes.h"

namespace bangdan {

using namespace rank_tree_internal;

std::string RankTree::CheckInvariants() const {
  if (root_ == nullptr) {
    if (size_ != 0 || height_ != 0 || nodes_bytes_ != 0)
      return "empty tree with size, height or bytes";
    return "";
  }
  if (height_ > kMaxHeight) return "height " + std::to_string(height_) + " above the maximum";
  size_t keys = 0, bytes = 0;
  const Leaf* last = nullptr;
  std::string err = CheckSubtree(root_, height_ - 1, nullptr, nullptr, &keys, &bytes, &last);
  if (!err.empty()) return err;
  if (last->next != nullptr) return "the last leaf links to another";
  if (keys != size_)
    return "size() " + std::to_string(size_) + " but " + std::to_string(keys) + " keys";
  if (bytes != nodes_bytes_) return "MemoryBytes() disagrees with the nodes";
  return "";
}

std::string RankTree::CheckSubtree(const Node* node, size_t level, const RankKey* lo,
                                   const RankKey* hi, size_t* keys, size_t* bytes,
                                   const Leaf** prev_leaf) const {
  const std::string where = "level " + std::to_string(level) + ": ";
  const bool is_root = node == root_;
  if (level == 0) {
    const Leaf* leaf = static_cast<const Leaf*>(node);
    if (is_root ? leaf->capacity > kLeafCap : leaf->capacity != kLeafCap)
      return where + "leaf of capacity " + std::to_string(leaf->capacity);
    if (leaf->count > leaf->capacity || leaf->count < (is_root ? 1 : kLeafMin))
      return where + "leaf with " + std::to_string(leaf->count) + " keys";
    for (unsigned i = 0; i < leaf->count; ++i) {
      if (i > 0 && !leaf->keys().Precedes(i - 1, leaf->keys().Get(i)))
        return where + "leaf keys out of order";
      if (lo != nullptr && leaf->keys().Precedes(i, *lo))
        return where + "leaf key before its separator";
      if (hi != nullptr && !leaf->keys().Precedes(i, *hi))
        return where + "leaf key not before the next separator";
    }
    if (*prev_leaf != nullptr && (*prev_leaf)->next != leaf)
      return where + "leaf chain skips a leaf";
    *prev_leaf = leaf;
    *keys += leaf->count;
    *bytes += Leaf::Bytes(leaf->capacity);
    return "";
  }
  const Inner* in = static_cast<const Inner*>(node);
  if (in->count > kInnerCap || in->count < (is_root ? 2 : kInnerMin))
    return where + "inner node with " + std::to_string(in->count) + " children";
  RankKey seps[kInnerCap - 1];
  for (unsigned i = 0; i + 1 < in->count; ++i) {
    seps[i] = in->sep.Get(i);
    if (i > 0 && !RankBefore(seps[i - 1], seps[i])) return where + "separators out of order";
    if (lo != nullptr && RankBefore(seps[i], *lo)) return where + "separator below its bound";
    if (hi != nullptr && !RankBefore(seps[i], *hi)) return where + "separator above its bound";
  }
  *bytes += sizeof(Inner);
  for (unsigned i = 0; i < in->count; ++i) {
    size_t below = 0;
    std::string err = CheckSubtree(in->child[i], level - 1, i == 0 ? lo : &seps[i - 1],
                                   i + 1 == in->count ? hi : &seps[i], &below, bytes, prev_leaf);
    if (!err.empty()) return err;
    if (below != in->counts[i])
      return where + "count " + std::to_string(in->counts[i]) + " but " + std::to_string(below) +
             " keys below";
    *keys += below;
  }
  return "";
}

}  // namespace bangdan
