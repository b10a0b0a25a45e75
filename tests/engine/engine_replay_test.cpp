// ReplayPipeline: replay on two threads must leave the engine exactly as
// ReplayBatch does — the same bytes — across days, retention, refunds,
// duplicates that count again and absent fields; and stop where ReplayBatch
// stops when the log disagrees with itself.
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
  explicit Log(int events, uint32_t seed) {
    Engine live(Options());
    Stream stream(seed);
    for (int i = 0; i < events; ++i) {
      int64_t recv_ms;
      evs.push_back(stream.Next(&recv_ms));
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

TEST(ReplayPipelineTest, WithoutAHelperItIsReplayBatch) {
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

// A repeated id or a gap mid-batch: the events before it are on the boards
// (once Finish returns), as with ReplayBatch, and the error names the seq.
TEST(ReplayPipelineTest, ALogThatDisagreesWithItselfStopsWhereReplayBatchStops) {
  const Log log(3'000, 7);
  std::unique_ptr<Helper> helper = Env::Default()->NewHelper();
  for (bool gap : {false, true}) {
    std::vector<LoggedEvent> bad(log.logged.begin(), log.logged.begin() + 2'000);
    if (gap) {
      bad[1'500].seq += 1;
    } else {
      bad[1'500].event.id = bad[1'499].event.id;
    }
    Engine piped(Options()), plain(Options());
    ReplayPipeline replay(&piped, helper.get());
    size_t failed = 0, plain_failed = 0;
    ASSERT_TRUE(replay.Add(std::span(bad).first(1'000), &failed).ok());
    const Status st = replay.Add(std::span(bad).subspan(1'000), &failed);
    replay.Finish();
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
}

}  // namespace
}  // namespace bangdan
