// SumTable (engine/src/replay_sums.h): a key's sum is found again, sums are
// numbered in order of their keys' first appearance (the roll-up relies on
// it), through growth and Clear, against a std::map.
#include "replay_sums.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <tuple>

namespace bangdan {
namespace {

using Key = SumTable::Key;

auto Tuple(const Key& k) { return std::make_tuple(k.id[0], k.id[1], k.id[2], k.id[3]); }

TEST(SumTableTest, FindsEveryKeyInOrderOfFirstAppearanceThroughGrowthAndClear) {
  std::mt19937_64 rng(3);
  SumTable table;
  for (int round = 0; round < 3; ++round) {
    std::map<std::tuple<uint32_t, uint32_t, uint32_t, uint32_t>, uint32_t> model;
    std::vector<Key> order;
    for (int i = 0; i < 50'000; ++i) {
      // Few distinct values per field, and 0xffffffff (an absent name), so
      // that keys share fields and repeat.
      Key k{{static_cast<uint32_t>(rng() % 7), static_cast<uint32_t>(rng() % 50),
             rng() % 5 == 0 ? 0xffffffffu : static_cast<uint32_t>(rng() % 300),
             static_cast<uint32_t>(rng() % 40)}};
      const uint64_t h = SumTable::HashOf(k);
      const uint32_t found = table.Find(k, h);
      const auto it = model.find(Tuple(k));
      ASSERT_EQ(found, it == model.end() ? SumTable::kNone : it->second);
      const uint32_t index = table.Locate(k, h);
      if (it == model.end()) {
        ASSERT_EQ(index, order.size()) << "a new key's sum comes last";
        model.emplace(Tuple(k), index);
        order.push_back(k);
        EXPECT_EQ(table.sum(index).run.first_seq, 0u);
        EXPECT_EQ(table.sum(index).link_day, BoardSet::kNoDay);
      } else {
        ASSERT_EQ(index, it->second);
      }
      table.sum(index).run.delta[0] += 1;
    }
    ASSERT_EQ(table.size(), order.size());
    for (uint32_t i = 0; i < table.size(); ++i) ASSERT_EQ(table.key(i), order[i]);
    table.Clear(/*release=*/round == 1);
    ASSERT_EQ(table.size(), 0u);
    ASSERT_EQ(table.Find(order[0], SumTable::HashOf(order[0])), SumTable::kNone);
  }
}

// AddToRun: the changes add up, a value's seq is the last event that moved
// it (0: none did), first_seq the first event.
TEST(SumTableTest, ARunKeepsSumsTheLastMoveOfEachValueAndTheFirstEvent) {
  BoardSet::Run r{{0, 0, 0}, {0, 0, 0}, 0};
  const int64_t buy[kMetricCount] = {500, 0, 1};
  const int64_t refund[kMetricCount] = {-200, -100, -1};
  AddToRun(r, BoardSet::Change(buy, 7));
  EXPECT_EQ(r.first_seq, 7u);
  EXPECT_EQ(r.moved_seq[0], 7u);
  EXPECT_EQ(r.moved_seq[1], 0u);  // amount 0 did not move it
  AddToRun(r, BoardSet::Change(refund, 9));
  EXPECT_EQ(r.first_seq, 7u);
  EXPECT_EQ(r.delta[0], 300);
  EXPECT_EQ(r.delta[1], -100);
  EXPECT_EQ(r.delta[2], 0);
  for (int m = 0; m < kMetricCount; ++m) EXPECT_EQ(r.moved_seq[m], 9u);
}

}  // namespace
}  // namespace bangdan
