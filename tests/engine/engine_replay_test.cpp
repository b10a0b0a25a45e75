// ReplayPipeline: replay through sums, on one thread or two, must leave the
// engine exactly as the live engine (and ReplayBatch) does — the same bytes —
// across days, retention, refunds, duplicates that count again, absent
// fields and roll-ups at any point; and stop where ReplayBatch stops at a
// gap in the log, or name an id it repeats.
#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "bangdan/engine.h"
#include "bangdan/env.h"
#include "event_builder.h"
#include "random_stream.h"

namespace bangdan {
namespace {

using namespace testing_util;

// Two days kept: a stream of ~5 s between events crosses several midnights,
// and each drops a day window.
EngineOptions Options() {
  EngineOptions o;
  o.tz_offset_minutes = kTz;
  o.keep_days = 2;
  return o;
}

// A live engine's log: every accepted event with its seq and receive time.
struct Log {
  // unique_users: every event a user of its own, so that no two events
  // share a (city, firm, team, user) — sums that do not add up.
  explicit Log(int events, uint32_t seed, bool unique_users = false) {
    Engine live(Options());
    Stream stream(seed);
    for (int i = 0; i < events; ++i) {
      int64_t recv_ms;
      evs.push_back(stream.Next(&recv_ms));
      if (unique_users) evs.back().user = "unique-" + std::to_string(i);
      const Event e = evs.back().view();
      const Admission a = live.Admit(e, recv_ms);
      if (!a.accepted()) continue;
      live.Apply(e, a);
      logged.push_back(LoggedEvent{e, a.seq, recv_ms});
    }
    live.Serialize(&state);
  }
  std::deque<Ev> evs;  // the logged events point into these
  std::vector<LoggedEvent> logged;
  std::string state;   // the live engine's, at the end
};

std::string StateOf(const Engine& e) {
  std::string s;
  e.Serialize(&s);
  return s;
}

TEST(ReplayPipelineTest, TwoThreadsGiveTheLiveEnginesStateByteForByte) {
  const Log log(60'000, 5);
  std::unique_ptr<Helper> helper = Env::Default()->NewHelper();
  ASSERT_NE(helper, nullptr);
  for (size_t batch : {1, 7, 256, 1024, 5000}) {
    Engine engine(Options());
    ReplayPipeline replay(&engine, helper.get());
    for (size_t at = 0; at < log.logged.size(); at += batch) {
      const size_t n = std::min(batch, log.logged.size() - at);
      size_t failed;
      const Status st = replay.Add(std::span(log.logged).subspan(at, n), &failed);
      ASSERT_TRUE(st.ok()) << st.ToString();
      ASSERT_EQ(failed, n);
      ASSERT_EQ(engine.applied_seq(), log.logged[at + n - 1].seq);
    }
    replay.Finish();
    EXPECT_EQ(StateOf(engine), log.state) << "batches of " << batch;
  }
}

TEST(ReplayPipelineTest, WithoutAHelperTheSameBytes) {
  const Log log(5'000, 6);
  Engine engine(Options());
  ReplayPipeline replay(&engine, nullptr);
  for (size_t at = 0; at < log.logged.size(); at += 300) {
    size_t failed;
    const size_t n = std::min<size_t>(300, log.logged.size() - at);
    ASSERT_TRUE(replay.Add(std::span(log.logged).subspan(at, n), &failed).ok());
  }
  replay.Finish();
  EXPECT_EQ(StateOf(engine), log.state);
}

// The sums go on the boards whenever they grow past max_sums, and at every
// Finish, after which Add may go on: each roll-up must continue the entries
// (order, values, the seqs of their last changes) exactly. Small limits roll
// up after nearly every batch, across midnights and dropped days; always
// summing, and with the default rule, which gives up on this log's keys
// (they repeat too little for it) after the first roll-up.
TEST(ReplayPipelineTest, RollingUpMidwayChangesNothing) {
  const Log log(20'000, 8);
  std::unique_ptr<Helper> helper = Env::Default()->NewHelper();
  for (size_t max_sums : {1, 50, 1'500}) {
    for (unsigned min_adds : {0u, 2u}) {
      for (bool with_helper : {false, true}) {
        Engine engine(Options());
        ReplayPipeline replay(&engine, with_helper ? helper.get() : nullptr,
                              ReplayPipeline::Options{max_sums, min_adds});
        for (size_t at = 0; at < log.logged.size(); at += 400) {
          size_t failed;
          const size_t n = std::min<size_t>(400, log.logged.size() - at);
          ASSERT_TRUE(replay.Add(std::span(log.logged).subspan(at, n), &failed).ok());
          if (at % 4'000 == 0) replay.Finish();
        }
        EXPECT_EQ(replay.summing(), min_adds == 0);
        replay.Finish();
        EXPECT_EQ(StateOf(engine), log.state)
            << "max_sums " << max_sums << " min_adds " << min_adds << " helper " << with_helper;
      }
    }
  }
}

// A log whose keys hardly repeat goes straight onto the entries after the
// first roll-up (summing them only adds work); days change on the way, and
// each such batch runs alone. The bytes are the live engine's either way.
TEST(ReplayPipelineTest, KeysThatDoNotRepeatGoStraightOntoTheEntries) {
  const Log log(60'000, 10, /*unique_users=*/true);  // ~3.5 days: days dropped
  std::unique_ptr<Helper> helper = Env::Default()->NewHelper();
  for (bool with_helper : {false, true}) {
    Engine engine(Options());
    ReplayPipeline replay(&engine, with_helper ? helper.get() : nullptr,
                          ReplayPipeline::Options{.max_sums = 2'000});
    for (size_t at = 0; at < log.logged.size(); at += 500) {
      size_t failed;
      const size_t n = std::min<size_t>(500, log.logged.size() - at);
      ASSERT_TRUE(replay.Add(std::span(log.logged).subspan(at, n), &failed).ok());
      if (at == 0) {
        EXPECT_TRUE(replay.summing());
      }
    }
    EXPECT_FALSE(replay.summing());
    replay.Finish();
    EXPECT_EQ(StateOf(engine), log.state) << "helper " << with_helper;
  }
}

// What replay leaves is a live engine: reads, then more events applied live,
// give what the engine that saw everything live gives.
TEST(ReplayPipelineTest, AReplayedEngineGoesOnLive) {
  const Log log(8'000, 9);
  Engine live(Options()), replayed(Options());
  const size_t half = log.logged.size() / 2;
  for (size_t i = 0; i < half; ++i) {
    live.Apply(log.logged[i].event, live.Admit(log.logged[i].event, log.logged[i].recv_ms));
  }
  {
    std::unique_ptr<Helper> helper = Env::Default()->NewHelper();
    ReplayPipeline replay(&replayed, helper.get());
    size_t failed;
    ASSERT_TRUE(replay.Add(std::span(log.logged).first(half), &failed).ok());
  }
  const int64_t now = log.logged[half - 1].recv_ms;
  BoardRef firms{Dimension::kFirm, ScopeKind::kNone, "", WindowSpec::Today()};
  BoardPage want, got;
  ASSERT_TRUE(live.Top(firms, Metric::kWeight, 0, 100, now, &want).ok());
  ASSERT_TRUE(replayed.Top(firms, Metric::kWeight, 0, 100, now, &got).ok());
  ASSERT_EQ(got.count, want.count);
  ASSERT_EQ(got.rows.size(), want.rows.size());
  for (size_t i = 0; i < want.rows.size(); ++i) EXPECT_EQ(got.rows[i].key, want.rows[i].key);
  for (size_t i = half; i < log.logged.size(); ++i) {
    const LoggedEvent& l = log.logged[i];
    live.Apply(l.event, live.Admit(l.event, l.recv_ms));
    replayed.Apply(l.event, replayed.Admit(l.event, l.recv_ms));
  }
  EXPECT_EQ(StateOf(replayed), StateOf(live));
  EXPECT_EQ(StateOf(replayed), log.state);
}

// A gap mid-batch: the events before it are on the boards (once Finish
// returns), as with ReplayBatch, and the error names the seq.
TEST(ReplayPipelineTest, AGapInTheLogStopsWhereReplayBatchStops) {
  const Log log(3'000, 7);
  std::unique_ptr<Helper> helper = Env::Default()->NewHelper();
  std::vector<LoggedEvent> bad(log.logged.begin(), log.logged.begin() + 2'000);
  bad[1'500].seq += 1;
  Engine piped(Options()), plain(Options());
  ReplayPipeline replay(&piped, helper.get());
  size_t failed = 0, plain_failed = 0;
  ASSERT_TRUE(replay.Add(std::span(bad).first(1'000), &failed).ok());
  const Status st = replay.Add(std::span(bad).subspan(1'000), &failed);
  ASSERT_TRUE(replay.Finish().ok());
  ASSERT_TRUE(plain.ReplayBatch(std::span(bad).first(1'000), &plain_failed).ok());
  const Status plain_st = plain.ReplayBatch(std::span(bad).subspan(1'000), &plain_failed);
  EXPECT_TRUE(st.IsCorruption());
  EXPECT_EQ(st.ToString(), plain_st.ToString());
  EXPECT_NE(st.ToString().find(std::to_string(bad[1'500].seq)), std::string::npos)
      << st.ToString();
  EXPECT_EQ(failed, 500u);
  EXPECT_EQ(plain_failed, 500u);
  EXPECT_EQ(StateOf(piped), StateOf(plain));
}

// An id repeated within the dedup window: the pipeline checks ids in bulk,
// so Add (when eviction made it check) or else Finish reports it, naming the
// event and the admission it repeats — whether the repeat is in the batch
// being added or long before it, and whatever the batches.
TEST(ReplayPipelineTest, AnIdRepeatedWithinTheWindowIsFoundAndNamed) {
  const Log log(6'000, 7);
  std::unique_ptr<Helper> helper = Env::Default()->NewHelper();
  const size_t n = log.logged.size();
  for (size_t at : {size_t{10}, n / 4, n - 10}) {
    for (size_t batch : {100, 1'024, 6'000}) {
      std::vector<LoggedEvent> bad = log.logged;
      bad[at].event.id = bad[at - 3].event.id;  // ~15 s apart: within the window
      Engine engine(Options());
      ReplayPipeline replay(&engine, helper.get());
      Status st;
      for (size_t from = 0; from < bad.size() && st.ok(); from += batch) {
        size_t failed;
        st = replay.Add(std::span(bad).subspan(from, std::min(batch, bad.size() - from)), &failed);
      }
      if (st.ok()) st = replay.Finish();
      ASSERT_TRUE(st.IsCorruption()) << "at " << at << " batch " << batch;
      EXPECT_EQ(replay.repeat().seq, bad[at].seq);
      EXPECT_EQ(replay.repeat().earlier_seq, bad[at - 3].seq);
      EXPECT_NE(st.ToString().find("sequence " + std::to_string(bad[at].seq) +
                                   " repeats the id of sequence " +
                                   std::to_string(bad[at - 3].seq)),
                std::string::npos)
          << st.ToString();
    }
  }
}

}  // namespace
}  // namespace bangdan
