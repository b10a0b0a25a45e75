#include "rank_tree.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <utility>
#include <vector>

namespace bangdan {
namespace {

std::vector<RankKey> Collect(const RankTree& tree, size_t from, size_t count) {
  std::vector<RankKey> out;
  tree.ForEach(from, count, [&](const RankKey& k) { out.push_back(k); });
  return out;
}

std::vector<RankKey> All(const RankTree& tree) { return Collect(tree, 0, tree.size()); }

// ---------------------------------------------------------------- small cases

TEST(RankTreeTest, EmptyTreeHoldsNothing) {
  RankTree tree;
  EXPECT_EQ(tree.size(), 0u);
  EXPECT_EQ(tree.MemoryBytes(), 0u);
  EXPECT_EQ(tree.Rank({5, 1, 1}), std::nullopt);
  EXPECT_FALSE(tree.Erase({5, 1, 1}));
  EXPECT_TRUE(Collect(tree, 0, 10).empty());
  EXPECT_EQ(tree.CheckInvariants(), "");
}

TEST(RankTreeTest, OneKeyIsAtRankZero) {
  RankTree tree;
  tree.Insert({42, 7, 3});
  EXPECT_EQ(tree.size(), 1u);
  EXPECT_EQ(tree.Rank({42, 7, 3}), 0u);
  EXPECT_EQ(tree.At(0), (RankKey{42, 7, 3}));
  EXPECT_EQ(Collect(tree, 0, 10), (std::vector<RankKey>{{42, 7, 3}}));
  EXPECT_TRUE(Collect(tree, 1, 10).empty());
  EXPECT_GT(tree.MemoryBytes(), 0u);
  EXPECT_EQ(tree.CheckInvariants(), "");
  EXPECT_TRUE(tree.Erase({42, 7, 3}));
  EXPECT_EQ(tree.size(), 0u);
  EXPECT_EQ(tree.MemoryBytes(), 0u);
  EXPECT_EQ(tree.CheckInvariants(), "");
}

TEST(RankTreeTest, HigherValueRanksFirst) {
  RankTree tree;
  tree.Insert({10, 1, 1});
  tree.Insert({30, 2, 2});
  tree.Insert({20, 3, 3});
  EXPECT_EQ(All(tree), (std::vector<RankKey>{{30, 2, 2}, {20, 3, 3}, {10, 1, 1}}));
  EXPECT_EQ(tree.Rank({10, 1, 1}), 2u);
}

TEST(RankTreeTest, EqualValuesRankByEarlierSeqThenSmallerId) {
  RankTree tree;
  tree.Insert({100, 9, 1});
  tree.Insert({100, 4, 8});
  tree.Insert({100, 4, 2});
  tree.Insert({100, 5, 0});
  EXPECT_EQ(All(tree), (std::vector<RankKey>{{100, 4, 2}, {100, 4, 8}, {100, 5, 0}, {100, 9, 1}}));
}

TEST(RankTreeTest, NegativeValuesRankBelowZero) {
  RankTree tree;
  tree.Insert({-5, 1, 1});
  tree.Insert({0, 2, 2});
  tree.Insert({-1, 3, 3});
  tree.Insert({std::numeric_limits<int64_t>::min(), 4, 4});
  tree.Insert({std::numeric_limits<int64_t>::max(), 5, 5});
  EXPECT_EQ(All(tree), (std::vector<RankKey>{{std::numeric_limits<int64_t>::max(), 5, 5},
                                             {0, 2, 2},
                                             {-1, 3, 3},
                                             {-5, 1, 1},
                                             {std::numeric_limits<int64_t>::min(), 4, 4}}));
}

TEST(RankTreeTest, ExtremeSeqAndIdStillOrder) {
  RankTree tree;
  const uint64_t max_seq = std::numeric_limits<uint64_t>::max();
  const uint32_t max_id = std::numeric_limits<uint32_t>::max();
  tree.Insert({1, max_seq, max_id});
  tree.Insert({1, max_seq, 0});
  tree.Insert({1, 0, max_id});
  EXPECT_EQ(All(tree),
            (std::vector<RankKey>{{1, 0, max_id}, {1, max_seq, 0}, {1, max_seq, max_id}}));
}

TEST(RankTreeTest, AbsentKeysAreNotFoundNorErased) {
  RankTree tree;
  for (uint32_t i = 0; i < 1000; ++i) tree.Insert({int64_t(i) * 2, i, i});
  EXPECT_EQ(tree.Rank({3, 1, 1}), std::nullopt);  // value between keys
  EXPECT_EQ(tree.Rank({2, 1, 2}), std::nullopt);  // value present, id differs
  EXPECT_FALSE(tree.Erase({2, 2, 1}));            // value present, seq differs
  EXPECT_FALSE(tree.Erase({-1, 0, 0}));           // below every key
  EXPECT_FALSE(tree.Erase({5000, 0, 0}));         // above every key
  EXPECT_EQ(tree.size(), 1000u);
  EXPECT_EQ(tree.CheckInvariants(), "");
}

TEST(RankTreeTest, ForEachStopsAtTheLastKey) {
  RankTree tree;
  for (uint32_t i = 0; i < 500; ++i) tree.Insert({int64_t(i), 1, i});
  std::vector<RankKey> tail = Collect(tree, 495, 100);
  ASSERT_EQ(tail.size(), 5u);
  EXPECT_EQ(tail.front(), (RankKey{4, 1, 4}));
  EXPECT_EQ(tail.back(), (RankKey{0, 1, 0}));
  EXPECT_TRUE(Collect(tree, 500, 1).empty());
  EXPECT_TRUE(Collect(tree, 0, 0).empty());
}

TEST(RankTreeTest, ClearFreesEveryNodeAndTheTreeStaysUsable) {
  RankTree tree;
  for (uint32_t i = 0; i < 10000; ++i) tree.Insert({int64_t(i % 97), i, i});
  tree.Clear();
  EXPECT_EQ(tree.size(), 0u);
  EXPECT_EQ(tree.MemoryBytes(), 0u);
  EXPECT_EQ(tree.CheckInvariants(), "");
  tree.Insert({1, 1, 1});
  EXPECT_EQ(tree.Rank({1, 1, 1}), 0u);
}

TEST(RankTreeTest, MovingTakesTheKeysAndEmptiesTheSource) {
  RankTree a;
  for (uint32_t i = 0; i < 3000; ++i) a.Insert({int64_t(i), 0, i});
  const size_t bytes = a.MemoryBytes();
  RankTree b(std::move(a));
  EXPECT_EQ(a.size(), 0u);
  EXPECT_EQ(a.MemoryBytes(), 0u);
  EXPECT_EQ(a.CheckInvariants(), "");
  EXPECT_EQ(b.size(), 3000u);
  EXPECT_EQ(b.MemoryBytes(), bytes);
  EXPECT_EQ(b.At(0), (RankKey{2999, 0, 2999}));

  RankTree c;
  c.Insert({7, 7, 7});
  c = std::move(b);
  EXPECT_EQ(c.size(), 3000u);
  EXPECT_EQ(c.Rank({7, 7, 7}), std::nullopt);
  EXPECT_EQ(c.CheckInvariants(), "");
  EXPECT_EQ(b.size(), 0u);
}

// Most scoped boards rank a handful of entities: their trees must not cost
// a full node each.
TEST(RankTreeTest, SmallTreesTakeSmallNodes) {
  RankTree tree;
  tree.Insert({1, 1, 1});
  EXPECT_LE(tree.MemoryBytes(), 64u);
  for (uint32_t i = 2; i <= 8; ++i) tree.Insert({int64_t(i), i, i});
  EXPECT_LE(tree.MemoryBytes(), 8 * 24u);
  EXPECT_EQ(tree.CheckInvariants(), "");
  EXPECT_EQ(All(tree).front(), (RankKey{8, 8, 8}));
  EXPECT_EQ(All(tree).back(), (RankKey{1, 1, 1}));
}

// New entities tie at the lowest value and, with the newest seq, go last:
// that pattern must not leave half-empty leaves behind.
TEST(RankTreeTest, AppendingInBoardOrderPacksLeaves) {
  RankTree tree;
  for (uint32_t i = 0; i < 100000; ++i) tree.Insert({1, i, i});
  EXPECT_EQ(tree.CheckInvariants(), "");
  EXPECT_LT(double(tree.MemoryBytes()) / tree.size(), 24.0)
      << double(tree.MemoryBytes()) / tree.size();
}

TEST(RankTreeTest, RandomInsertsStayUnderFortyBytesPerKey) {
  RankTree tree;
  std::mt19937_64 rng(7);
  for (uint32_t i = 0; i < 200000; ++i) tree.Insert({int64_t(rng() % 1000000), rng(), i});
  EXPECT_EQ(tree.CheckInvariants(), "");
  EXPECT_LT(double(tree.MemoryBytes()) / tree.size(), 40.0)
      << double(tree.MemoryBytes()) / tree.size();
}

TEST(RankTreeTest, DrainingInRandomOrderFreesEveryNode) {
  RankTree tree;
  std::vector<RankKey> keys;
  for (uint32_t i = 0; i < 50000; ++i) keys.push_back({int64_t(i % 300) - 150, i / 7, i});
  for (const RankKey& k : keys) tree.Insert(k);
  std::shuffle(keys.begin(), keys.end(), std::mt19937(3));
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_TRUE(tree.Erase(keys[i]));
    if (i % 4999 == 0) {
      ASSERT_EQ(tree.CheckInvariants(), "") << "after " << i << " erases";
    }
  }
  EXPECT_EQ(tree.size(), 0u);
  EXPECT_EQ(tree.MemoryBytes(), 0u);
  EXPECT_EQ(tree.CheckInvariants(), "");
}

// ---------------------------------------------------------------- randomized

// The tree against a sorted vector, op by op.
class ReferenceModel {
 public:
  bool Contains(const RankKey& k) const {
    auto it = Find(k);
    return it != keys_.end() && *it == k;
  }
  void Insert(const RankKey& k) { keys_.insert(Find(k), k); }
  void Erase(const RankKey& k) { keys_.erase(Find(k)); }
  size_t RankOf(const RankKey& k) const { return size_t(Find(k) - keys_.begin()); }
  const std::vector<RankKey>& keys() const { return keys_; }

 private:
  std::vector<RankKey>::const_iterator Find(const RankKey& k) const {
    return std::lower_bound(keys_.begin(), keys_.end(), k, RankBefore);
  }
  std::vector<RankKey> keys_;
};

struct Workload {
  uint64_t seed;
  size_t target;   // the size the tree hovers around
  int64_t values;  // values drawn from [-values, values]: few values, many ties
  size_t ops;
};

class RankTreeRandomTest : public ::testing::TestWithParam<Workload> {};

// Random inserts, erases of present and absent keys, repositions, Rank, At
// and ForEach; the target size swings between 0 and 2x so the tree splits
// and merges at every level, and ends drained to empty.
TEST_P(RankTreeRandomTest, AgreesWithASortedVector) {
  const Workload w = GetParam();
  std::mt19937_64 rng(w.seed);
  auto pick = [&](uint64_t n) { return n == 0 ? 0 : rng() % n; };
  auto random_key = [&] {
    // Small seq and id ranges make ties on value and seq common too.
    return RankKey{int64_t(pick(2 * w.values + 1)) - w.values, pick(64), uint32_t(pick(64))};
  };
  RankTree tree;
  ReferenceModel ref;
  const size_t check_every = std::max<size_t>(64, w.target / 4);
  for (size_t op = 0; op < w.ops; ++op) {
    // Target: up to 2x during the first half of each 40%-long cycle, then down.
    const size_t phase = op % (w.ops * 2 / 5 + 1);
    const size_t target = phase < w.ops / 5 ? 2 * w.target : w.target / 8;
    const uint64_t dice = pick(100);
    if (dice < 30) {
      const RankKey k = random_key();
      const bool grow = ref.keys().size() < target;
      if (!ref.Contains(k) && (grow || pick(3) == 0)) {
        tree.Insert(k);
        ref.Insert(k);
      } else if (ref.Contains(k) && !grow) {
        ASSERT_TRUE(tree.Erase(k));
        ref.Erase(k);
      }
    } else if (dice < 45 && !ref.keys().empty()) {
      const RankKey k = ref.keys()[pick(ref.keys().size())];
      if (ref.keys().size() > target || pick(2) == 0) {
        ASSERT_TRUE(tree.Erase(k));
        ref.Erase(k);
      } else {  // reposition, as a board does when an entity's value changes
        RankKey moved{k.value + int64_t(pick(5)) - 2, k.seq + 1, k.id};
        if (!ref.Contains(moved)) {
          ASSERT_TRUE(tree.Erase(k));
          ref.Erase(k);
          tree.Insert(moved);
          ref.Insert(moved);
        }
      }
    } else if (dice < 55) {
      const RankKey k = random_key();
      if (!ref.Contains(k)) {
        ASSERT_FALSE(tree.Erase(k));
        ASSERT_EQ(tree.Rank(k), std::nullopt);
      }
    } else if (dice < 75 && !ref.keys().empty()) {
      const size_t r = pick(ref.keys().size());
      ASSERT_EQ(tree.Rank(ref.keys()[r]), r);
    } else if (dice < 90 && !ref.keys().empty()) {
      const size_t r = pick(ref.keys().size());
      ASSERT_EQ(tree.At(r), ref.keys()[r]);
    } else {
      const size_t from = pick(ref.keys().size() + 2);
      const size_t count = pick(60);
      std::vector<RankKey> want;
      for (size_t i = from; i < ref.keys().size() && i < from + count; ++i)
        want.push_back(ref.keys()[i]);
      ASSERT_EQ(Collect(tree, from, count), want) << "from " << from << " count " << count;
    }
    ASSERT_EQ(tree.size(), ref.keys().size());
    if (op % check_every == 0) {
      ASSERT_EQ(tree.CheckInvariants(), "") << "after op " << op;
    }
  }
  ASSERT_EQ(tree.CheckInvariants(), "");
  ASSERT_EQ(All(tree), ref.keys());

  std::vector<RankKey> rest = ref.keys();
  std::shuffle(rest.begin(), rest.end(), rng);
  for (size_t i = 0; i < rest.size(); ++i) {
    ASSERT_TRUE(tree.Erase(rest[i]));
    if (i % check_every == 0) {
      ASSERT_EQ(tree.CheckInvariants(), "");
    }
  }
  EXPECT_EQ(tree.size(), 0u);
  EXPECT_EQ(tree.MemoryBytes(), 0u);
  EXPECT_EQ(tree.CheckInvariants(), "");
}

INSTANTIATE_TEST_SUITE_P(
    SeedsAndSizes, RankTreeRandomTest,
    ::testing::Values(Workload{1, 30, 10, 200000},      // one or two leaves
                      Workload{2, 400, 50, 200000},     // a two-level tree
                      Workload{3, 3000, 1000, 200000},  // three levels
                      Workload{4, 3000, 2, 200000},     // almost every key ties on value
                      Workload{5, 20000, 1 << 20, 200000}, Workload{6, 20000, 100, 200000}));

// Big enough for four levels of nodes; fewer mutations, as each costs the
// reference vector a large move.
TEST(RankTreeTest, FourLevelTreeAgreesWithASortedVectorThenDrains) {
  std::mt19937_64 rng(11);
  std::vector<RankKey> keys;
  for (uint32_t i = 0; i < 300000; ++i) keys.push_back({int64_t(rng() % 5000), rng() % 1000, i});
  RankTree tree;
  for (const RankKey& k : keys) tree.Insert(k);
  ReferenceModel ref;
  std::sort(keys.begin(), keys.end(), RankBefore);
  for (const RankKey& k : keys) ref.Insert(k);  // appends: already sorted
  ASSERT_EQ(tree.CheckInvariants(), "");
  ASSERT_EQ(All(tree), ref.keys());
  for (int op = 0; op < 8000; ++op) {
    const size_t r = rng() % ref.keys().size();
    const RankKey k = ref.keys()[r];
    ASSERT_EQ(tree.Rank(k), r);
    ASSERT_EQ(tree.At(r), k);
    if (op % 2 == 0) {
      ASSERT_TRUE(tree.Erase(k));
      ref.Erase(k);
    } else {
      const RankKey fresh{int64_t(rng() % 5000), 1000 + uint64_t(op), 0};
      tree.Insert(fresh);
      ref.Insert(fresh);
    }
  }
  ASSERT_EQ(tree.CheckInvariants(), "");
  ASSERT_EQ(All(tree), ref.keys());
  std::vector<RankKey> rest = ref.keys();
  std::shuffle(rest.begin(), rest.end(), rng);
  for (size_t i = 0; i < rest.size(); ++i) {
    ASSERT_TRUE(tree.Erase(rest[i]));
    if (i % 40000 == 0) {
      ASSERT_EQ(tree.CheckInvariants(), "");
    }
  }
  EXPECT_EQ(tree.size(), 0u);
  EXPECT_EQ(tree.MemoryBytes(), 0u);
}

}  // namespace
}  // namespace bangdan
