// RankTree::Assign (engine/src/rank_tree_build.cpp): a tree built from keys
// in order must be a tree like any other — every invariant, every query —
// and stay one through the inserts and erases that follow.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "rank_tree.h"

namespace bangdan {
namespace {

std::vector<RankKey> All(const RankTree& tree) {
  std::vector<RankKey> out;
  tree.ForEach(0, tree.size(), [&](const RankKey& k) { out.push_back(k); });
  return out;
}

// n distinct keys in board order; values drawn from a small range so that
// ties on value (decided by seq) are common, as on real boards.
std::vector<RankKey> SortedKeys(size_t n, std::mt19937_64& rng) {
  std::vector<RankKey> keys(n);
  for (size_t i = 0; i < n; ++i) {
    keys[i] = {static_cast<int64_t>(rng() % (n / 4 + 2)) - 3, rng() % 1'000'000'000, static_cast<uint32_t>(i)};
  }
  std::sort(keys.begin(), keys.end(), RankBefore);
  return keys;
}

void ExpectSameAs(const RankTree& tree, const std::vector<RankKey>& keys) {
  ASSERT_EQ(tree.CheckInvariants(), "");
  ASSERT_EQ(tree.size(), keys.size());
  ASSERT_EQ(All(tree), keys);
  for (size_t r = 0; r < keys.size(); r += 1 + keys.size() / 97) {
    ASSERT_EQ(tree.Rank(keys[r]), r);
    ASSERT_EQ(tree.At(r), keys[r]);
  }
}

TEST(RankTreeBuildTest, EverySmallSizeBuildsAValidTree) {
  std::mt19937_64 rng(1);
  for (size_t n = 0; n <= 2000; n += (n < 100 ? 1 : 37)) {
    SCOPED_TRACE(n);
    RankTree tree;
    const std::vector<RankKey> keys = SortedKeys(n, rng);
    tree.Assign(keys);
    ExpectSameAs(tree, keys);
  }
}

TEST(RankTreeBuildTest, ABigBuildIsNoLargerThanRandomInserts) {
  std::mt19937_64 rng(2);
  const std::vector<RankKey> keys = SortedKeys(300'000, rng);
  RankTree built;
  built.Assign(keys);
  ExpectSameAs(built, keys);
  std::vector<RankKey> shuffled = keys;
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  RankTree inserted;
  for (const RankKey& k : shuffled) inserted.Insert(k);
  // Built leaves hold 22 of 24 keys; random inserts with lending settle near
  // 80 % (docs/rank_tree.md): a built tree is no larger, and holds its keys'
  // 20 bytes and a little more.
  EXPECT_LE(built.MemoryBytes(), inserted.MemoryBytes());
  EXPECT_GT(built.MemoryBytes(), 20 * keys.size());
  EXPECT_LT(built.MemoryBytes(), 25 * keys.size());
}

TEST(RankTreeBuildTest, AssignReplacesWhatTheTreeHeld) {
  std::mt19937_64 rng(3);
  RankTree tree;
  for (const RankKey& k : SortedKeys(5000, rng)) tree.Insert(k);
  const std::vector<RankKey> keys = SortedKeys(77, rng);
  tree.Assign(keys);
  ExpectSameAs(tree, keys);
  tree.Assign({});
  EXPECT_EQ(tree.size(), 0u);
  EXPECT_EQ(tree.MemoryBytes(), 0u);
  EXPECT_EQ(tree.CheckInvariants(), "");
}

// After a build, random inserts and erases (which split, lend, borrow and
// merge the built nodes) against a sorted vector.
TEST(RankTreeBuildTest, ABuiltTreeTakesInsertsAndErases) {
  std::mt19937_64 rng(4);
  for (size_t n : {1u, 24u, 25u, 480u, 481u, 20'000u}) {
    SCOPED_TRACE(n);
    std::vector<RankKey> model = SortedKeys(n, rng);
    RankTree tree;
    tree.Assign(model);
    uint32_t next_id = static_cast<uint32_t>(n);
    for (int op = 0; op < 6000; ++op) {
      if (!model.empty() && rng() % 2 == 0) {
        const size_t i = rng() % model.size();
        ASSERT_TRUE(tree.Erase(model[i]));
        model.erase(model.begin() + static_cast<ptrdiff_t>(i));
      } else {
        const RankKey k{static_cast<int64_t>(rng() % (n / 4 + 2)), rng(), next_id++};
        tree.Insert(k);
        model.insert(std::upper_bound(model.begin(), model.end(), k, RankBefore), k);
      }
      if (op % 500 == 0) {
        ASSERT_EQ(tree.CheckInvariants(), "");
      }
    }
    ExpectSameAs(tree, model);
  }
}

}  // namespace
}  // namespace bangdan
