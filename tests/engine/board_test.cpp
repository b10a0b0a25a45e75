// The vocabulary of boards: names, parsing, scope rules, windows, dates.
#include "bangdan/board.h"

#include <gtest/gtest.h>

namespace bangdan {
namespace {

TEST(BoardNames, RoundTripThroughTheirParsers) {
  for (int i = 0; i < kDimensionCount; ++i) {
    auto d = static_cast<Dimension>(i);
    EXPECT_EQ(ParseDimension(DimensionName(d)), d);
  }
  for (int i = 0; i < kMetricCount; ++i) {
    auto m = static_cast<Metric>(i);
    EXPECT_EQ(ParseMetric(MetricName(m)), m);
  }
  EXPECT_EQ(ParseScopeKind("city"), ScopeKind::kCity);
  EXPECT_EQ(ParseScopeKind("firm"), ScopeKind::kFirm);
  EXPECT_EQ(ParseScopeKind("team"), ScopeKind::kTeam);
  EXPECT_EQ(DimensionName(Dimension::kProduct), "product");
  EXPECT_EQ(MetricName(Metric::kAmount), "amount_fen");
}

TEST(BoardNames, UnknownNamesDoNotParse) {
  EXPECT_FALSE(ParseDimension("tem"));
  EXPECT_FALSE(ParseDimension("City"));
  EXPECT_FALSE(ParseDimension(""));
  EXPECT_FALSE(ParseMetric("weight"));
  EXPECT_FALSE(ParseScopeKind("user"));
  EXPECT_FALSE(ParseScopeKind(""));
}

TEST(ScopeAllowed, FollowsTheTableOfBoards) {
  using D = Dimension;
  using S = ScopeKind;
  for (int i = 0; i < kDimensionCount; ++i) EXPECT_TRUE(ScopeAllowed(static_cast<D>(i), S::kNone));
  EXPECT_FALSE(ScopeAllowed(D::kCity, S::kCity));
  EXPECT_FALSE(ScopeAllowed(D::kCity, S::kFirm));
  EXPECT_TRUE(ScopeAllowed(D::kFirm, S::kCity));
  EXPECT_FALSE(ScopeAllowed(D::kFirm, S::kTeam));
  EXPECT_TRUE(ScopeAllowed(D::kTeam, S::kCity));
  EXPECT_TRUE(ScopeAllowed(D::kTeam, S::kFirm));
  EXPECT_FALSE(ScopeAllowed(D::kTeam, S::kTeam));
  EXPECT_TRUE(ScopeAllowed(D::kUser, S::kTeam));
  EXPECT_FALSE(ScopeAllowed(D::kUser, S::kCity));
  EXPECT_FALSE(ScopeAllowed(D::kUser, S::kFirm));
  EXPECT_TRUE(ScopeAllowed(D::kProduct, S::kCity));
  EXPECT_FALSE(ScopeAllowed(D::kProduct, S::kTeam));
}

TEST(ParseWindow, AcceptsTotalDayAndNamedDays) {
  WindowSpec w;
  ASSERT_TRUE(ParseWindow("total", &w).ok());
  EXPECT_EQ(w, WindowSpec::Total());
  ASSERT_TRUE(ParseWindow("day", &w).ok());
  EXPECT_EQ(w, WindowSpec::Today());
  ASSERT_TRUE(ParseWindow("day:2026-11-23", &w).ok());
  EXPECT_EQ(w, WindowSpec::Day(DaysFromCivil(2026, 11, 23)));
  ASSERT_TRUE(ParseWindow("day:2024-02-29", &w).ok());
  EXPECT_EQ(WindowName(w), "day:2024-02-29");
}

TEST(ParseWindow, RejectsMalformedOrImpossibleDatesNamingTheValue) {
  WindowSpec w;
  for (const char* bad : {"", "Total", "days", "day:", "day:2026-1-23", "day:2026-13-01",
                          "day:2026-00-10", "day:2026-11-31", "day:2025-02-29",
                          "day:1900-02-29", "day:2026/11/23", "day:2026-11-2x", "day:+026-11-23",
                          "week"}) {
    Status st = ParseWindow(bad, &w);
    EXPECT_TRUE(st.IsInvalidArgument()) << bad;
    EXPECT_NE(st.message().find("window"), std::string::npos) << st.message();
  }
  EXPECT_TRUE(ParseWindow("day:2000-02-29", &w).ok());  // divisible by 400: leap
}

TEST(WindowName, NamesEveryKind) {
  EXPECT_EQ(WindowName(WindowSpec::Total()), "total");
  EXPECT_EQ(WindowName(WindowSpec::Today()), "day");
  EXPECT_EQ(WindowName(WindowSpec::Day(0)), "day:1970-01-01");
}

TEST(CivilDates, KnownDaysAndLeapYears) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(2000, 1, 1), 10957);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DaysFromCivil(2024, 3, 1) - DaysFromCivil(2024, 2, 28), 2);  // leap
  EXPECT_EQ(DaysFromCivil(2023, 3, 1) - DaysFromCivil(2023, 2, 28), 1);
  EXPECT_EQ(DaysFromCivil(2100, 3, 1) - DaysFromCivil(2100, 2, 28), 1);  // century: not leap
  EXPECT_EQ(DaysFromCivil(2000, 3, 1) - DaysFromCivil(2000, 2, 28), 2);  // 400: leap
  EXPECT_EQ(CivilFromDays(0), "1970-01-01");
  EXPECT_EQ(CivilFromDays(-1), "1969-12-31");
  EXPECT_EQ(CivilFromDays(DaysFromCivil(2024, 2, 29)), "2024-02-29");
}

TEST(CivilDates, RoundTripEveryDayOfFourCenturies) {
  for (int32_t d = DaysFromCivil(1900, 1, 1); d < DaysFromCivil(2300, 1, 1); ++d) {
    WindowSpec w;
    ASSERT_TRUE(ParseWindow("day:" + CivilFromDays(d), &w).ok()) << d;
    ASSERT_EQ(w.day, d);
  }
}

TEST(DayOf, SplitsDaysAtLocalMidnight) {
  const int32_t tz = 8 * 60;
  // 2026-11-23T00:00:00+08:00 is 2026-11-22T16:00:00Z.
  const int64_t midnight = int64_t{DaysFromCivil(2026, 11, 22)} * 86'400'000 + 16 * 3'600'000;
  EXPECT_EQ(DayOf(midnight, tz), DaysFromCivil(2026, 11, 23));
  EXPECT_EQ(DayOf(midnight - 1, tz), DaysFromCivil(2026, 11, 22));
  EXPECT_EQ(DayOf(midnight + 86'400'000 - 1, tz), DaysFromCivil(2026, 11, 23));
  EXPECT_EQ(DayOf(midnight, 0), DaysFromCivil(2026, 11, 22));
}

TEST(DayOf, HandlesNegativeOffsetsAndInstantsBefore1970) {
  EXPECT_EQ(DayOf(0, -60), -1);        // 1969-12-31T23:00-01:00
  EXPECT_EQ(DayOf(-1, 0), -1);         // one ms before the epoch
  EXPECT_EQ(DayOf(-86'400'000, 0), -1);
  EXPECT_EQ(DayOf(-86'400'001, 0), -2);
}

TEST(Status, ToStringNamesTheCode) {
  EXPECT_EQ(Status::OK().ToString(), "OK");
  EXPECT_EQ(Status::Corruption("x").ToString(), "Corruption: x");
  EXPECT_TRUE(Status::NoSpace("d").IsIOError());
}

}  // namespace
}  // namespace bangdan
