// LiveView: snapshots, updates, prev_rank, around views, totals, rollover.
#include "bangdan/live_view.h"

#include <gtest/gtest.h>

#include "event_builder.h"

namespace bangdan {
namespace {

using namespace testing_util;

constexpr int64_t kNow = kMidnight + 10 * kHourMs;

class LiveViewTest : public ::testing::Test {
 protected:
  void Buy(const std::string& team, int64_t weight, int64_t recv_ms = kNow) {
    Ev e;
    e.id = Name("e", ++ids_);
    e.team = team;
    e.weight_g = weight;
    Send(engine_, e, recv_ms);
  }
  static ViewSpec Top(uint32_t n, WindowSpec window = WindowSpec::Total()) {
    ViewSpec s;
    s.kind = ViewSpec::Kind::kTop;
    s.board = Ref(Dimension::kTeam, ScopeKind::kNone, "", window);
    s.top = n;
    return s;
  }
  Engine engine_;
  int ids_ = 0;
};

TEST_F(LiveViewTest, FirstRefreshIsASnapshotWithoutPrevRanks) {
  Buy("a", 10);
  Buy("b", 20);
  LiveView v(Top(10));
  EXPECT_TRUE(v.Refresh(engine_, kNow));
  EXPECT_EQ(v.version(), 1u);
  EXPECT_EQ(v.count(), 2u);
  ASSERT_EQ(v.rows().size(), 2u);
  EXPECT_EQ(v.rows()[0].key, "b");
  EXPECT_FALSE(v.rows()[0].prev_rank);
  EXPECT_FALSE(v.rows()[1].prev_rank);
}

TEST_F(LiveViewTest, AnEmptyBoardStillGivesASnapshot) {
  LiveView v(Top(10));
  EXPECT_TRUE(v.Refresh(engine_, kNow));
  EXPECT_EQ(v.version(), 1u);
  EXPECT_TRUE(v.rows().empty());
  EXPECT_FALSE(v.Refresh(engine_, kNow));
}

TEST_F(LiveViewTest, UpdatesCarryEachRowsRankInThePreviousVersion) {
  Buy("a", 10);
  Buy("b", 20);
  LiveView v(Top(10));
  v.Refresh(engine_, kNow);
  v.Published();
  Buy("a", 15);  // a overtakes b
  Buy("c", 1);   // c is new
  EXPECT_TRUE(v.Refresh(engine_, kNow));
  EXPECT_EQ(v.version(), 2u);
  ASSERT_EQ(v.rows().size(), 3u);
  EXPECT_EQ(v.rows()[0].key, "a");
  EXPECT_EQ(v.rows()[0].prev_rank, 2u);
  EXPECT_EQ(v.rows()[1].key, "b");
  EXPECT_EQ(v.rows()[1].prev_rank, 1u);
  EXPECT_EQ(v.rows()[2].key, "c");
  EXPECT_FALSE(v.rows()[2].prev_rank);
}

TEST_F(LiveViewTest, PrevRankCountsFromTheVersionLastPublished) {
  Buy("a", 10);
  Buy("b", 20);
  LiveView v(Top(10));
  v.Refresh(engine_, kNow);
  v.Published();  // version 1 (b, a) is on every screen
  Buy("a", 15);   // a overtakes b
  EXPECT_TRUE(v.Refresh(engine_, kNow));  // version 2, a newcomer's snapshot only
  Buy("b", 1);    // a change that moves nobody
  EXPECT_TRUE(v.Refresh(engine_, kNow));
  EXPECT_EQ(v.version(), 3u);
  ASSERT_EQ(v.rows().size(), 2u);
  // The screens showed version 1: a's move from 2 to 1 is still there to animate.
  EXPECT_EQ(v.rows()[0].key, "a");
  EXPECT_EQ(v.rows()[0].prev_rank, 2u);
  EXPECT_EQ(v.rows()[1].prev_rank, 1u);
  v.Published();
  Buy("c", 50);
  EXPECT_TRUE(v.Refresh(engine_, kNow));
  EXPECT_FALSE(v.rows()[0].prev_rank);  // c: new
  EXPECT_EQ(v.rows()[1].prev_rank, 1u);
  EXPECT_EQ(v.rows()[2].prev_rank, 2u);
}

TEST_F(LiveViewTest, NothingNewMeansNoRefresh) {
  Buy("a", 10);
  LiveView v(Top(10));
  v.Refresh(engine_, kNow);
  EXPECT_FALSE(v.Refresh(engine_, kNow));
  EXPECT_EQ(v.version(), 1u);
}

TEST_F(LiveViewTest, ChangesBelowTheTopAreNotAVisibleChange) {
  Buy("a", 100);
  Buy("b", 50);
  Buy("c", 1);
  LiveView v(Top(2));
  v.Refresh(engine_, kNow);
  Buy("c", 1);  // still third: rows unchanged, count unchanged
  EXPECT_FALSE(v.Refresh(engine_, kNow));
  Buy("d", 1);  // count changes
  EXPECT_TRUE(v.Refresh(engine_, kNow));
  EXPECT_EQ(v.count(), 4u);
}

TEST_F(LiveViewTest, AroundViewOfAnAbsentKeyWaitsForItToAppear) {
  Buy("a", 30);
  Buy("b", 20);
  ViewSpec s = Top(0);
  s.kind = ViewSpec::Kind::kAround;
  s.around_key = "me";
  s.radius = 1;
  LiveView v(s);
  EXPECT_TRUE(v.Refresh(engine_, kNow));
  EXPECT_FALSE(v.rank());
  EXPECT_TRUE(v.rows().empty());
  EXPECT_EQ(v.count(), 2u);
  v.Published();
  Buy("me", 25);
  EXPECT_TRUE(v.Refresh(engine_, kNow));
  v.Published();
  EXPECT_EQ(v.rank(), 2u);
  ASSERT_EQ(v.rows().size(), 3u);
  EXPECT_EQ(v.rows()[0].key, "a");
  EXPECT_EQ(v.rows()[1].key, "me");
  EXPECT_FALSE(v.rows()[1].prev_rank);
  Buy("me", 10);
  EXPECT_TRUE(v.Refresh(engine_, kNow));
  EXPECT_EQ(v.rank(), 1u);
  ASSERT_EQ(v.rows().size(), 2u);
  EXPECT_EQ(v.rows()[0].prev_rank, 2u);
  EXPECT_EQ(v.rows()[1].prev_rank, 1u);
}

TEST_F(LiveViewTest, TotalsViewChangesWithEveryEventInItsWindow) {
  ViewSpec s;
  s.kind = ViewSpec::Kind::kTotals;
  s.board.window = WindowSpec::Today();
  LiveView v(s);
  EXPECT_TRUE(v.Refresh(engine_, kNow));
  EXPECT_EQ(v.totals(), Totals{});
  Buy("a", 500);
  EXPECT_TRUE(v.Refresh(engine_, kNow));
  EXPECT_EQ(v.totals().weight_g, 500);
  EXPECT_EQ(v.totals().entities[static_cast<int>(Dimension::kTeam)], 1u);
  EXPECT_FALSE(v.Refresh(engine_, kNow));
}

TEST_F(LiveViewTest, TheDayViewStartsEmptyAtMidnight) {
  Buy("a", 10, kMidnight + kDayMs - 1000);
  LiveView v(Top(10, WindowSpec::Today()));
  EXPECT_TRUE(v.Refresh(engine_, kMidnight + kDayMs - 1));
  EXPECT_EQ(v.rows().size(), 1u);
  EXPECT_TRUE(v.Refresh(engine_, kMidnight + kDayMs));  // the next day: empty
  EXPECT_TRUE(v.rows().empty());
  EXPECT_EQ(v.count(), 0u);
  EXPECT_FALSE(v.Refresh(engine_, kMidnight + kDayMs + 1));
  Buy("b", 5, kMidnight + kDayMs + 2);
  EXPECT_TRUE(v.Refresh(engine_, kMidnight + kDayMs + 3));
  ASSERT_EQ(v.rows().size(), 1u);
  EXPECT_EQ(v.rows()[0].key, "b");
}

TEST(ViewSpec, CanonicalKeysAreEqualExactlyForEqualViews) {
  ViewSpec a;
  a.board.dim = Dimension::kTeam;
  a.board.scope = ScopeKind::kCity;
  a.board.scope_key = "合肥";
  ViewSpec b = a;
  EXPECT_EQ(a.CanonicalKey(), b.CanonicalKey());
  b.top = 11;
  EXPECT_NE(a.CanonicalKey(), b.CanonicalKey());
  b = a;
  b.metric = Metric::kOrders;
  EXPECT_NE(a.CanonicalKey(), b.CanonicalKey());
  b = a;
  b.board.window = WindowSpec::Today();
  EXPECT_NE(a.CanonicalKey(), b.CanonicalKey());
  b = a;
  b.board.scope_key = "合肥|";
  EXPECT_NE(a.CanonicalKey(), b.CanonicalKey());
  b = a;
  b.kind = ViewSpec::Kind::kAround;
  EXPECT_NE(a.CanonicalKey(), b.CanonicalKey());
  // Fields a kind does not use do not split views.
  ViewSpec t1, t2;
  t1.kind = t2.kind = ViewSpec::Kind::kTotals;
  t2.board.dim = Dimension::kUser;
  t2.top = 5;
  EXPECT_EQ(t1.CanonicalKey(), t2.CanonicalKey());
}

}  // namespace
}  // namespace bangdan
