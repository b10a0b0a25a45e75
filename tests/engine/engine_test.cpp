// The engine, rule by rule (SPEC §1 and §2).
#include "bangdan/engine.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "event_builder.h"

namespace bangdan {
namespace {

using namespace testing_util;

constexpr int64_t kNow = kMidnight + 10 * kHourMs;  // 2026-11-23 10:00 +08:00

class EngineTest : public ::testing::Test {
 protected:
  // Sends an event for `key` on the dimension under test (team by default).
  uint64_t Buy(const std::string& team, int64_t weight, int64_t amount = 0, bool refund = false) {
    Ev e;
    e.id = Name("e", ++ids_);
    e.team = team;
    e.weight_g = weight;
    e.amount_fen = amount;
    e.refund = refund;
    return Send(engine_, e, kNow);
  }
  uint64_t Send1(Ev e, int64_t recv_ms = kNow) {
    if (e.id.empty()) e.id = Name("e", ++ids_);
    return Send(engine_, e, recv_ms);
  }
  // Keys of a board in order.
  std::vector<std::string> Keys(const BoardRef& ref, Metric m = Metric::kWeight,
                                int64_t now = kNow) {
    BoardPage page;
    EXPECT_TRUE(engine_.Top(ref, m, 0, 1000, now, &page).ok());
    std::vector<std::string> keys;
    for (const BoardRow& r : page.rows) keys.emplace_back(r.key);
    return keys;
  }
  using V = std::vector<std::string>;

  Engine engine_;
  int ids_ = 0;
};

TEST_F(EngineTest, HigherValueRanksFirst) {
  Buy("a", 100);
  Buy("b", 300);
  Buy("c", 200);
  EXPECT_EQ(Keys(Ref(Dimension::kTeam)), (V{"b", "c", "a"}));
}

TEST_F(EngineTest, EqualValuesRankTheEntityThatReachedItFirstHigher) {
  Buy("late", 50);
  Buy("early", 100);
  Buy("late", 50);  // reaches 100 after "early" did
  EXPECT_EQ(Keys(Ref(Dimension::kTeam)), (V{"early", "late"}));
}

TEST_F(EngineTest, RefundBringingTwoEntitiesLevelRanksTheOneThatWasThereFirst) {
  Buy("a", 100);
  Buy("b", 150);
  Buy("b", 50, 0, /*refund=*/true);  // b back to 100 with a later change than a's
  EXPECT_EQ(Keys(Ref(Dimension::kTeam)), (V{"a", "b"}));
  Buy("a", 50);
  Buy("a", 50, 0, true);  // now a's last change is the later one
  EXPECT_EQ(Keys(Ref(Dimension::kTeam)), (V{"b", "a"}));
}

TEST_F(EngineTest, AnEventLeavingAValueUnchangedDoesNotCountAsAChange) {
  Buy("a", 100);
  Buy("b", 100);
  Buy("a", 0, 5);  // a's weight is unchanged: a still reached 100 first
  EXPECT_EQ(Keys(Ref(Dimension::kTeam)), (V{"a", "b"}));
  // Its amount and orders did change.
  EXPECT_EQ(Keys(Ref(Dimension::kTeam), Metric::kAmount), (V{"a", "b"}));
  EXPECT_EQ(Keys(Ref(Dimension::kTeam), Metric::kOrders), (V{"a", "b"}));
  Buy("b", 0, 5);
  EXPECT_EQ(Keys(Ref(Dimension::kTeam), Metric::kAmount), (V{"a", "b"}));
  Buy("a", 0, 0);  // amount unchanged for a: b's 5 came later but a keeps its place
  EXPECT_EQ(Keys(Ref(Dimension::kTeam), Metric::kAmount), (V{"a", "b"}));
  EXPECT_EQ(Keys(Ref(Dimension::kTeam), Metric::kOrders), (V{"a", "b"}));  // 3 vs 2
}

TEST_F(EngineTest, AnEntitysFirstEventAlwaysCountsAsAChange) {
  Buy("x", 0);
  Buy("y", 0);
  Buy("z", 0);
  // All at 0: ordered by their first events.
  EXPECT_EQ(Keys(Ref(Dimension::kTeam)), (V{"x", "y", "z"}));
  Buy("x", 0);  // no change of weight: x keeps its place
  EXPECT_EQ(Keys(Ref(Dimension::kTeam)), (V{"x", "y", "z"}));
}

TEST_F(EngineTest, NegativeValuesAreExactAndRankLowest) {
  Buy("pos", 1);
  Buy("neg", 1'000'000'000, 1'000'000'000'000, true);
  Buy("zero", 0);
  BoardPage page;
  ASSERT_TRUE(engine_.Top(Ref(Dimension::kTeam), Metric::kWeight, 0, 10, kNow, &page).ok());
  ASSERT_EQ(page.rows.size(), 3u);
  EXPECT_EQ(page.rows[2].key, "neg");
  EXPECT_EQ(page.rows[2].weight_g, -1'000'000'000);
  EXPECT_EQ(page.rows[2].amount_fen, -1'000'000'000'000);
  EXPECT_EQ(page.rows[2].orders, -1);
}

TEST_F(EngineTest, ScopedBoardsCountOnlyMatchingEvents) {
  Send1(Ev{.city = "合肥", .firm = "f1", .team = "t1", .weight_g = 10});
  Send1(Ev{.city = "芜湖", .firm = "f1", .team = "t2", .weight_g = 30});
  Send1(Ev{.city = "合肥", .firm = "f2", .team = "t1", .weight_g = 20});
  BoardPage page;
  ASSERT_TRUE(engine_.Top(Ref(Dimension::kFirm, ScopeKind::kCity, "合肥"), Metric::kWeight, 0,
                          10, kNow, &page).ok());
  ASSERT_EQ(page.count, 2u);
  EXPECT_EQ(page.rows[0].key, "f2");
  EXPECT_EQ(page.rows[1].key, "f1");
  EXPECT_EQ(page.rows[1].weight_g, 10);  // not the 30 it sold in 芜湖
  EXPECT_EQ(Keys(Ref(Dimension::kFirm)), (V{"f1", "f2"}));
  EXPECT_EQ(Keys(Ref(Dimension::kTeam, ScopeKind::kFirm, "f1")), (V{"t2", "t1"}));
  EXPECT_EQ(Keys(Ref(Dimension::kTeam, ScopeKind::kCity, "芜湖")), (V{"t2"}));
}

TEST_F(EngineTest, AbsentTeamUserOrProductCountOnNoSuchBoard) {
  Send1(Ev{.weight_g = 10});
  Send1(Ev{.user = "u1", .weight_g = 5});  // a user without a team
  Send1(Ev{.team = "t", .product = "茶叶", .weight_g = 1});
  EXPECT_EQ(Keys(Ref(Dimension::kTeam)), (V{"t"}));
  EXPECT_EQ(Keys(Ref(Dimension::kUser)), (V{"u1"}));
  EXPECT_EQ(Keys(Ref(Dimension::kUser, ScopeKind::kTeam, "t")), V{});
  EXPECT_EQ(Keys(Ref(Dimension::kProduct)), (V{"茶叶"}));
  EXPECT_EQ(Keys(Ref(Dimension::kProduct, ScopeKind::kCity, "合肥")), (V{"茶叶"}));
  Totals t = engine_.GetTotals(WindowSpec::Total(), kNow);
  EXPECT_EQ(t.events, 3u);
  EXPECT_EQ(t.entities, (std::array<uint64_t, 5>{1, 1, 1, 1, 1}));
}

TEST_F(EngineTest, AScopeThatTheBoardDoesNotAllowIsAnErrorNamingIt) {
  BoardPage page;
  Status st = engine_.Top(Ref(Dimension::kUser, ScopeKind::kCity, "合肥"), Metric::kWeight, 0,
                          10, kNow, &page);
  ASSERT_TRUE(st.IsInvalidArgument());
  EXPECT_EQ(st.message(), "city: board 'user' cannot be scoped by city");
  EntryResult entry;
  EXPECT_TRUE(engine_.Entry(Ref(Dimension::kCity, ScopeKind::kFirm, "f"), Metric::kWeight, "x",
                            0, kNow, &entry).IsInvalidArgument());
}

TEST_F(EngineTest, AScopeKeyNeverSeenAnswersAnEmptyBoard) {
  Buy("t", 5);
  BoardPage page;
  ASSERT_TRUE(engine_.Top(Ref(Dimension::kTeam, ScopeKind::kCity, "nowhere"), Metric::kWeight, 0,
                          10, kNow, &page).ok());
  EXPECT_EQ(page.count, 0u);
  EXPECT_TRUE(page.rows.empty());
  EXPECT_EQ(engine_.Count(Ref(Dimension::kTeam, ScopeKind::kFirm, "nobody"), kNow), 0u);
}

TEST_F(EngineTest, DayWindowsSplitAtLocalMidnight) {
  Send1(Ev{.team = "before", .weight_g = 1, .ts_ms = kMidnight - 1, .has_ts = true});
  Send1(Ev{.team = "after", .weight_g = 1, .ts_ms = kMidnight, .has_ts = true});
  const WindowSpec yesterday = WindowSpec::Day(DaysFromCivil(2026, 11, 22));
  const WindowSpec today = WindowSpec::Day(DaysFromCivil(2026, 11, 23));
  const BoardRef ref = Ref(Dimension::kTeam);
  EXPECT_EQ(Keys(Ref(Dimension::kTeam, ScopeKind::kNone, "", yesterday)), (V{"before"}));
  EXPECT_EQ(Keys(Ref(Dimension::kTeam, ScopeKind::kNone, "", today)), (V{"after"}));
  EXPECT_EQ(Keys(Ref(Dimension::kTeam, ScopeKind::kNone, "", WindowSpec::Today())), (V{"after"}));
  EXPECT_EQ(Keys(Ref(Dimension::kTeam, ScopeKind::kNone, "", WindowSpec::Today()),
                 Metric::kWeight, kMidnight - 1),
            (V{"before"}));
  EXPECT_EQ(Keys(ref), (V{"before", "after"}));
  EXPECT_EQ(engine_.Resolve(WindowSpec::Today(), kMidnight), today);
  EXPECT_EQ(engine_.Resolve(WindowSpec::Today(), kMidnight - 1), yesterday);
}

TEST_F(EngineTest, AnEventWithoutTsCountsInTheDayItWasReceived) {
  Send1(Ev{.team = "t", .weight_g = 1}, kMidnight - 1);
  EXPECT_EQ(engine_.GetTotals(WindowSpec::Day(DaysFromCivil(2026, 11, 22)), kNow).events, 1u);
  EXPECT_EQ(engine_.GetTotals(WindowSpec::Today(), kNow).events, 0u);
}

TEST_F(EngineTest, AnEventOlderThanTheKeptDaysCountsInTotalOnly) {
  const int64_t eight_days_ago = kNow - 8 * kDayMs;
  const int64_t seven_days_ago = kNow - 7 * kDayMs;
  Send1(Ev{.team = "old", .weight_g = 1, .ts_ms = eight_days_ago, .has_ts = true});
  Send1(Ev{.team = "kept", .weight_g = 1, .ts_ms = seven_days_ago, .has_ts = true});
  EXPECT_EQ(Keys(Ref(Dimension::kTeam)), (V{"old", "kept"}));
  const WindowSpec d8 = WindowSpec::Day(DayOf(eight_days_ago, 480));
  const WindowSpec d7 = WindowSpec::Day(DayOf(seven_days_ago, 480));
  EXPECT_EQ(Keys(Ref(Dimension::kTeam, ScopeKind::kNone, "", d8)), V{});
  EXPECT_EQ(Keys(Ref(Dimension::kTeam, ScopeKind::kNone, "", d7)), (V{"kept"}));
  // Even asked at a time when that day would be kept, it holds nothing.
  EXPECT_EQ(engine_.GetTotals(d8, eight_days_ago).events, 0u);
  EXPECT_EQ(engine_.GetTotals(WindowSpec::Total(), kNow).events, 2u);
}

TEST_F(EngineTest, DaysThatFallOutAreFreedAsTheClockMoves) {
  Send1(Ev{.team = "t", .weight_g = 1});
  const WindowSpec today = WindowSpec::Day(DayOf(kNow, 480));
  EXPECT_EQ(engine_.GetTotals(today, kNow).events, 1u);
  Send1(Ev{.team = "t", .weight_g = 1}, kNow + 8 * kDayMs);
  // Asked "as of" the first day, which would still be kept then: it is gone.
  EXPECT_EQ(engine_.GetTotals(today, kNow).events, 0u);
  EXPECT_EQ(engine_.GetTotals(WindowSpec::Total(), kNow).events, 2u);
}

TEST_F(EngineTest, ANamedDayThatIsNotKeptAnswersAnEmptyBoard) {
  Send1(Ev{.team = "t", .weight_g = 1});
  const int32_t today = DayOf(kNow, 480);
  const BoardRef ref = Ref(Dimension::kTeam, ScopeKind::kNone, "", WindowSpec::Day(today));
  EXPECT_EQ(engine_.Count(ref, kNow), 1u);
  EXPECT_EQ(engine_.Count(ref, kNow + 7 * kDayMs), 1u);  // the 7th day before: kept
  EXPECT_EQ(engine_.Count(ref, kNow + 8 * kDayMs), 0u);  // the 8th: not kept
  EXPECT_EQ(engine_.Count(ref, kNow - kDayMs), 1u);      // tomorrow, seen from yesterday
  EXPECT_EQ(engine_.Count(ref, kNow - 2 * kDayMs), 0u);  // two days ahead: not a kept day
  EXPECT_EQ(engine_.GetTotals(WindowSpec::Day(today - 3), kNow), Totals{});
}

TEST_F(EngineTest, FutureTimestampsCountInTomorrow) {
  Send1(Ev{.team = "t", .weight_g = 1, .ts_ms = kNow + kDayMs - 1, .has_ts = true});
  EXPECT_EQ(engine_.GetTotals(WindowSpec::Day(DayOf(kNow, 480) + 1), kNow).events, 1u);
  EXPECT_EQ(engine_.GetTotals(WindowSpec::Today(), kNow).events, 0u);
}

TEST_F(EngineTest, TotalsSumEveryWindowAndCountEntities) {
  Send1(Ev{.city = "c1", .firm = "f1", .team = "t1", .user = "u1", .product = "p1",
           .weight_g = 500, .amount_fen = 990});
  Send1(Ev{.city = "c2", .firm = "f1", .team = "t2", .user = "u2", .weight_g = 250,
           .amount_fen = 10});
  Send1(Ev{.city = "c2", .firm = "f1", .team = "t2", .user = "u2", .weight_g = 250,
           .amount_fen = 10, .refund = true});
  Totals t = engine_.GetTotals(WindowSpec::Total(), kNow);
  EXPECT_EQ(t.weight_g, 500);
  EXPECT_EQ(t.amount_fen, 990);
  EXPECT_EQ(t.orders, 1);
  EXPECT_EQ(t.events, 3u);
  EXPECT_EQ(t.entities, (std::array<uint64_t, 5>{2, 1, 2, 2, 1}));
  EXPECT_EQ(engine_.GetTotals(WindowSpec::Today(), kNow), t);
  EXPECT_EQ(engine_.TotalsVersion(WindowSpec::Total(), kNow), 3u);
  EXPECT_EQ(engine_.TotalsVersion(WindowSpec::Day(0), kNow), 0u);
}

TEST_F(EngineTest, KeysComeBackAsTheirExactUtf8Bytes) {
  const std::string keys[] = {"创源战队", "Z队", "ä", "创源战队 ", "\xF0\x9F\x8D\x8E"};
  for (const std::string& k : keys) Buy(k, 7);
  std::vector<std::string> got = Keys(Ref(Dimension::kTeam));
  EXPECT_EQ(got, (V(std::begin(keys), std::end(keys))));  // equal values: arrival order
}

TEST_F(EngineTest, DuplicatesGetNoSequenceNumber) {
  Ev e{.id = "same", .team = "t", .weight_g = 3};
  EXPECT_EQ(Send1(e), 1u);
  EXPECT_EQ(Send1(e), 0u);
  EXPECT_EQ(Send1(Ev{.id = "other"}), 2u);
  EXPECT_EQ(engine_.applied_seq(), 2u);
  EXPECT_EQ(engine_.GetTotals(WindowSpec::Total(), kNow).weight_g, 3);
}

TEST_F(EngineTest, UnadmitTakesBackAdmissionsThatWereNotApplied) {
  Ev a{.id = "a", .team = "t", .weight_g = 1}, b{.id = "b", .team = "t", .weight_g = 2};
  Send1(a);
  Admission ab = engine_.Admit(b.view(), kNow);
  EXPECT_EQ(ab.seq, 2u);
  EXPECT_EQ(engine_.admitted_seq(), 2u);
  EXPECT_EQ(engine_.Count(Ref(Dimension::kTeam), kNow), 1u);
  EXPECT_EQ(engine_.GetTotals(WindowSpec::Total(), kNow).weight_g, 1);  // not yet visible
  engine_.Unadmit(1);
  EXPECT_EQ(engine_.admitted_seq(), 1u);
  EXPECT_EQ(Send1(b), 2u);  // b is not a duplicate, and gets seq 2 again
  EXPECT_EQ(engine_.GetTotals(WindowSpec::Total(), kNow).weight_g, 3);
}

TEST_F(EngineTest, ReplayRejectsGapsAndRepeatedIds) {
  Ev a{.id = "a", .team = "t", .weight_g = 1};
  EXPECT_TRUE(engine_.Replay(a.view(), 1, kNow).ok());
  EXPECT_TRUE(engine_.Replay(Ev{.id = "b"}.view(), 3, kNow).IsCorruption());
  EXPECT_TRUE(engine_.Replay(a.view(), 2, kNow).IsCorruption());
  EXPECT_TRUE(engine_.Replay(Ev{.id = "b"}.view(), 2, kNow).ok());
  EXPECT_EQ(engine_.applied_seq(), 2u);
}

TEST_F(EngineTest, EntryGivesRankAndNeighboursClippedAtTheEdges) {
  for (int i = 0; i < 10; ++i) Buy(Name("t", i), 100 - i);  // t0 first
  EntryResult r;
  ASSERT_TRUE(engine_.Entry(Ref(Dimension::kTeam), Metric::kWeight, "t0", 2, kNow, &r).ok());
  EXPECT_EQ(r.row.rank, 1u);
  ASSERT_EQ(r.around.size(), 3u);
  EXPECT_EQ(r.around[0].key, "t0");
  EXPECT_EQ(r.around[2].rank, 3u);
  ASSERT_TRUE(engine_.Entry(Ref(Dimension::kTeam), Metric::kWeight, "t9", 3, kNow, &r).ok());
  EXPECT_EQ(r.row.rank, 10u);
  EXPECT_EQ(r.row.weight_g, 91);
  ASSERT_EQ(r.around.size(), 4u);
  EXPECT_EQ(r.around.front().rank, 7u);
  EXPECT_EQ(r.around.back().key, "t9");
  ASSERT_TRUE(engine_.Entry(Ref(Dimension::kTeam), Metric::kWeight, "t5", 0, kNow, &r).ok());
  ASSERT_EQ(r.around.size(), 1u);
  EXPECT_EQ(r.around[0].key, "t5");
  EXPECT_TRUE(engine_.Entry(Ref(Dimension::kTeam), Metric::kWeight, "nobody", 0, kNow, &r)
                  .IsNotFound());
  EXPECT_TRUE(engine_.Entry(Ref(Dimension::kTeam, ScopeKind::kCity, "芜湖"), Metric::kWeight,
                            "t1", 0, kNow, &r).IsNotFound());
}

TEST_F(EngineTest, AnOffsetBeyondTheCountGivesNoRows) {
  Buy("a", 1);
  Buy("b", 2);
  BoardPage page;
  ASSERT_TRUE(engine_.Top(Ref(Dimension::kTeam), Metric::kWeight, 5, 10, kNow, &page).ok());
  EXPECT_EQ(page.count, 2u);
  EXPECT_TRUE(page.rows.empty());
  ASSERT_TRUE(engine_.Top(Ref(Dimension::kTeam), Metric::kWeight, 1, UINT64_MAX, kNow, &page).ok());
  ASSERT_EQ(page.rows.size(), 1u);
  EXPECT_EQ(page.rows[0].rank, 2u);
  EXPECT_EQ(page.rows[0].key, "a");
}

TEST_F(EngineTest, BoardVersionIsTheLastEventThatChangedTheBoard) {
  const BoardRef ref = Ref(Dimension::kTeam, ScopeKind::kCity, "合肥");
  EXPECT_EQ(engine_.BoardVersion(ref, kNow), 0u);
  uint64_t s1 = Buy("a", 1);
  EXPECT_EQ(engine_.BoardVersion(ref, kNow), s1);
  Send1(Ev{.city = "芜湖", .team = "a", .weight_g = 1});
  EXPECT_EQ(engine_.BoardVersion(ref, kNow), s1);  // another city's event
  uint64_t s3 = Buy("b", 0);
  EXPECT_EQ(engine_.BoardVersion(ref, kNow), s3);
}

TEST_F(EngineTest, MemoryBytesGrowsWithTheState) {
  const size_t empty = engine_.MemoryBytes();
  for (int i = 0; i < 1000; ++i) Buy(Name("t", i), i);
  EXPECT_GT(engine_.MemoryBytes(), empty + 1000 * 50);
}

// Frames of different connections reach the engine in any order: an event
// received "earlier" than the one admitted before it is stamped with that
// one's time, so that dedup verdicts never depend on when eviction ran.
TEST(EngineAdmit, ReceiveTimesNeverGoBack) {
  EngineOptions o;
  o.dedup_window_ms = kHourMs;
  Engine engine(o);
  const Ev ev_a{.id = "a"}, ev_b{.id = "b"};
  const Event a = ev_a.view(), b = ev_b.view();
  const Admission first = engine.Admit(a, kNow);
  engine.Apply(a, first);
  const Admission second = engine.Admit(b, kNow - 5 * kHourMs);
  ASSERT_TRUE(second.accepted());
  EXPECT_EQ(second.recv_ms, kNow);
  EXPECT_EQ(second.ts_ms, kNow);  // no ts: the (stamped) receive time
  // "a" is still within the window of an event stamped kNow.
  EXPECT_FALSE(engine.Admit(a, kNow - 3 * kHourMs).accepted());
}

}  // namespace
}  // namespace bangdan
