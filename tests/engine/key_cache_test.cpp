// KeyCache, its prints and its gate (engine/src/key_cache.h), and the caches
// in ApplyBatch: whatever they hold, and whether they rest or not, frames
// give the state that one event at a time gives.
#include "key_cache.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "bangdan/engine.h"
#include "event_builder.h"

namespace bangdan {
namespace {

using namespace testing_util;

constexpr PrintSeeds kSeeds{0x1234, 0x5678};

KeyCache::Print PrintOf(std::vector<std::string_view> names) {
  return PrintNames(names.data(), static_cast<int>(names.size()), kSeeds);
}

KeyCache::Line LineFor(const KeyCache::Print& p, uint32_t id) {
  KeyCache::Line line{p, {id, id + 1, id + 2, id + 3}, {}};
  for (uint32_t& e : line.entry) e = id;
  return line;
}

TEST(KeyCachePrint, NamesSplitDifferentlyOrInAnotherOrderPrintDifferently) {
  EXPECT_EQ(PrintOf({"合肥", "安居", "队1", "u1"}), PrintOf({"合肥", "安居", "队1", "u1"}));
  EXPECT_NE(PrintOf({"ab", "c"}), PrintOf({"a", "bc"}));
  EXPECT_NE(PrintOf({"a", "b"}), PrintOf({"b", "a"}));
  EXPECT_NE(PrintOf({"合肥", "安居", "", "u1"}), PrintOf({"合肥", "安居", "u1", ""}));  // team or user
  EXPECT_NE(PrintNames(std::vector<std::string_view>{"x"}.data(), 1, PrintSeeds{1, 2}),
            PrintNames(std::vector<std::string_view>{"x"}.data(), 1, PrintSeeds{3, 4}));
}

TEST(KeyCache, FindsWhatWasPutAndKeepsTwoKeysOfOnePair) {
  KeyCache cache;
  EXPECT_EQ(cache.Find(PrintOf({"a"})), nullptr);  // not sized yet
  cache.Reset(100, 1 << 20);
  EXPECT_EQ(cache.lines(), 1024u);
  // Three keys that fall on one pair of lines.
  std::vector<KeyCache::Print> same_pair;
  for (uint64_t i = 0; same_pair.size() < 3; ++i) {
    KeyCache::Print p{i * 1024 + (same_pair.size() % 2), i};
    same_pair.push_back(p);
  }
  cache.Put(LineFor(same_pair[0], 10));
  cache.Put(LineFor(same_pair[1], 20));
  ASSERT_NE(cache.Find(same_pair[0]), nullptr);
  ASSERT_NE(cache.Find(same_pair[1]), nullptr);
  EXPECT_EQ(cache.Find(same_pair[0])->id[0], 10u);
  EXPECT_EQ(cache.Find(same_pair[1])->entry[7], 20u);
  cache.Put(LineFor(same_pair[1], 21));  // the same key again: its line, not the other's
  EXPECT_EQ(cache.Find(same_pair[1])->id[0], 21u);
  EXPECT_EQ(cache.Find(same_pair[0])->id[0], 10u);
  cache.Put(LineFor(same_pair[2], 30));  // a third: one of the two goes
  EXPECT_EQ(cache.Find(same_pair[2])->id[0], 30u);
  EXPECT_EQ((cache.Find(same_pair[0]) != nullptr) + (cache.Find(same_pair[1]) != nullptr), 1);
  // A key whose lo matches but hi does not is another key.
  EXPECT_EQ(cache.Find(KeyCache::Print{same_pair[2].lo, same_pair[2].hi + 1}), nullptr);
}

TEST(KeyCache, SizesToKeysUpToItsBoundAndEmptiesWhenResized) {
  KeyCache cache;
  cache.Reset(5000, 1 << 20);
  EXPECT_EQ(cache.lines(), 8192u);
  cache.Put(LineFor(PrintOf({"a"}), 1));
  cache.Reset(1'000'000, 1 << 18);
  EXPECT_EQ(cache.lines(), size_t{1} << 18);
  EXPECT_EQ(cache.Find(PrintOf({"a"})), nullptr);
  EXPECT_EQ(cache.MemoryBytes(), (size_t{1} << 18) * 64);
}

TEST(KeyCacheGate, RestsAfterATrialOfMissesAndTriesAgainAfterTheRest) {
  KeyCacheGate gate;
  EXPECT_TRUE(gate.Use(100));
  gate.Tally(KeyCacheGate::kTrial - 1, 0);
  EXPECT_FALSE(gate.resting());  // the trial is not over
  gate.Tally(1, 0);
  EXPECT_TRUE(gate.resting());
  uint64_t rested = 0;
  while (!gate.Use(1000)) rested += 1000;
  // The batch that ends the rest does not use the caches either.
  EXPECT_EQ(rested, (KeyCacheGate::kRest / 1000 + 1) * 1000);
  // One hit in eight keeps the caches in use.
  gate.Tally(KeyCacheGate::kTrial, KeyCacheGate::kTrial / 8);
  EXPECT_FALSE(gate.resting());
  gate.Tally(KeyCacheGate::kTrial, KeyCacheGate::kTrial / 8 - 1);
  EXPECT_TRUE(gate.resting());
}

// Feeds `events` to `one` event by event and to `batch` in frames of 100.
void FeedBoth(Engine& one, Engine& batch, const std::vector<Ev>& events, int64_t recv_ms) {
  for (size_t at = 0; at < events.size(); at += 100) {
    const size_t n = std::min<size_t>(100, events.size() - at);
    std::vector<Event> frame;
    for (size_t i = 0; i < n; ++i) frame.push_back(events[at + i].view());
    std::vector<Admission> admissions(n);
    batch.AdmitBatch(frame, recv_ms, admissions.data());
    std::vector<AdmittedEvent> admitted;
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(admissions[i].accepted() ? admissions[i].seq : 0, Send(one, events[at + i], recv_ms));
      if (admissions[i].accepted()) admitted.push_back(AdmittedEvent{&frame[i], admissions[i]});
    }
    batch.ApplyBatch(admitted);
  }
}

// Regulars fill the caches; 300,000 keys that never come back grow the
// caches (emptied as they are resized) and rest them; regulars again bring
// them back after the rest. Every phase ends with the same state either way.
TEST(KeyCacheInApply, CachesThatRestAndComeBackChangeNothing) {
  Engine one, batch;
  uint64_t id = 0;
  auto event = [&](std::string user, std::string team, std::string firm, std::string product) {
    Ev e;
    e.id = Name("o", static_cast<long>(id++));
    e.city = id % 3 ? "合肥" : "六安";
    e.firm = std::move(firm);
    e.team = std::move(team);
    e.user = std::move(user);
    e.product = std::move(product);
    e.weight_g = 500 + static_cast<int64_t>(id % 7) * 100;
    e.amount_fen = 990;
    e.refund = id % 19 == 0;
    return e;
  };
  std::vector<Ev> regulars, once, back;
  for (int i = 0; i < 20'000; ++i) {  // 40 users in fixed teams, many orders each
    const int u = i % 40;
    regulars.push_back(event(Name("u", u), Name("队", u % 5), "安居",
                             i % 4 ? "苹果" : ""));
  }
  for (int i = 0; i < 300'000; ++i) {  // every key new: the caches rest
    once.push_back(event(Name("x", i), Name("t", i), Name("f", i % 50),
                         Name("p", i)));
  }
  for (int i = 0; i < 300'000; ++i) {  // the regulars again, and the one-off users as regulars
    const int u = i % 60;
    back.push_back(u < 40 ? event(Name("u", u), Name("队", u % 5), "安居", "苹果")
                          : event(Name("x", u), Name("t", u),
                                  Name("f", u % 50), Name("p", u)));
  }
  const int64_t recv_ms = 1'795'363'200'000;
  for (const std::vector<Ev>* phase : {&regulars, &once, &back}) {
    FeedBoth(one, batch, *phase, recv_ms);
    if (HasFatalFailure()) return;
    std::string a, b;
    one.Serialize(&a);
    batch.Serialize(&b);
    ASSERT_EQ(a, b);
  }
}

}  // namespace
}  // namespace bangdan
