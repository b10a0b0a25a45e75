// The dedup window: by time, by count, unadmission, rebuild.
#include "dedup.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace bangdan {
namespace {

std::string Key(const char* prefix, int i) {
  std::string s = prefix;
  s += std::to_string(i);
  return s;
}

// A Dedup driven like the engine drives it: admit, then apply (evict).
class DedupTest : public ::testing::Test {
 protected:
  explicit DedupTest(int64_t window_ms = 1000, uint64_t max_ids = 1'000'000)
      : dedup_(window_ms, max_ids) {}

  // True if accepted (and then applied at once).
  bool Offer(const std::string& id, int64_t recv_ms) {
    Fingerprint fp = FingerprintOf(id);
    if (dedup_.Contains(fp, recv_ms, seq_ + 1)) return false;
    dedup_.Push(fp, recv_ms, ++seq_);
    dedup_.Evict(recv_ms, seq_);
    return true;
  }

  Dedup dedup_;
  uint64_t seq_ = 0;
};

TEST_F(DedupTest, SecondSendOfAnIdIsADuplicate) {
  EXPECT_TRUE(Offer("a", 0));
  EXPECT_FALSE(Offer("a", 10));
  EXPECT_TRUE(Offer("b", 10));
}

TEST_F(DedupTest, AnIdExactlyAtTheWindowEdgeIsStillADuplicate) {
  EXPECT_TRUE(Offer("a", 5000));
  EXPECT_FALSE(Offer("a", 6000));  // recv - window == its recv_ms: inside
}

TEST_F(DedupTest, AnIdOneMillisecondPastTheWindowIsAcceptedAgain) {
  EXPECT_TRUE(Offer("a", 5000));
  EXPECT_TRUE(Offer("a", 6001));
  EXPECT_FALSE(Offer("a", 6002));  // and its new admission counts from now
}

TEST_F(DedupTest, EvictionFreesEntriesOutsideTheWindow) {
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(Offer(Key("id-", i), i));
  EXPECT_EQ(dedup_.size(), 100u);
  EXPECT_TRUE(Offer("late", 2050));  // evicts everything received before 1050
  EXPECT_EQ(dedup_.size(), 1u);
  EXPECT_EQ(dedup_.front_seq(), 101u);
}

class DedupCountTest : public DedupTest {
 protected:
  DedupCountTest() : DedupTest(1'000'000, 3) {}
};

TEST_F(DedupCountTest, OnlyTheLastMaxIdsAreRemembered) {
  EXPECT_TRUE(Offer("a", 0));
  EXPECT_TRUE(Offer("b", 0));
  EXPECT_TRUE(Offer("c", 0));
  EXPECT_FALSE(Offer("a", 0));  // a, b, c are the last three
  EXPECT_TRUE(Offer("d", 0));   // a leaves
  EXPECT_EQ(dedup_.size(), 3u);
  EXPECT_TRUE(Offer("a", 0));
  EXPECT_FALSE(Offer("d", 0));
}

TEST_F(DedupTest, DuplicatesWithinOneFrameAreCaughtBeforeApplying) {
  // Two admissions before any eviction, as within one frame.
  Fingerprint fp = FingerprintOf("x");
  EXPECT_FALSE(dedup_.Contains(fp, 0, 1));
  dedup_.Push(fp, 0, 1);
  EXPECT_TRUE(dedup_.Contains(fp, 0, 2));
}

TEST_F(DedupTest, PopAfterTakesBackUnappliedAdmissions) {
  EXPECT_TRUE(Offer("a", 0));
  dedup_.Push(FingerprintOf("b"), 0, 2);
  dedup_.Push(FingerprintOf("c"), 0, 3);
  dedup_.PopAfter(1);
  EXPECT_EQ(dedup_.size(), 1u);
  EXPECT_FALSE(dedup_.Contains(FingerprintOf("b"), 0, 2));
  EXPECT_FALSE(dedup_.Contains(FingerprintOf("c"), 0, 2));
  EXPECT_TRUE(dedup_.Contains(FingerprintOf("a"), 0, 2));
}

TEST_F(DedupTest, SurvivesManyInsertionsAndEvictions) {
  // Sliding window of ~500 ids over 100,000: every id in the window is found,
  // every id outside is not (exercises growth and backward-shift deletion).
  for (int i = 0; i < 100'000; ++i) {
    ASSERT_TRUE(Offer(Key("k", i), i * 2));
    if (i % 1000 == 999) {
      for (int j = i - 600; j <= i; j += 7) {
        bool inside = (i * 2) - (j * 2) <= 1000;
        ASSERT_EQ(dedup_.Contains(FingerprintOf(Key("k", j)), i * 2, seq_ + 1), inside)
            << i << " " << j;
      }
    }
  }
  EXPECT_LE(dedup_.size(), 501u);
}

// A brute-force model of the window: every admission kept in a deque, and
// for each id the seq of its newest admission — what the set points at.
class DedupModel {
 public:
  DedupModel(int64_t window_ms, uint64_t max_ids) : window_ms_(window_ms), max_ids_(max_ids) {}

  bool Contains(int id, int64_t recv_ms, uint64_t next_seq) const {
    auto it = newest_.find(id);
    if (it == newest_.end()) return false;
    const Admission& a = fifo_[it->second - fifo_.front().seq];
    return a.recv_ms >= recv_ms - window_ms_ && a.seq + max_ids_ >= next_seq;
  }
  void Push(int id, int64_t recv_ms, uint64_t seq) {
    fifo_.push_back(Admission{seq, id, recv_ms});
    newest_[id] = seq;
  }
  void PopAfter(uint64_t after_seq) {
    while (!fifo_.empty() && fifo_.back().seq > after_seq) {
      Forget(fifo_.back());
      fifo_.pop_back();
    }
  }
  void Evict(int64_t recv_ms, uint64_t seq) {
    while (!fifo_.empty() && fifo_.front().seq < seq) {
      const Admission& a = fifo_.front();
      if (a.recv_ms >= recv_ms - window_ms_ && a.seq + max_ids_ >= seq + 1) break;
      Forget(a);
      fifo_.pop_front();
    }
  }

  struct Admission {
    uint64_t seq;
    int id;
    int64_t recv_ms;
  };
  const std::deque<Admission>& fifo() const { return fifo_; }

 private:
  void Forget(const Admission& a) {
    auto it = newest_.find(a.id);
    if (it != newest_.end() && it->second == a.seq) newest_.erase(it);
  }

  int64_t window_ms_;
  uint64_t max_ids_;
  std::deque<Admission> fifo_;
  std::map<int, uint64_t> newest_;
};

std::string Id(int i) { return "订单-" + std::to_string(i); }

// The window's contents, in FIFO order, as the model lists them.
void ExpectSameWindow(const Dedup& d, const DedupModel& m) {
  ASSERT_EQ(d.size(), m.fifo().size());
  if (m.fifo().empty()) return;
  EXPECT_EQ(d.front_seq(), m.fifo().front().seq);
  EXPECT_EQ(d.back_recv_ms(), m.fifo().back().recv_ms);
  size_t i = 0;
  d.ForEach([&](const Fingerprint& fp, int64_t recv_ms, uint64_t seq) {
    const DedupModel::Admission& a = m.fifo()[i++];
    EXPECT_EQ(fp, FingerprintOf(Id(a.id)));
    EXPECT_EQ(recv_ms, a.recv_ms);
    EXPECT_EQ(seq, a.seq);
  });
  // A random sub-range, as a snapshot written in steps reads it.
  const uint64_t from = m.fifo().front().seq + i / 3, to = m.fifo().back().seq - i / 4;
  uint64_t want = from;
  d.ForEachIn(from, to, [&](const Fingerprint&, int64_t recv_ms, uint64_t seq) {
    EXPECT_EQ(seq, want++);
    EXPECT_EQ(recv_ms, m.fifo()[seq - m.fifo().front().seq].recv_ms);
  });
  EXPECT_EQ(want, from <= to ? to + 1 : from);
}

// Random admissions from a small pool of ids (so repeats are common), in
// frames that share a receive time, the clock jumping now and then past the
// window, the count limit biting, and frames taken back (PopAfter) before
// they are applied — checked against the model after every frame. With
// `reload`, the window is also listed and loaded into a new Dedup in chunks
// of random size (a snapshot's load) and that one must answer the same.
struct WindowShape {
  int64_t window_ms = 1000;
  uint64_t max_ids = 300;
  int pool = 600;         // distinct ids drawn from
  int check_every = 1;    // frames between whole-window comparisons
  uint64_t first_seq = 1;
};

void RandomWindow(uint64_t seed, bool take_back, bool reload, WindowShape shape = {}) {
  std::mt19937_64 rng(seed);
  auto uniform = [&rng](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  const int64_t kWindowMs = shape.window_ms;
  const uint64_t kMaxIds = shape.max_ids;
  const int kPool = shape.pool;
  Dedup d(kWindowMs, kMaxIds);
  DedupModel m(kWindowMs, kMaxIds);
  uint64_t seq = shape.first_seq - 1;
  int64_t now = 0;
  for (int frame = 0; frame < 3000; ++frame) {
    now += uniform(0, 9) == 0 ? uniform(500, 1500) : uniform(0, 20);
    const int n = static_cast<int>(uniform(1, 40));
    const uint64_t before = seq;
    for (int k = 0; k < n; ++k) {
      const int id = static_cast<int>(uniform(0, kPool - 1));
      const bool dup = d.Contains(FingerprintOf(Id(id)), now, seq + 1);
      ASSERT_EQ(dup, m.Contains(id, now, seq + 1)) << "frame " << frame << " id " << id;
      if (dup) continue;
      d.Push(FingerprintOf(Id(id)), now, ++seq);
      m.Push(id, now, seq);
    }
    if (take_back && uniform(0, 9) == 0) {  // the frame was not durable
      d.PopAfter(before);
      m.PopAfter(before);
      seq = before;
    } else if (seq >= shape.first_seq) {
      d.Evict(now, seq);
      m.Evict(now, seq);
    }
    if (frame % shape.check_every == 0) ExpectSameWindow(d, m);
    if (::testing::Test::HasFailure()) return;
    if (reload && frame % 100 == 99) {
      std::vector<Dedup::Entry> listed;
      d.ForEach([&](const Fingerprint& fp, int64_t recv_ms, uint64_t) {
        listed.push_back(Dedup::Entry{fp, recv_ms});
      });
      Dedup loaded(kWindowMs, kMaxIds);
      for (size_t at = 0; at < listed.size();) {
        const size_t k = std::min<size_t>(listed.size() - at, uniform(1, 200));
        loaded.AppendUnindexed(std::span(listed).subspan(at, k), d.front_seq());
        at += k;
      }
      loaded.Reindex();
      ExpectSameWindow(loaded, m);
      for (int id = 0; id < kPool; ++id) {
        ASSERT_EQ(loaded.Contains(FingerprintOf(Id(id)), now, seq + 1), m.Contains(id, now, seq + 1))
            << "reloaded, frame " << frame << " id " << id;
      }
    }
  }
}

TEST(DedupRandom, AgreesWithABruteForceModel) {
  for (uint64_t seed = 1; seed <= 5; ++seed) RandomWindow(seed, true, false);
}

TEST(DedupRandom, AReloadedWindowAnswersAsTheLiveOne) {
  for (uint64_t seed = 11; seed <= 15; ++seed) RandomWindow(seed, false, true);
}

// A window of tens of thousands of ids: every shard of the set holds hundreds,
// so shards grow one by one and deletions shift crowded probe runs.
TEST(DedupRandom, AgreesWithTheModelWhenShardsGrow) {
  const WindowShape large{.window_ms = 1'000'000, .max_ids = 30'000, .pool = 100'000, .check_every = 50};
  RandomWindow(21, true, false, large);
  RandomWindow(22, false, true, large);
}

// Slots keep the low 32 bits of a seq: a window across 2^32 must still name
// every admission right.
TEST(DedupRandom, AgreesWithTheModelAcrossTwoToTheThirtyTwoSeqs) {
  WindowShape shape;
  shape.first_seq = (uint64_t{1} << 32) - 20'000;
  RandomWindow(31, true, false, shape);
  RandomWindow(32, false, true, shape);
  WindowShape large{.window_ms = 1'000'000, .max_ids = 30'000, .pool = 100'000, .check_every = 50,
                    .first_seq = (uint64_t{1} << 32) - 25'000};
  RandomWindow(33, true, true, large);
}

// Reindex stages each shard's ids in its own array first; 2,560 ids give
// shards of 16 slots about 10 ids each, so some shards get more ids than their
// array holds (those are inserted after the rest) and grow on the way. The
// loaded window must answer exactly as the one built id by id, and take the
// same memory (the same growth).
TEST(DedupReindex, ShardsAboveTheirShareAnswerAsWhenPushedOneByOne) {
  constexpr int kIds = 2560;
  Dedup pushed(1'000'000, 1'000'000);
  std::vector<Dedup::Entry> listed;
  for (int i = 0; i < kIds; ++i) {
    const Fingerprint fp = FingerprintOf(Id(i));
    pushed.Push(fp, 1000 + i / 100, 1 + i);
    listed.push_back(Dedup::Entry{fp, 1000 + i / 100});
  }
  Dedup loaded(1'000'000, 1'000'000);
  loaded.AppendUnindexed(listed, 1);
  loaded.Reindex();
  ASSERT_EQ(loaded.size(), pushed.size());
  EXPECT_EQ(loaded.MemoryBytes(), pushed.MemoryBytes());
  for (int i = 0; i < 2 * kIds; ++i) {
    const Fingerprint fp = FingerprintOf(Id(i));
    ASSERT_EQ(loaded.Contains(fp, 2000, kIds + 1), i < kIds) << "id " << i;
  }
  // Evicting through the loaded set finds the slots again: all but the last
  // frame's 60 ids (received at 1025) leave.
  const int64_t later = 1025 + 1'000'000;
  loaded.Evict(later, kIds);
  EXPECT_EQ(loaded.size(), 60u);
  for (int i = 0; i < kIds; ++i) {
    ASSERT_EQ(loaded.Contains(FingerprintOf(Id(i)), later, kIds + 1), i >= 2500) << "id " << i;
  }
}

// A replayed log's ids go in unchecked and are checked in bulk
// (PushUnchecked, IndexPending): the first repeat found must be the first
// event that a lookup before each push (Contains) calls a duplicate, and
// the admission it names the newest earlier one of that id; once indexed,
// the set must answer as the one built by Push. Ids come from a pool a few
// times the window, so most come back after they left it (no repeat) and a
// few within it; frames evict as they go (time and count), and the pending
// ids are indexed at random moments, by Evict when it must.
TEST(DedupUnchecked, FindsTheFirstRepeatALookupWouldHaveFound) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    std::mt19937_64 rng(seed);
    auto uniform = [&rng](int64_t lo, int64_t hi) {
      return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
    };
    const int64_t window_ms = 1000;
    const uint64_t max_ids = seed % 2 == 0 ? 200 : 100'000;
    const int pool = static_cast<int>(uniform(2'000, 20'000));
    Dedup looked(window_ms, max_ids), unchecked(window_ms, max_ids);
    std::map<int, uint64_t> newest;  // id → seq of its newest admission
    Dedup::Repeat first;
    uint64_t seq = 0;
    int64_t now = 0;
    for (int frame = 0; frame < 400; ++frame) {
      now += uniform(0, 9) == 0 ? uniform(300, 1500) : uniform(0, 30);
      const int n = static_cast<int>(uniform(1, 60));
      for (int k = 0; k < n; ++k) {
        const int id = static_cast<int>(uniform(0, pool - 1));
        const Fingerprint fp = FingerprintOf(Id(id));
        if (looked.Contains(fp, now, seq + 1) && first.seq == 0) first = {seq + 1, newest.at(id)};
        looked.Push(fp, now, ++seq);
        unchecked.PushUnchecked(fp, now, seq);
        newest[id] = seq;
      }
      if (uniform(0, 3) == 0) unchecked.IndexPending();
      looked.Evict(now, seq);
      unchecked.Evict(now, seq);
      ASSERT_EQ(unchecked.size(), looked.size()) << "seed " << seed << " frame " << frame;
      if (uniform(0, 20) == 0) {
        unchecked.IndexPending();
        for (int id = 0; id < pool; id += 7) {
          const Fingerprint fp = FingerprintOf(Id(id));
          ASSERT_EQ(unchecked.Contains(fp, now, seq + 1), looked.Contains(fp, now, seq + 1))
              << "seed " << seed << " frame " << frame << " id " << id;
        }
      }
    }
    unchecked.IndexPending();
    EXPECT_EQ(unchecked.pending(), 0u);
    EXPECT_EQ(unchecked.repeat().seq, first.seq) << "seed " << seed;
    EXPECT_EQ(unchecked.repeat().earlier_seq, first.earlier_seq) << "seed " << seed;
  }
}

TEST(Fingerprint, HalvesAreIndependentHashes) {
  Fingerprint a = FingerprintOf("order-1"), b = FingerprintOf("order-2");
  EXPECT_NE(a.lo, a.hi);
  EXPECT_NE(a.lo, b.lo);
  EXPECT_NE(a.hi, b.hi);
  EXPECT_EQ(a, FingerprintOf("order-1"));
}

}  // namespace
}  // namespace bangdan
