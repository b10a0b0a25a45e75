// BoardSet (engine/src/board_set.cpp): lazy ordering, a tree per metric built
// on that metric's first read. Random changes and reads against a model that
// sorts every board from scratch.
#include "board_set.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <tuple>
#include <random>
#include <vector>

namespace bangdan {
namespace {

struct ModelEntry {
  int64_t value[kMetricCount] = {0, 0, 0};
  uint64_t seq[kMetricCount] = {0, 0, 0};
};
// (scope, entity) → values and seqs, as §2 defines them.
using Model = std::map<std::pair<uint32_t, uint32_t>, ModelEntry>;

void Add(Model& model, uint32_t scope, uint32_t entity, const int64_t delta[kMetricCount],
         uint64_t seq) {
  auto [it, created] = model.try_emplace({scope, entity});
  for (int m = 0; m < kMetricCount; ++m) {
    it->second.value[m] += delta[m];
    if (created || delta[m] != 0) it->second.seq[m] = seq;
  }
}

// The board of `scope` by metric m, as entity ids in rank order.
std::vector<uint32_t> ModelOrder(const Model& model, uint32_t scope, int m) {
  std::vector<std::pair<std::pair<int64_t, uint64_t>, uint32_t>> rows;
  for (const auto& [key, e] : model) {
    if (key.first == scope) rows.push_back({{-e.value[m], e.seq[m]}, key.second});
  }
  std::sort(rows.begin(), rows.end());
  std::vector<uint32_t> ids;
  for (const auto& r : rows) ids.push_back(r.second);
  return ids;
}

std::vector<uint32_t> TreeOrder(const BoardSet& set, const BoardSet::Board& b, int m) {
  std::vector<uint32_t> ids;
  b.trees[m].ForEach(0, b.trees[m].size(),
                     [&](const RankKey& k) { ids.push_back(set.entry(k.id).entity); });
  return ids;
}

void RandomChangesAndReads(bool scoped, uint32_t scopes, uint32_t entities, uint64_t seed) {
  std::mt19937_64 rng(seed);
  BoardSet set(scoped);
  Model model;
  uint64_t seq = 0;
  for (int step = 0; step < 60'000; ++step) {
    const uint32_t scope = scoped ? static_cast<uint32_t>(rng() % scopes) : 0;
    if (rng() % 50 != 0) {
      // Small values tie often; zero weights and refunds bring entities level.
      const int64_t sign = rng() % 5 == 0 ? -1 : 1;
      const int64_t delta[kMetricCount] = {sign * static_cast<int64_t>(rng() % 3),
                                           sign * static_cast<int64_t>(rng() % 4), sign};
      const auto entity = static_cast<uint32_t>(rng() % entities);
      set.Add(scope, entity, delta, ++seq);
      Add(model, scope, entity, delta, seq);
      continue;
    }
    // Reads favour weight, as dashboards do; the others come now and then.
    const int m = rng() % 4 == 0 ? static_cast<int>(rng() % kMetricCount) : 0;
    BoardSet::Board* b = set.PrepareBoard(scope, static_cast<Metric>(m));
    const std::vector<uint32_t> expected = ModelOrder(model, scope, m);
    if (b == nullptr) {
      ASSERT_TRUE(expected.empty());
      continue;
    }
    ASSERT_EQ(b->count, expected.size());
    ASSERT_EQ(TreeOrder(set, *b, m), expected) << "step " << step << " metric " << m;
    for (int k = 0; k < kMetricCount; ++k) {
      if (b->ordered >> k & 1) {
        ASSERT_EQ(b->trees[k].size(), b->count);
        ASSERT_EQ(b->trees[k].CheckInvariants(), "");
      } else {
        ASSERT_EQ(b->trees[k].MemoryBytes(), 0u) << "a metric never read keeps no tree";
      }
    }
  }
}

TEST(BoardSetTest, UnscopedBoardAgreesWithAModelThroughChangesAndReads) {
  RandomChangesAndReads(false, 1, 3000, 1);
}

TEST(BoardSetTest, ScopedBoardsAgreeWithAModelThroughChangesAndReads) {
  RandomChangesAndReads(true, 40, 200, 2);
}

// A board read after most of it changed is rebuilt in one pass (a busy board
// read now and then); one read after a few changes takes them one by one. Both
// give the model's order.
TEST(BoardSetTest, ReadsAfterFewAndAfterManyChangesAgree) {
  for (int changes_per_read : {3, 400, 20'000}) {
    SCOPED_TRACE(changes_per_read);
    std::mt19937_64 rng(static_cast<uint64_t>(changes_per_read));
    BoardSet set(false);
    Model model;
    uint64_t seq = 0;
    for (int read = 0; read < 20; ++read) {
      for (int i = 0; i < changes_per_read; ++i) {
        const int64_t delta[kMetricCount] = {static_cast<int64_t>(rng() % 1000),
                                             static_cast<int64_t>(rng() % 1000), 1};
        const auto entity = static_cast<uint32_t>(rng() % 5000);
        set.Add(0, entity, delta, ++seq);
        Add(model, 0, entity, delta, seq);
      }
      const int m = read % 2 == 0 ? 0 : 1;
      BoardSet::Board* b = set.PrepareBoard(0, static_cast<Metric>(m));
      ASSERT_NE(b, nullptr);
      ASSERT_EQ(TreeOrder(set, *b, m), ModelOrder(model, 0, m));
      ASSERT_EQ(b->trees[m].CheckInvariants(), "");
    }
  }
}

// Once every entry of a board has changed since its last read, its trees
// hold nothing current: they are freed, and the next read builds its
// ordering afresh.
TEST(BoardSetTest, ABoardWhoseEveryEntryChangedSinceItsLastReadFreesItsTrees) {
  BoardSet set(false);
  Model model;
  uint64_t seq = 0;
  auto add = [&](uint32_t entity, int64_t weight) {
    const int64_t delta[kMetricCount] = {weight, 2 * weight, 1};
    set.Add(0, entity, delta, ++seq);
    Add(model, 0, entity, delta, seq);
  };
  for (uint32_t e = 0; e < 500; ++e) add(e, e % 7);
  BoardSet::Board* b = set.PrepareBoard(0, Metric::kWeight);
  b = set.PrepareBoard(0, Metric::kAmount);
  ASSERT_EQ(b->ordered, 0b011);
  for (uint32_t e = 0; e < 499; ++e) add(e, 3);
  EXPECT_EQ(b->ordered, 0b011) << "one entry has not changed: the trees stay";
  EXPECT_GT(b->trees[0].MemoryBytes(), 0u);
  add(499, 3);
  EXPECT_EQ(b->ordered, 0);
  EXPECT_EQ(b->trees[0].MemoryBytes() + b->trees[1].MemoryBytes(), 0u);
  EXPECT_EQ(b->stale.capacity(), 0u);
  add(500, 9);  // a new entry meanwhile
  for (int m : {1, 0, 2}) {
    b = set.PrepareBoard(0, static_cast<Metric>(m));
    ASSERT_EQ(TreeOrder(set, *b, m), ModelOrder(model, 0, m)) << "metric " << m;
    ASSERT_EQ(b->trees[m].CheckInvariants(), "");
  }
}

// AddRun: events summed per run, runs added in order of their first events,
// each entity's events spread over several runs that interleave (as replay's
// sums: one entity's events belong to many keys). Interleaved with reads, the
// set must hold exactly what Add of each event in turn leaves: values, seqs,
// entry order, counts, versions and the boards' order.
TEST(BoardSetTest, RunsOfEventsLeaveWhatTheEventsOneByOneLeave) {
  for (bool scoped : {false, true}) {
    std::mt19937_64 rng(scoped ? 11 : 12);
    BoardSet by_event(scoped), by_run(scoped);
    uint64_t seq = 0;
    for (int round = 0; round < 40; ++round) {
      // A run is (scope, entity, group): the group splits one entity's
      // events over several runs.
      std::map<std::tuple<uint32_t, uint32_t, int>, BoardSet::Run> runs;
      std::vector<std::tuple<uint32_t, uint32_t, int>> run_order;  // by first event
      for (int i = 0; i < 500; ++i) {
        const uint32_t scope = scoped ? static_cast<uint32_t>(rng() % 6) : 0;
        const auto entity = static_cast<uint32_t>(rng() % 40);
        const int group = static_cast<int>(rng() % 3);
        const int64_t sign = rng() % 5 == 0 ? -1 : 1;
        const int64_t delta[kMetricCount] = {sign * static_cast<int64_t>(rng() % 3),
                                             sign * static_cast<int64_t>(rng() % 2), sign};
        ++seq;
        by_event.Add(scope, entity, delta, seq);
        const auto key = std::make_tuple(scope, entity, group);
        auto [it, fresh] = runs.try_emplace(key, BoardSet::Run{{0, 0, 0}, {0, 0, 0}, 0});
        if (fresh) run_order.push_back(key);
        BoardSet::Run& r = it->second;
        if (r.first_seq == 0) r.first_seq = seq;
        for (int m = 0; m < kMetricCount; ++m) {
          r.delta[m] += delta[m];
          if (delta[m] != 0) r.moved_seq[m] = seq;
        }
      }
      for (const auto& key : run_order) {
        bool created;
        const uint32_t index = by_run.Locate(std::get<0>(key), std::get<1>(key), &created);
        by_run.AddRun(index, created, runs[key]);
      }
      ASSERT_EQ(by_run.entry_count(), by_event.entry_count());
      for (uint32_t i = 0; i < by_event.entry_count(); ++i) {
        const BoardSet::Entry& want = by_event.entry(i);
        const BoardSet::Entry& got = by_run.entry(i);
        ASSERT_EQ(got.entity, want.entity) << "entry " << i;
        ASSERT_EQ(by_run.ScopeOf(i), by_event.ScopeOf(i));
        for (int m = 0; m < kMetricCount; ++m) {
          ASSERT_EQ(got.value[m], want.value[m]) << "entry " << i << " metric " << m;
          ASSERT_EQ(got.seq[m], want.seq[m]) << "entry " << i << " metric " << m;
        }
      }
      for (uint32_t scope = 0; scope < (scoped ? 6u : 1u); ++scope) {
        ASSERT_EQ(by_run.Version(scope), by_event.Version(scope)) << "scope " << scope;
        // Read now and then, so that later runs meet kept trees.
        if (rng() % 2 == 0) continue;
        const auto m = static_cast<Metric>(rng() % kMetricCount);
        BoardSet::Board* want = by_event.PrepareBoard(scope, m);
        BoardSet::Board* got = by_run.PrepareBoard(scope, m);
        ASSERT_EQ(got == nullptr, want == nullptr);
        if (want == nullptr) continue;
        ASSERT_EQ(got->count, want->count);
        ASSERT_EQ(TreeOrder(by_run, *got, static_cast<int>(m)),
                  TreeOrder(by_event, *want, static_cast<int>(m)));
      }
    }
  }
}

}  // namespace
}  // namespace bangdan
