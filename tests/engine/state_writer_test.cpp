// StateWriter: a state written in steps while events keep being applied,
// loaded and then caught up by replaying the log after its begin_seq, must be
// exactly the live engine's state — the same bytes, the same boards. The
// stream crosses days, drops days past retention between steps, evicts the
// dedup window past the writer, repeats ids, refunds and leaves fields out.
#include "bangdan/state_writer.h"

#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "bangdan/engine.h"
#include "event_builder.h"
#include "random_stream.h"

namespace bangdan {
namespace {

using namespace testing_util;

// An engine and its log: every accepted event with its seq and receive time.
class LoggedEngine {
 public:
  explicit LoggedEngine(const EngineOptions& o) : engine(o) {}

  void Send(const Ev& ev, int64_t recv_ms) {
    evs_.push_back(ev);
    const Event e = evs_.back().view();
    const Admission a = engine.Admit(e, recv_ms);
    if (!a.accepted()) return;
    engine.Apply(e, a);
    log_.push_back(Logged{&evs_.back(), a.seq, recv_ms});
  }

  // Replays the log after `after_seq` into `into`, in batches of random size.
  void ReplayAfter(uint64_t after_seq, Engine& into, Stream& rng) const {
    std::vector<Event> events;  // LoggedEvent points at these
    std::vector<LoggedEvent> batch;
    size_t i = 0;
    while (i < log_.size() && log_[i].seq <= after_seq) ++i;
    while (i < log_.size()) {
      const size_t n = std::min<size_t>(log_.size() - i, stream_batch(rng));
      events.clear();
      batch.clear();
      for (size_t j = 0; j < n; ++j) events.push_back(log_[i + j].ev->view());
      for (size_t j = 0; j < n; ++j) {
        batch.push_back(LoggedEvent{events[j], log_[i + j].seq, log_[i + j].recv_ms});
      }
      size_t failed;
      const Status st = into.ReplayBatch(batch, &failed);
      ASSERT_TRUE(st.ok()) << st.ToString();
      i += n;
    }
  }

  Engine engine;

 private:
  static size_t stream_batch(Stream& rng) { return static_cast<size_t>(rng.Uniform(1, 300)); }
  struct Logged {
    const Ev* ev;
    uint64_t seq;
    int64_t recv_ms;
  };
  std::deque<Ev> evs_;
  std::vector<Logged> log_;
};

EngineOptions Options() {
  EngineOptions o;
  o.tz_offset_minutes = kTz;
  o.keep_days = 2;                  // days drop while the writer runs
  o.dedup_window_ms = 2 * kHourMs;  // eviction passes the writer
  o.dedup_max = 500;
  return o;
}

void SendMany(LoggedEngine& live, Stream& stream, int n, int64_t* recv_ms) {
  for (int i = 0; i < n; ++i) {
    const Ev ev = stream.Next(recv_ms);
    live.Send(ev, *recv_ms);
  }
}

std::string Bytes(const Engine& e) {
  std::string s;
  e.Serialize(&s);
  return s;
}

void ExpectSameBoards(Engine& a, Engine& b, int64_t now) {
  for (Dimension d : {Dimension::kCity, Dimension::kFirm, Dimension::kTeam, Dimension::kUser,
                      Dimension::kProduct}) {
    for (WindowSpec w : {WindowSpec::Total(), WindowSpec::Today()}) {
      for (Metric m : {Metric::kWeight, Metric::kAmount, Metric::kOrders}) {
        BoardPage pa, pb;
        ASSERT_TRUE(a.Top(Ref(d, ScopeKind::kNone, "", w), m, 0, 100, now, &pa).ok());
        ASSERT_TRUE(b.Top(Ref(d, ScopeKind::kNone, "", w), m, 0, 100, now, &pb).ok());
        ASSERT_EQ(pa.rows.size(), pb.rows.size());
        for (size_t i = 0; i < pa.rows.size(); ++i) {
          EXPECT_EQ(pa.rows[i].key, pb.rows[i].key);
          EXPECT_EQ(pa.rows[i].amount_fen, pb.rows[i].amount_fen);
        }
      }
    }
  }
}

// One round: `before` events, a writer stepped with `budget` bytes and up to
// `between` events after each step, `after` more events; then load + replay.
void RunRound(uint32_t seed, int before, size_t budget, int between, int after) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  LoggedEngine live(Options());
  Stream stream(seed);
  int64_t recv_ms = 0;
  SendMany(live, stream, before, &recv_ms);
  StateWriter writer(live.engine);
  const uint64_t begin = live.engine.applied_seq();
  int steps = 0;
  while (!writer.Step(budget)) {
    ++steps;
    const int n = static_cast<int>(stream.Uniform(0, between));
    for (int i = 0; i < n; ++i) {
      // Now and then a jump of a day: windows drop past retention.
      Ev ev = stream.Next(&recv_ms);
      if (stream.Uniform(0, 199) == 0) recv_ms += kDayMs;
      live.Send(ev, recv_ms);
    }
  }
  EXPECT_EQ(writer.begin_seq(), begin);
  EXPECT_GE(writer.end_seq(), begin);
  EXPECT_LE(writer.end_seq(), live.engine.applied_seq());
  const std::string state = writer.Take();
  SendMany(live, stream, after, &recv_ms);

  Engine loaded(Options());
  ASSERT_TRUE(loaded.Deserialize(state).ok());
  EXPECT_EQ(loaded.applied_seq(), begin);
  EXPECT_EQ(loaded.catch_up_seq(), writer.end_seq());
  live.ReplayAfter(begin, loaded, stream);
  EXPECT_EQ(loaded.applied_seq(), live.engine.applied_seq());
  EXPECT_TRUE(Bytes(loaded) == Bytes(live.engine)) << "after " << steps << " steps";
  ExpectSameBoards(loaded, live.engine, recv_ms);
  // The dedup window came along exactly: every id the live engine refuses,
  // the loaded one refuses (and both admit a new one next).
  const Ev again = stream.Next(&recv_ms);
  const Event e = again.view();
  const Admission a = live.engine.Admit(e, recv_ms);
  const Admission b = loaded.Admit(e, recv_ms);
  EXPECT_EQ(a.accepted(), b.accepted());
  EXPECT_EQ(a.seq, b.seq);
}

// A writer reads nothing of the engine until its first step (a server makes
// it, and reserves its memory, without the engine's lock): events applied in
// between are in the state.
TEST(StateWriter, TheStateBeginsAtTheFirstStep) {
  LoggedEngine live(Options());
  Stream stream(4);
  int64_t recv_ms = 0;
  SendMany(live, stream, 500, &recv_ms);
  StateWriter writer(live.engine);
  writer.Reserve(1 << 20);
  SendMany(live, stream, 500, &recv_ms);
  ASSERT_TRUE(writer.Step(SIZE_MAX));
  EXPECT_EQ(writer.begin_seq(), live.engine.applied_seq());
  EXPECT_EQ(writer.Take(), Bytes(live.engine));
}

TEST(StateWriter, OneStepIsSerialize) {
  LoggedEngine live(Options());
  Stream stream(3);
  int64_t recv_ms = 0;
  SendMany(live, stream, 3000, &recv_ms);
  StateWriter writer(live.engine);
  ASSERT_TRUE(writer.Step(SIZE_MAX));
  EXPECT_EQ(writer.begin_seq(), writer.end_seq());
  const std::string state = writer.Take();
  EXPECT_EQ(state, Bytes(live.engine));
  Engine loaded(Options());
  ASSERT_TRUE(loaded.Deserialize(state).ok());
  EXPECT_EQ(loaded.catch_up_seq(), loaded.applied_seq());
  EXPECT_EQ(Bytes(loaded), state);
}

TEST(StateWriter, StepsWithEventsBetweenThenReplayGiveTheLiveState) {
  for (uint32_t seed = 1; seed <= 12; ++seed) {
    // Small steps (a few dozen entries each), up to 20 events between: the
    // writer still outpaces what the events add.
    RunRound(seed, 4000, static_cast<size_t>(1024 + seed * 97), 20, 200);
  }
}

TEST(StateWriter, LargeStepsAndNoEventsAfter) {
  for (uint32_t seed = 20; seed <= 24; ++seed) RunRound(seed, 20'000, 16 * 1024, 200, 0);
}

// Every event of the stream comes at a millisecond of its own, so the dedup
// window's receive times are one run an id — as large as the ids
// themselves. They too are written within each step's budget: no step
// writes more than the budget and one item (a name or an entry at most).
TEST(StateWriter, NoStepWritesMuchMoreThanItsBudget) {
  LoggedEngine live(Options());
  Stream stream(9);
  int64_t recv_ms = 0;
  SendMany(live, stream, 20'000, &recv_ms);
  StateWriter writer(live.engine);
  constexpr size_t kBudget = 4096;
  size_t before = writer.size();
  size_t largest = 0;
  for (bool done = false; !done;) {
    done = writer.Step(kBudget);
    largest = std::max(largest, writer.size() - before);
    before = writer.size();
  }
  EXPECT_LE(largest, kBudget + 256);
  EXPECT_EQ(writer.Take(), Bytes(live.engine));
}

TEST(StateWriter, EmptyEngine) {
  for (uint32_t seed = 30; seed <= 32; ++seed) RunRound(seed, 0, 100, 50, 100);
}

TEST(StateWriter, ReplayThatStopsShortOfEndSeqLeavesTheStateCatchingUp) {
  LoggedEngine live(Options());
  Stream stream(5);
  int64_t recv_ms = 0;
  SendMany(live, stream, 2000, &recv_ms);
  StateWriter writer(live.engine);
  while (!writer.Step(256)) {
    const Ev ev = stream.Next(&recv_ms);
    live.Send(ev, recv_ms);
  }
  ASSERT_GT(writer.end_seq(), writer.begin_seq());
  Engine loaded(Options());
  ASSERT_TRUE(loaded.Deserialize(writer.Take()).ok());
  EXPECT_LT(loaded.applied_seq(), loaded.catch_up_seq());  // recovery refuses this (recovery_test)
}

}  // namespace
}  // namespace bangdan
