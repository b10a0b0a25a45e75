// Sums that cannot overflow (engine/src/sum_bound.h): admission refuses an
// event whose magnitudes would take a bound past the limit, naming the field,
// and keeps nothing of it; refunds count whole; a loaded state is bound by
// its own largest sum (a state written in steps once the log caught it up),
// and replay adds what it replays without ever refusing.
#include "sum_bound.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "bangdan/engine.h"
#include "bangdan/state_writer.h"
#include "event_builder.h"

namespace bangdan {
namespace {

using namespace testing_util;

constexpr int64_t kNow = kMidnight + 10 * kHourMs;
constexpr uint64_t kMax = INT64_MAX;
constexpr std::string_view kAmountError = "amount_fen: would overflow the campaign's 64-bit sums";
constexpr std::string_view kWeightError = "weight_g: would overflow the campaign's 64-bit sums";

Event Amounts(int64_t weight_g, int64_t amount_fen) {
  Event e;
  e.weight_g = weight_g;
  e.amount_fen = amount_fen;
  return e;
}

TEST(SumBound, AdmitsUpToTheLimitAndNoFurther) {
  SumBound b{0, kMax - 10};
  Metric over = Metric::kOrders;
  EXPECT_TRUE(b.TryAdd(Amounts(0, 10), kMax, &over));
  EXPECT_EQ(b.amount_fen, kMax);
  EXPECT_FALSE(b.TryAdd(Amounts(0, 1), kMax, &over));
  EXPECT_EQ(over, Metric::kAmount);
  EXPECT_EQ(b, (SumBound{0, kMax}));  // a refusal changes nothing
  EXPECT_TRUE(b.TryAdd(Amounts(5, 0), kMax, &over));  // the other metric has room
  EXPECT_EQ(b, (SumBound{5, kMax}));
}

TEST(SumBound, NamesTheWeightWhenBothWouldPass) {
  SumBound b{kMax, kMax};
  Metric over = Metric::kOrders;
  EXPECT_FALSE(b.TryAdd(Amounts(1, 1), kMax, &over));
  EXPECT_EQ(over, Metric::kWeight);
}

// Replay never refuses, so its bound may pass the limit (a state written in
// steps counts some events twice until it is exact): it saturates rather
// than wrap, and admission then refuses every event that moves a sum.
TEST(SumBound, ReplaySaturatesAndAdmissionStillRefuses) {
  EXPECT_EQ(SumBound::Magnitude(INT64_MIN), uint64_t{1} << 63);
  EXPECT_EQ(SumBound::Magnitude(-7), 7u);
  SumBound b{UINT64_MAX - 1, kMax};
  b.Add(Amounts(kMaxWeightG, kMaxAmountFen));
  EXPECT_EQ(b, (SumBound{UINT64_MAX, kMax + kMaxAmountFen}));
  Metric over;
  EXPECT_FALSE(b.TryAdd(Amounts(1, 0), kMax, &over));
  EXPECT_TRUE(b.TryAdd(Amounts(0, 0), kMax, &over));  // moves no sum
}

// The engine with sums capped at 10,000, so that a few events reach the cap.
constexpr int64_t kLimit = 10'000;

EngineOptions Limited() {
  EngineOptions o;
  o.max_sum = kLimit;
  return o;
}

Ev Purchase(const std::string& id, int64_t amount_fen, int64_t weight_g = 0,
            const std::string& team = "t") {
  Ev ev;
  ev.id = id;
  ev.team = team;
  ev.amount_fen = amount_fen;
  ev.weight_g = weight_g;
  return ev;
}

Ev Refund(const std::string& id, int64_t amount_fen, const std::string& team = "t") {
  Ev ev = Purchase(id, amount_fen, 0, team);
  ev.refund = true;
  return ev;
}

// Admits and, if accepted, applies.
Admission Offer(Engine& engine, const Ev& ev, int64_t recv_ms = kNow) {
  const Event e = ev.view();
  const Admission a = engine.Admit(e, recv_ms);
  if (a.accepted()) engine.Apply(e, a);
  return a;
}

// Whether `engine` has room for exactly `room` more fen: an event of that
// much is accepted, and then one of a single fen is refused.
void ExpectAmountRoom(Engine& engine, int64_t room) {
  const Admission fits = Offer(engine, Purchase("fits", room));
  EXPECT_TRUE(fits.accepted()) << "no room for " << room;
  const Admission more = Offer(engine, Purchase("one-more", 1));
  EXPECT_TRUE(more.rejected()) << "room beyond " << room;
}

TEST(SumBoundAdmission, AnEventThatWouldOverflowIsRejectedNamingTheField) {
  Engine engine(Limited());
  EXPECT_EQ(Offer(engine, Purchase("a", 6000)).seq, 1u);
  const Admission b = Offer(engine, Purchase("b", 5000));
  EXPECT_TRUE(b.rejected());
  EXPECT_EQ(b.error(), kAmountError);
  EXPECT_EQ(b.seq, 0u);
  EXPECT_EQ(engine.admitted_seq(), 1u);  // no sequence number
  EXPECT_EQ(Offer(engine, Purchase("c", 4000)).seq, 2u);  // fits exactly
  EXPECT_EQ(Offer(engine, Purchase("d", 1)).error(), kAmountError);
  EXPECT_EQ(Offer(engine, Purchase("e", 0, kLimit + 1)).error(), kWeightError);
  EXPECT_EQ(Offer(engine, Purchase("f", 0, kLimit)).seq, 3u);
  const Totals t = engine.GetTotals(WindowSpec::Total(), kNow);
  EXPECT_EQ(t.amount_fen, kLimit);
  EXPECT_EQ(t.weight_g, kLimit);
  EXPECT_EQ(t.events, 3u);
  // "b" was not remembered: sent again with what fits, it is accepted.
  EXPECT_EQ(Offer(engine, Purchase("b", 0)).seq, 4u);
  // A retry of an accepted event is a duplicate, full sums or not.
  const Admission retry = Offer(engine, Purchase("a", 6000));
  EXPECT_FALSE(retry.accepted());
  EXPECT_FALSE(retry.rejected());
  EXPECT_EQ(retry.error(), "");
}

TEST(SumBoundAdmission, AFrameJudgesEachEventInTurn) {
  Engine engine(Limited());
  const std::vector<Ev> evs = {Purchase("x", 6000), Purchase("y", 5000), Purchase("y", 4000),
                               Purchase("x", 1), Purchase("z", 1)};
  std::vector<Event> events;
  for (const Ev& ev : evs) events.push_back(ev.view());
  std::vector<Admission> out(events.size());
  engine.AdmitBatch(events, kNow, out.data());
  EXPECT_TRUE(out[0].accepted());
  EXPECT_EQ(out[1].error(), kAmountError);
  // The first "y" was refused, so the second is judged on its own: it fits.
  EXPECT_EQ(out[2].seq, 2u);
  EXPECT_EQ(out[3].verdict, Admission::Verdict::kDuplicate);
  EXPECT_EQ(out[4].error(), kAmountError);
  EXPECT_EQ(engine.admitted_seq(), 2u);
}

// Refunds take room as purchases do: the bound counts magnitudes, not the
// signed sums, which may be far from the limit. Conservative on purpose:
// which sums a refund brings back toward zero is known only on the boards.
TEST(SumBoundAdmission, RefundsCountWhole) {
  Engine engine(Limited());
  EXPECT_TRUE(Offer(engine, Purchase("p1", 4000)).accepted());
  EXPECT_TRUE(Offer(engine, Refund("r1", 4000)).accepted());
  EXPECT_TRUE(Offer(engine, Purchase("p2", 2000)).accepted());
  EXPECT_EQ(engine.GetTotals(WindowSpec::Total(), kNow).amount_fen, 2000);
  EXPECT_EQ(Offer(engine, Purchase("p3", 1)).error(), kAmountError);
}

// Admissions taken back (a failed write) keep the room they took: a bound
// needs only to be large enough.
TEST(SumBoundAdmission, UnadmittedEventsKeepTheirRoom) {
  Engine engine(Limited());
  const Ev big = Purchase("big", 6000);
  ASSERT_TRUE(engine.Admit(big.view(), kNow).accepted());
  engine.Unadmit(0);
  EXPECT_EQ(Offer(engine, Purchase("other", 5000)).error(), kAmountError);
  EXPECT_TRUE(Offer(engine, Purchase("big", 4000)).accepted());
}

std::string StateOf(const Engine& e) {
  std::string s;
  e.Serialize(&s);
  return s;
}

// The largest magnitude here is a negative sum in a day window: team a
// bought 2,000 yesterday and refunded 3,000 today. The live engine's bound
// is 6,000, the loaded one's 3,000.
TEST(SumBoundLoading, ALoadedStateIsBoundByItsLargestSum) {
  Engine live(Limited());
  Ev yesterday = Purchase("a1", 2000, 0, "a");
  yesterday.has_ts = true;
  yesterday.ts_ms = kNow - kDayMs;
  ASSERT_TRUE(Offer(live, yesterday).accepted());
  ASSERT_TRUE(Offer(live, Refund("a2", 3000, "a")).accepted());
  ASSERT_TRUE(Offer(live, Purchase("b1", 1000, 0, "b")).accepted());
  EXPECT_EQ(Offer(live, Purchase("live-more", 4001)).error(), kAmountError);

  Engine loaded(Limited());
  ASSERT_TRUE(loaded.Deserialize(StateOf(live)).ok());
  ExpectAmountRoom(loaded, kLimit - 3000);
}

// A state written in steps holds some events twice over for the bound: in
// the entries written after them, and again as the log replays them. Once
// the log has caught the state up, its bound is its own largest sum again.
TEST(SumBoundLoading, AStateWrittenInStepsIsBoundByItsSumsOnceCaughtUp) {
  Engine live(Limited());
  ASSERT_TRUE(Offer(live, Purchase("a", 3000, 0, "a")).accepted());
  StateWriter writer(live);
  ASSERT_FALSE(writer.Step(1));
  const Ev second = Purchase("b", 3000, 0, "b");
  ASSERT_EQ(Offer(live, second).seq, 2u);
  while (!writer.Step(1)) {
  }
  Engine loaded(Limited());
  ASSERT_TRUE(loaded.Deserialize(writer.Take()).ok());
  ASSERT_EQ(loaded.applied_seq(), 1u);
  ASSERT_EQ(loaded.catch_up_seq(), 2u);
  // The state holds the second event already: its bound is 6,000 before
  // the replay, which adds 3,000 more for it.
  ASSERT_EQ(loaded.GetTotals(WindowSpec::Total(), kNow).amount_fen, 6000);
  const LoggedEvent logged{second.view(), 2, kNow};
  ASSERT_TRUE(loaded.Replay(logged.event, logged.seq, logged.recv_ms).ok());
  ExpectAmountRoom(loaded, kLimit - 6000);
  ExpectAmountRoom(live, kLimit - 6000);
}

// After a snapshot, the log's events add their magnitudes as the live
// engine's admission did: the loaded engine ends with the live one's bound.
TEST(SumBoundLoading, ReplayAddsWhatItReplays) {
  Engine live(Limited());
  ASSERT_TRUE(Offer(live, Purchase("a", 3000)).accepted());
  const std::string state = StateOf(live);
  const Ev refund = Refund("r", 2000);
  ASSERT_EQ(Offer(live, refund).seq, 2u);

  Engine loaded(Limited());
  ASSERT_TRUE(loaded.Deserialize(state).ok());
  {
    ReplayPipeline replay(&loaded, nullptr);
    const LoggedEvent logged[] = {{refund.view(), 2, kNow}};
    size_t failed;
    ASSERT_TRUE(replay.Add(logged, &failed).ok());
    ASSERT_TRUE(replay.Finish().ok());
  }
  EXPECT_EQ(loaded.GetTotals(WindowSpec::Total(), kNow).amount_fen, 1000);
  ExpectAmountRoom(loaded, kLimit - 5000);
  ExpectAmountRoom(live, kLimit - 5000);
}

// Replay takes every logged event: each was admitted once, by an engine
// that had room for it — here, a larger limit than this engine's.
TEST(SumBoundLoading, ReplayNeverRefuses) {
  for (const bool pipeline : {false, true}) {
    SCOPED_TRACE(pipeline ? "ReplayPipeline" : "ReplayBatch");
    EngineOptions o;
    o.max_sum = 100;
    Engine engine(o);
    const Ev evs[] = {Purchase("a", 3000), Refund("b", 3000), Purchase("c", 3000)};
    std::vector<LoggedEvent> logged;
    for (uint64_t i = 0; i < 3; ++i) logged.push_back(LoggedEvent{evs[i].view(), i + 1, kNow});
    size_t failed;
    if (pipeline) {
      ReplayPipeline replay(&engine, nullptr);
      ASSERT_TRUE(replay.Add(logged, &failed).ok());
      ASSERT_TRUE(replay.Finish().ok());
    } else {
      ASSERT_TRUE(engine.ReplayBatch(logged, &failed).ok());
    }
    EXPECT_EQ(engine.applied_seq(), 3u);
    EXPECT_EQ(engine.GetTotals(WindowSpec::Total(), kNow).amount_fen, 3000);
    EXPECT_TRUE(Offer(engine, Purchase("free", 0)).accepted());
    EXPECT_EQ(Offer(engine, Purchase("more", 1)).error(), kAmountError);
  }
}

}  // namespace
}  // namespace bangdan
