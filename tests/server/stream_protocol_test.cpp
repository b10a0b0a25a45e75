// The /v1/stream protocol: every op and every error of a request, and the
// exact JSON of the views pushed back (SPEC §5).
#include "stream_protocol.h"

#include <deque>

#include <gtest/gtest.h>

#include "bangdan/engine.h"
#include "bangdan/live_view.h"

namespace bangdan {
namespace {

constexpr int64_t kNow = 1'795'363'200'000 + 3'600'000;  // 2026-11-23 01:00 +08:00

class StreamProtocolTest : public ::testing::Test {
 protected:
  // Parses `text`; returns "" on success, else the error message.
  std::string Parse(std::string_view text) {
    Status s = parser_.Parse(text, &req_, &sub_seen_);
    return s.ok() ? "" : s.message();
  }

  StreamRequestParser parser_;
  StreamRequest req_;
  std::optional<std::string> sub_seen_;
};

TEST_F(StreamProtocolTest, SubscribeToTopWithScopeReadsEveryField) {
  ASSERT_EQ(Parse(R"({"op":"subscribe","sub":"s1","board":"team","scope":{"city":"合肥"},)"
                  R"("metric":"amount_fen","window":"day:2026-11-20","top":25})"),
            "");
  EXPECT_EQ(req_.op, StreamRequest::Op::kSubscribe);
  EXPECT_EQ(req_.sub, "s1");
  EXPECT_EQ(req_.spec.kind, ViewSpec::Kind::kTop);
  EXPECT_EQ(req_.spec.board.dim, Dimension::kTeam);
  EXPECT_EQ(req_.spec.board.scope, ScopeKind::kCity);
  EXPECT_EQ(req_.spec.board.scope_key, "合肥");
  EXPECT_EQ(req_.spec.metric, Metric::kAmount);
  EXPECT_EQ(req_.spec.board.window, WindowSpec::Day(DaysFromCivil(2026, 11, 20)));
  EXPECT_EQ(req_.spec.top, 25u);
}

TEST_F(StreamProtocolTest, SubscribeDefaultsToTopTenByWeightOverTotal) {
  ASSERT_EQ(Parse(R"({"board":"city","sub":"x","op":"subscribe"})"), "");
  EXPECT_EQ(req_.spec.kind, ViewSpec::Kind::kTop);
  EXPECT_EQ(req_.spec.top, 10u);
  EXPECT_EQ(req_.spec.metric, Metric::kWeight);
  EXPECT_EQ(req_.spec.board.window, WindowSpec::Total());
  EXPECT_EQ(req_.spec.board.scope, ScopeKind::kNone);
}

TEST_F(StreamProtocolTest, SubscribeAroundAKeyReadsKeyAndRadius) {
  ASSERT_EQ(Parse(R"({"op":"subscribe","sub":"me","board":"team","metric":"orders",)"
                  R"("around":"创源战队","radius":3})"),
            "");
  EXPECT_EQ(req_.spec.kind, ViewSpec::Kind::kAround);
  EXPECT_EQ(req_.spec.around_key, "创源战队");
  EXPECT_EQ(req_.spec.radius, 3u);
  EXPECT_EQ(req_.spec.metric, Metric::kOrders);
}

TEST_F(StreamProtocolTest, SubscribeToTotalsOfTheDay) {
  ASSERT_EQ(Parse(R"({"op":"subscribe","sub":"t","board":"totals","window":"day"})"), "");
  EXPECT_EQ(req_.spec.kind, ViewSpec::Kind::kTotals);
  EXPECT_EQ(req_.spec.board.window, WindowSpec::Today());
}

TEST_F(StreamProtocolTest, UnsubscribeNeedsOnlyTheSub) {
  ASSERT_EQ(Parse(R"({"op":"unsubscribe","sub":"s1"})"), "");
  EXPECT_EQ(req_.op, StreamRequest::Op::kUnsubscribe);
  EXPECT_EQ(req_.sub, "s1");
}

TEST_F(StreamProtocolTest, NullFieldsAndUnknownFieldsAreIgnored) {
  ASSERT_EQ(Parse(R"({"op":"subscribe","sub":"s","board":"firm","scope":null,"top":null,)"
                  R"("colour":"red","extra":{"deep":[1,2,{"x":null}]}})"),
            "");
  EXPECT_EQ(req_.spec.top, 10u);
}

TEST_F(StreamProtocolTest, ALoneSurrogateIsNamedAsBadUtf8) {
  EXPECT_EQ(Parse(R"({"op":"subscribe","sub":"\udcff","board":"city"})"),
            "sub: invalid UTF-8 (a lone surrogate escape)");
  EXPECT_EQ(Parse(R"({"op":"subscribe","sub":"s1","board":"\ud800x"})"),
            "board: invalid UTF-8 (a lone surrogate escape)");
  EXPECT_EQ(Parse(R"({"op":"subscribe","sub":7,"board":"city"})"), "sub: must be a string");
}

TEST_F(StreamProtocolTest, UnknownBoardIsNamed) {
  EXPECT_EQ(Parse(R"({"op":"subscribe","sub":"s1","board":"tem"})"), "unknown board 'tem'");
  EXPECT_EQ(sub_seen_, "s1");
}

TEST_F(StreamProtocolTest, ScopeNotListedForTheBoardIsRefused) {
  EXPECT_EQ(Parse(R"({"op":"subscribe","sub":"s","board":"user","scope":{"city":"合肥"}})"),
            "scope: city is not a scope of board 'user'");
  EXPECT_EQ(Parse(R"({"op":"subscribe","sub":"s","board":"city","scope":{"firm":"万科"}})"),
            "scope: firm is not a scope of board 'city'");
  EXPECT_EQ(Parse(R"({"op":"subscribe","sub":"s","board":"totals","scope":{"city":"合肥"}})"),
            "scope: the totals board has no scope");
}

TEST_F(StreamProtocolTest, ScopeWithTwoKeysOrAnUnknownKeyIsRefused) {
  EXPECT_EQ(Parse(R"({"op":"subscribe","sub":"s","board":"team",)"
                  R"("scope":{"city":"合肥","firm":"万科"}})"),
            "scope: at most one of city, firm, team");
  EXPECT_EQ(Parse(R"({"op":"subscribe","sub":"s","board":"team","scope":{"user":"u"}})"),
            "scope: unknown scope 'user' (city, firm or team)");
  EXPECT_EQ(Parse(R"({"op":"subscribe","sub":"s","board":"team","scope":"合肥"})"),
            "scope: must be an object such as {\"city\":\"…\"}");
  EXPECT_EQ(Parse(R"({"op":"subscribe","sub":"s","board":"team","scope":{"city":""}})"),
            "scope.city: must be 1 to 64 bytes");
}

TEST_F(StreamProtocolTest, BadMetricAndWindowAreNamed) {
  EXPECT_EQ(Parse(R"({"op":"subscribe","sub":"s","board":"team","metric":"jin"})"),
            "metric: unknown metric 'jin'");
  // The field is named once, as every error does ("field: reason").
  EXPECT_EQ(Parse(R"({"op":"subscribe","sub":"s","board":"team","window":"week"})"),
            "window: 'week' is not total, day or day:YYYY-MM-DD");
  EXPECT_EQ(Parse(R"({"op":"subscribe","sub":"s","board":"team","window":"day:2026-13-01"})"),
            "window: 'day:2026-13-01' is not total, day or day:YYYY-MM-DD");
  EXPECT_EQ(Parse(R"({"op":"subscribe","sub":"d","board":"totals","window":"day:2026-02-31"})"),
            "window: 'day:2026-02-31' is not total, day or day:YYYY-MM-DD");
}

TEST_F(StreamProtocolTest, TotalsIgnoreMetricTopAndRadiusEvenWhenInvalid) {
  for (const char* ignored : {R"("top":5000)", R"("radius":900)", R"("metric":"zzz")", R"("top":"x")",
                              R"("metric":7,"top":0,"radius":-1)"}) {
    ASSERT_EQ(Parse(std::string(R"({"op":"subscribe","sub":"i","board":"totals",)") + ignored + "}"), "")
        << ignored;
    EXPECT_EQ(req_.spec.kind, ViewSpec::Kind::kTotals);
  }
  // The same fields still count on a board that ranks.
  EXPECT_EQ(Parse(R"({"op":"subscribe","sub":"i","board":"city","top":5000})"),
            "top: must be an integer from 1 to 1000");
  EXPECT_EQ(Parse(R"({"op":"subscribe","sub":"i","board":"city","metric":"zzz"})"),
            "metric: unknown metric 'zzz'");
}

TEST_F(StreamProtocolTest, TopMustBeAnIntegerFromOneToAThousand) {
  const std::string want = "top: must be an integer from 1 to 1000";
  for (const char* top : {"0", "1001", "-1", "5.0", "5e1", "\"5\"", "true", "[5]",
                          "99999999999999999999"}) {
    EXPECT_EQ(Parse(std::string(R"({"op":"subscribe","sub":"s","board":"team","top":)") + top +
                    "}"),
              want)
        << top;
  }
  EXPECT_EQ(Parse(R"({"op":"subscribe","sub":"s","board":"team","top":1000})"), "");
}

TEST_F(StreamProtocolTest, RadiusMustBeFromZeroToFiveHundredAndOnlyWithAround) {
  EXPECT_EQ(Parse(R"({"op":"subscribe","sub":"s","board":"team","around":"k","radius":501})"),
            "radius: must be an integer from 0 to 500");
  EXPECT_EQ(Parse(R"({"op":"subscribe","sub":"s","board":"team","radius":2})"),
            "radius: only with around");
  EXPECT_EQ(Parse(R"({"op":"subscribe","sub":"s","board":"team","around":"k","top":3})"),
            "top: cannot be combined with around");
  EXPECT_EQ(Parse(R"({"op":"subscribe","sub":"s","board":"team","around":""})"),
            "around: must be 1 to 128 bytes");
}

TEST_F(StreamProtocolTest, MissingOrBadSubIsNamed) {
  EXPECT_EQ(Parse(R"({"op":"subscribe","board":"team"})"), "sub: required");
  EXPECT_EQ(sub_seen_, std::nullopt);
  EXPECT_EQ(Parse(R"({"op":"subscribe","sub":"","board":"team"})"), "sub: must be 1 to 64 bytes");
  EXPECT_EQ(Parse(R"({"op":"subscribe","sub":7,"board":"team"})"), "sub: must be a string");
  EXPECT_EQ(Parse(R"({"op":"unsubscribe","sub":")" + std::string(65, 'x') + "\"}"),
            "sub: must be 1 to 64 bytes");
}

TEST_F(StreamProtocolTest, AFieldGivenTwiceIsNamedAsAnEventsIs) {
  // Last-wins would have turned this subscribe into an unsubscribe.
  EXPECT_EQ(Parse(R"({"op":"subscribe","op":"unsubscribe","sub":"u","board":"team"})"), "op: duplicate field");
  EXPECT_EQ(sub_seen_, "u");
  EXPECT_EQ(Parse(R"({"op":"subscribe","sub":"s","board":"team","top":5,"top":null})"), "top: duplicate field");
  EXPECT_EQ(Parse(R"({"op":"subscribe","sub":"s","board":"team","scope":{"city":"a"},"scope":null})"),
            "scope: duplicate field");
  EXPECT_EQ(Parse(R"({"op":"subscribe","sub":"s","board":"team","scope":{"city":"a","city":"b"}})"),
            "scope.city: duplicate field");
  EXPECT_EQ(Parse(R"({"op":"subscribe","sub":"s","board":"team","scope":{"city":null,"city":"b"}})"),
            "scope.city: duplicate field");
  // As its other errors, a duplicated metric, top or radius means nothing to the totals board.
  EXPECT_EQ(Parse(R"({"op":"subscribe","sub":"t","board":"totals","metric":"orders","metric":"x"})"), "");
  // Unknown fields stay ignored, however often.
  EXPECT_EQ(Parse(R"({"op":"subscribe","sub":"s","board":"team","x":1,"x":2})"), "");
}

TEST_F(StreamProtocolTest, MissingOrUnknownOpIsNamed) {
  EXPECT_EQ(Parse(R"({"sub":"s","board":"team"})"), "op: required");
  EXPECT_EQ(Parse(R"({"op":"subscrbe","sub":"s"})"),
            "op: unknown op 'subscrbe' (subscribe or unsubscribe)");
  EXPECT_EQ(sub_seen_, "s");
  EXPECT_EQ(Parse(R"({"op":"subscribe","sub":"s"})"), "board: required");
}

TEST_F(StreamProtocolTest, AnErrorBeforeTheSubStillReportsTheSub) {
  EXPECT_EQ(Parse(R"({"op":"subscribe","top":0,"board":"team","sub":"late"})"),
            "top: must be an integer from 1 to 1000");
  EXPECT_EQ(sub_seen_, "late");
}

TEST_F(StreamProtocolTest, BadJsonAndOtherShapesAreErrorsNotCrashes) {
  EXPECT_EQ(Parse(R"({"op":"subscribe",)"), "invalid JSON");
  EXPECT_EQ(Parse("not json"), "invalid JSON");
  EXPECT_EQ(Parse(""), "invalid JSON");
  EXPECT_EQ(Parse(R"(["op","subscribe"])"), "message: must be a JSON object with an \"op\"");
  EXPECT_EQ(Parse("42"), "message: must be a JSON object with an \"op\"");
  EXPECT_NE(Parse(std::string(100, '[') + std::string(100, ']')), "");
}

TEST_F(StreamProtocolTest, ErrorMessageCarriesTheSubOrNull) {
  EXPECT_EQ(StreamErrorMessage(std::string("s1"), "unknown board 'tem'"),
            R"({"type":"error","sub":"s1","error":"unknown board 'tem'"})");
  EXPECT_EQ(StreamErrorMessage(std::nullopt, "invalid JSON"),
            R"({"type":"error","sub":null,"error":"invalid JSON"})");
}

TEST_F(StreamProtocolTest, ErrorMessageEscapesWhatTheClientSent) {
  EXPECT_EQ(StreamErrorMessage(std::string("a\"b"), "board: unknown board 'x\\\n合肥'"),
            R"({"type":"error","sub":"a\"b","error":"board: unknown board 'x\\\n合肥'"})");
}

TEST_F(StreamProtocolTest, FramePrefixNamesTypeAndSub) {
  EXPECT_EQ(FramePrefix(true, "s1"), R"({"type":"snapshot","sub":"s1",)");
  EXPECT_EQ(FramePrefix(false, "s\"1"), R"({"type":"update","sub":"s\"1",)");
}

// ---- Views as JSON ----

class ViewJsonTest : public ::testing::Test {
 protected:
  void Send(std::string id, std::string city, std::string team, int64_t weight) {
    ids_.push_back(std::move(id));
    Event e;
    e.id = ids_.back();
    e.city = cities_.emplace_back(std::move(city));
    e.firm = "万科物业";
    e.team = teams_.emplace_back(std::move(team));
    e.weight_g = weight;
    e.amount_fen = weight * 2;
    Admission a = engine_.Admit(e, kNow);
    ASSERT_TRUE(a.accepted());
    engine_.Apply(e, a);
  }
  std::string Body(LiveView& v, bool snapshot) {
    std::string out;
    AppendViewBody(v, snapshot, &out);
    return out;
  }

  Engine engine_;
  std::deque<std::string> ids_, cities_, teams_;
};

TEST_F(ViewJsonTest, TopViewCarriesCountRowsAndPrevRank) {
  ViewSpec spec;
  spec.board.dim = Dimension::kCity;
  spec.top = 2;
  LiveView v(spec);
  Send("1", "合肥", "", 500);
  Send("2", "芜湖", "", 300);
  ASSERT_TRUE(v.Refresh(engine_, kNow));
  EXPECT_EQ(Body(v, true),
            R"("version":1,"count":2,"rows":[)"
            R"({"rank":1,"key":"合肥","weight_g":500,"amount_fen":1000,"orders":1,"prev_rank":null},)"
            R"({"rank":2,"key":"芜湖","weight_g":300,"amount_fen":600,"orders":1,"prev_rank":null}]})");
  v.Published();
  Send("3", "芜湖", "", 300);
  Send("4", "六安", "", 1);
  ASSERT_TRUE(v.Refresh(engine_, kNow));
  EXPECT_EQ(Body(v, false),
            R"("version":2,"count":3,"rows":[)"
            R"({"rank":1,"key":"芜湖","weight_g":600,"amount_fen":1200,"orders":2,"prev_rank":2},)"
            R"({"rank":2,"key":"合肥","weight_g":500,"amount_fen":1000,"orders":1,"prev_rank":1}]})");
  // The same version as a snapshot: every prev_rank null.
  EXPECT_NE(Body(v, true).find(R"("orders":2,"prev_rank":null)"), std::string::npos);
}

TEST_F(ViewJsonTest, AroundViewCarriesRankOrNullWithNoRows) {
  ViewSpec spec;
  spec.kind = ViewSpec::Kind::kAround;
  spec.board.dim = Dimension::kTeam;
  spec.around_key = "创源战队";
  spec.radius = 1;
  LiveView v(spec);
  ASSERT_TRUE(v.Refresh(engine_, kNow));
  EXPECT_EQ(Body(v, true), R"("version":1,"count":0,"rank":null,"rows":[]})");
  Send("1", "合肥", "甲队", 900);
  Send("2", "合肥", "创源战队", 100);
  ASSERT_TRUE(v.Refresh(engine_, kNow));
  EXPECT_EQ(Body(v, false),
            R"("version":2,"count":2,"rank":2,"rows":[)"
            R"({"rank":1,"key":"甲队","weight_g":900,"amount_fen":1800,"orders":1,"prev_rank":null},)"
            R"({"rank":2,"key":"创源战队","weight_g":100,"amount_fen":200,"orders":1,"prev_rank":null}]})");
}

TEST_F(ViewJsonTest, TotalsViewMirrorsTheTotalsQuery) {
  ViewSpec spec;
  spec.kind = ViewSpec::Kind::kTotals;
  spec.board.window = WindowSpec::Today();
  LiveView v(spec);
  Send("1", "合肥", "甲队", 900);
  Send("2", "芜湖", "", 100);
  ASSERT_TRUE(v.Refresh(engine_, kNow));
  EXPECT_EQ(Body(v, true),
            R"("version":1,"window":"day","weight_g":1000,"amount_fen":2000,"orders":2,)"
            R"("events":2,"entities":{"city":2,"firm":1,"team":1,"user":0,"product":0}})");
}

}  // namespace
}  // namespace bangdan
