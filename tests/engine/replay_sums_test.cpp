// SumTable (engine/src/replay_sums.h): a key's sum is found again, sums are
// numbered in order of their keys' first appearance (the roll-up relies on
// it), through growth and Clear, against a std::map. AddToDay: each key's
// run in each day, whether shared with the total's or in the day's own
// table, against runs kept per (key, day).
#include "replay_sums.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <tuple>

namespace bangdan {
namespace {

using Key = SumTable::Key;

auto Tuple(const Key& k) { return std::make_tuple(k.id[0], k.id[1], k.id[2], k.id[3]); }

// A print for each key, as replay's are for their names: distinct keys,
// distinct prints (hi is half the key, lo the other half mixed with it).
SumTable::Print PrintOf(const Key& k) {
  const uint64_t a = uint64_t{k.id[0]} << 32 | k.id[1], b = uint64_t{k.id[2]} << 32 | k.id[3];
  return SumTable::Print{HashInt(a) ^ b, a};
}

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
      const uint32_t found = table.Find(PrintOf(k));
      const auto it = model.find(Tuple(k));
      ASSERT_EQ(found, it == model.end() ? SumTable::kNone : it->second);
      const uint32_t index = table.Locate(PrintOf(k), k);
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
    ASSERT_EQ(table.Find(PrintOf(order[0])), SumTable::kNone);
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

bool SameRun(const BoardSet::Run& a, const BoardSet::Run& b) {
  for (int m = 0; m < kMetricCount; ++m) {
    if (a.delta[m] != b.delta[m] || a.moved_seq[m] != b.moved_seq[m]) return false;
  }
  return a.first_seq == b.first_seq;
}

// Events of a few keys over a few days, some of them to days not kept: every
// (key, day) run must be found where the roll-up looks — the total's sum
// while the key shares it with that day, else the day's own table — and
// hold exactly that day's events of the key; the total's run holds them all.
TEST(SumTableTest, AKeysDayRunIsSharedUntilItsEventsGoToAnotherDay) {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 20; ++round) {
    TotalSums total;
    std::map<int32_t, WindowSums> days;  // the days' own sums
    using Model = std::map<std::pair<uint32_t, int32_t>, BoardSet::Run>;
    Model model;  // (key's first id, day) → run
    std::map<uint32_t, BoardSet::Run> model_total;
    const int n_days = 1 + round % 4;
    for (uint64_t seq = 1; seq <= 3'000; ++seq) {
      const Key k{{static_cast<uint32_t>(rng() % 60), 1, 2, 3}};
      // Mostly the day of the log's stretch, sometimes another or none.
      const int32_t day = 100 + static_cast<int32_t>(seq * n_days / 3'001) +
                          (rng() % 10 == 0 ? static_cast<int32_t>(rng() % 3) - 1 : 0);
      const bool kept = rng() % 20 != 0;
      const int64_t delta[kMetricCount] = {static_cast<int64_t>(rng() % 1000) - 100,
                                           static_cast<int64_t>(rng() % 3), 1};
      const BoardSet::Change change(delta, seq);
      SumTable::Sum& sum = total.people.sum(total.people.Locate(PrintOf(k), k));
      WindowSums* day_sums = kept ? &days[day] : nullptr;
      if (kept) total.SawDay(day, day_sums);
      AddToDay(sum, PrintOf(k), k, /*table=*/0, day, day_sums, total, change);
      AddToRun(sum.run, change);
      BoardSet::Run empty{{0, 0, 0}, {0, 0, 0}, 0};
      AddToRun(model_total.try_emplace(k.id[0], empty).first->second, change);
      if (kept) AddToRun(model.try_emplace({k.id[0], day}, empty).first->second, change);
    }
    // Where the roll-up finds each (key, day) run.
    Model found;
    for (uint32_t i = 0; i < total.people.size(); ++i) {
      const SumTable::Sum& sum = total.people.sum(i);
      const uint32_t key = total.people.key(i).id[0];
      ASSERT_TRUE(SameRun(sum.run, model_total.at(key))) << "key " << key;
      if (sum.link_index == SumTable::kShared) found.emplace(std::pair(key, sum.link_day), sum.run);
    }
    for (const auto& [day, own] : days) {
      for (uint32_t i = 0; i < own.people.size(); ++i) {
        const auto [it, fresh] =
            found.emplace(std::pair(own.people.key(i).id[0], day), own.people.sum(i).run);
        ASSERT_TRUE(fresh) << "key " << it->first.first << " day " << day << " in two places";
      }
    }
    ASSERT_EQ(found.size(), model.size()) << "round " << round;
    for (const auto& [where, run] : model) {
      ASSERT_TRUE(SameRun(found.at(where), run))
          << "key " << where.first << " day " << where.second << " round " << round;
    }
  }
}

}  // namespace
}  // namespace bangdan
