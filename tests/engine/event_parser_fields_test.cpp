// The per-event rules of SPEC §1: each field's type, range, length and
// encoding, as judged by EventParser and by ValidateEvent.
#include <string>

#include <gtest/gtest.h>

#include "bangdan/event_parser.h"
#include "engine/event_parser_test_util.h"

namespace bangdan {
namespace {

using testing::Accepted;
using testing::EventJson;
using testing::FrameError;
using testing::kNowMs;
using testing::Quoted;
using testing::Verdict;

std::string Repeat(const std::string& s, int n) {
  std::string r;
  for (int i = 0; i < n; ++i) r += s;
  return r;
}

// ---- the valid event and its fields ----

TEST(EventFieldsTest, ValidEventIsAcceptedWithEveryField) {
  const auto one = Accepted(EventJson()
                                .Set("team", R"("包河区第三志愿队")")
                                .Set("user", R"("u-1")")
                                .Set("product", R"("砀山酥梨")")
                                .Set("ts", "1795391000000")
                                .Set("refund", "true"));
  const Event& e = one.event();
  EXPECT_EQ(e.id, "e-1");
  EXPECT_EQ(e.city, "合肥");
  EXPECT_EQ(e.firm, "安徽新华物业");
  EXPECT_EQ(e.team, "包河区第三志愿队");
  EXPECT_EQ(e.user, "u-1");
  EXPECT_EQ(e.product, "砀山酥梨");
  EXPECT_EQ(e.weight_g, 500);
  EXPECT_EQ(e.amount_fen, 1280);
  EXPECT_TRUE(e.has_ts);
  EXPECT_EQ(e.ts_ms, 1795391000000);
  EXPECT_TRUE(e.refund);
  EXPECT_EQ(ValidateEvent(e, kNowMs), "");
}

TEST(EventFieldsTest, OptionalFieldsDefaultToAbsent) {
  const auto one = Accepted(EventJson());
  const Event& e = one.event();
  EXPECT_TRUE(e.team.empty());
  EXPECT_TRUE(e.user.empty());
  EXPECT_TRUE(e.product.empty());
  EXPECT_FALSE(e.has_ts);
  EXPECT_FALSE(e.refund);
}

TEST(EventFieldsTest, NullInAnOptionalFieldMeansAbsent) {
  const auto one = Accepted(EventJson()
                                .Set("team", "null")
                                .Set("user", "null")
                                .Set("product", "null")
                                .Set("ts", "null")
                                .Set("refund", "null"));
  EXPECT_TRUE(one.event().team.empty());
  EXPECT_FALSE(one.event().has_ts);
  EXPECT_FALSE(one.event().refund);
}

TEST(EventFieldsTest, EachMissingRequiredFieldIsNamed) {
  for (const char* field : {"id", "city", "firm", "weight_g", "amount_fen"}) {
    EXPECT_EQ(Verdict(EventJson().Drop(field)), std::string(field) + ": required");
  }
}

TEST(EventFieldsTest, NullInARequiredFieldIsRequired) {
  for (const char* field : {"id", "city", "firm", "weight_g", "amount_fen"}) {
    EXPECT_EQ(Verdict(EventJson().Set(field, "null")), std::string(field) + ": required");
  }
}

TEST(EventFieldsTest, UnknownFieldsOfAnyShapeAreIgnored) {
  EXPECT_EQ(Verdict(EventJson()
                        .Set("note", R"("hi")")
                        .Set("tags", R"([1,"a",{"b":[null,true,false,-1.5e3]}])")
                        .Set("meta", R"({"weight_g":"not this one"})")
                        .Set("Weight_g", "\"x\"")),
            "");
}

TEST(EventFieldsTest, DuplicateFieldIsRejected) {
  EXPECT_EQ(Verdict(EventJson().Add("weight_g", "600")), "weight_g: duplicate field");
  EXPECT_EQ(Verdict(EventJson().Add("team", "null").Add("team", R"("t")")),
            "team: duplicate field");
}

TEST(EventFieldsTest, DuplicateUnknownFieldsAreIgnored) {
  EXPECT_EQ(Verdict(EventJson().Add("x", "1").Add("x", "2")), "");
}

TEST(EventFieldsTest, KeySpelledWithEscapesIsTheSameField) {
  const auto one = Accepted(EventJson().Drop("weight_g").Set("w\\u0065ight_g", "42"));
  EXPECT_EQ(one.event().weight_g, 42);
}

TEST(EventFieldsTest, FirstProblemInTheEventIsReported) {
  EXPECT_EQ(Verdict(EventJson().Set("city", "1").Set("weight_g", "-1")),
            "city: must be a string of 1 to 64 bytes");
  EXPECT_EQ(Verdict(EventJson().Drop("id").Set("weight_g", "-1")),
            "weight_g: must be an integer from 0 to 1000000000");
}

// ---- strings ----

TEST(EventFieldsTest, StringFieldOfAnotherTypeIsRejected) {
  EXPECT_EQ(Verdict(EventJson().Set("id", "17")), "id: must be a string of 1 to 128 bytes");
  EXPECT_EQ(Verdict(EventJson().Set("city", "[\"合肥\"]")),
            "city: must be a string of 1 to 64 bytes");
  EXPECT_EQ(Verdict(EventJson().Set("firm", "{}")), "firm: must be a string of 1 to 128 bytes");
  EXPECT_EQ(Verdict(EventJson().Set("team", "true")), "team: must be a string of 1 to 128 bytes");
  EXPECT_EQ(Verdict(EventJson().Set("user", "1.5")), "user: must be a string of 1 to 128 bytes");
  EXPECT_EQ(Verdict(EventJson().Set("product", "false")),
            "product: must be a string of 1 to 128 bytes");
}

TEST(EventFieldsTest, EmptyStringIsRejected) {
  EXPECT_EQ(Verdict(EventJson().Set("id", "\"\"")), "id: must be a string of 1 to 128 bytes");
  EXPECT_EQ(Verdict(EventJson().Set("team", "\"\"")), "team: must be a string of 1 to 128 bytes");
}

TEST(EventFieldsTest, CityOf64BytesIsAcceptedAnd65Rejected) {
  const std::string city64 = Repeat("合", 21) + "a";  // 21 × 3 + 1 bytes
  ASSERT_EQ(city64.size(), 64u);
  EXPECT_EQ(Accepted(EventJson().Set("city", Quoted(city64))).event().city, city64);
  EXPECT_EQ(Verdict(EventJson().Set("city", Quoted(city64 + "b"))),
            "city: must be a string of 1 to 64 bytes");
}

TEST(EventFieldsTest, NamesOf128BytesAreAcceptedAnd129Rejected) {
  const std::string s128 = Repeat("砀山酥梨", 10) + Repeat("x", 8);  // 120 + 8
  ASSERT_EQ(s128.size(), 128u);
  for (const char* field : {"id", "firm", "team", "user", "product"}) {
    EXPECT_EQ(Verdict(EventJson().Set(field, Quoted(s128))), "") << field;
    EXPECT_EQ(Verdict(EventJson().Set(field, Quoted(s128 + "y"))),
              std::string(field) + ": must be a string of 1 to 128 bytes");
  }
}

TEST(EventFieldsTest, LengthIsCountedAfterUnescaping) {
  // 21 × "\u5408" (3 bytes each once unescaped) + "a": 64 bytes, 127 in JSON.
  const std::string city = Repeat("\\u5408", 21) + "a";
  EXPECT_EQ(Accepted(EventJson().Set("city", Quoted(city))).event().city, Repeat("合", 21) + "a");
  EXPECT_EQ(Verdict(EventJson().Set("city", Quoted(city + "a"))),
            "city: must be a string of 1 to 64 bytes");
}

TEST(EventFieldsTest, EscapesAreUnescaped) {
  const auto one = Accepted(EventJson().Set("id", R"("a\"b\\c\/d\n\t\u00e9\u5408\ud83d\ude00")"));
  EXPECT_EQ(one.event().id, "a\"b\\c/d\n\té合😀");
}

TEST(EventFieldsTest, FourByteCharactersAreAccepted) {
  // U+20000 (CJK Extension B) and an emoji, raw.
  const auto one = Accepted(EventJson().Set("team", R"("𠀀队🍐")"));
  EXPECT_EQ(one.event().team, "𠀀队🍐");
}

TEST(EventFieldsTest, LoneLowSurrogateEscapeIsInvalidUtf8NamingTheField) {
  EXPECT_EQ(Verdict(EventJson().Set("user", R"("\udcff")")), "user: invalid UTF-8");
}

TEST(EventFieldsTest, LoneHighSurrogateEscapeIsInvalidUtf8) {
  EXPECT_EQ(Verdict(EventJson().Set("id", R"("x\ud800")")), "id: invalid UTF-8");
  EXPECT_EQ(Verdict(EventJson().Set("city", R"("\ud800\u0041")")), "city: invalid UTF-8");
  EXPECT_EQ(Verdict(EventJson().Set("firm", R"("\ud800\ud800")")), "firm: invalid UTF-8");
  EXPECT_EQ(Verdict(EventJson().Set("product", R"("\ude00\ud83d")")), "product: invalid UTF-8");
}

TEST(EventFieldsTest, LoneSurrogateInAnUnknownFieldIsIgnored) {
  EXPECT_EQ(Verdict(EventJson().Set("note", R"("\udcff")")), "");
}

TEST(EventFieldsTest, BadEscapeIsNotJson) {
  EXPECT_EQ(FrameError(EventJson().Set("id", R"("a\x")").Json()),
            "invalid JSON: bad string escape");
  EXPECT_EQ(FrameError(EventJson().Set("id", R"("\u12g4")").Json()),
            "invalid JSON: bad string escape");
  EXPECT_EQ(FrameError(EventJson().Set("note", R"("\q")").Json()),
            "invalid JSON: bad string escape");
}

// ---- integers ----

TEST(EventFieldsTest, WeightBoundariesAreInclusive) {
  EXPECT_EQ(Accepted(EventJson().Set("weight_g", "0")).event().weight_g, 0);
  EXPECT_EQ(Accepted(EventJson().Set("weight_g", "1000000000")).event().weight_g, 1'000'000'000);
  EXPECT_EQ(Verdict(EventJson().Set("weight_g", "1000000001")),
            "weight_g: must be an integer from 0 to 1000000000");
  EXPECT_EQ(Verdict(EventJson().Set("weight_g", "-1")),
            "weight_g: must be an integer from 0 to 1000000000");
}

TEST(EventFieldsTest, AmountBoundariesAreInclusive) {
  EXPECT_EQ(Accepted(EventJson().Set("amount_fen", "1000000000000")).event().amount_fen,
            1'000'000'000'000);
  EXPECT_EQ(Verdict(EventJson().Set("amount_fen", "1000000000001")),
            "amount_fen: must be an integer from 0 to 1000000000000");
}

TEST(EventFieldsTest, IntegersMustBeJsonIntegers) {
  for (const char* v : {"5.0", "5e3", "5E+3", "0.5", "\"5\"", "true", "[5]", "{}"}) {
    EXPECT_EQ(Verdict(EventJson().Set("weight_g", v)),
              "weight_g: must be an integer from 0 to 1000000000")
        << v;
  }
}

TEST(EventFieldsTest, NegativeZeroIsZero) {
  EXPECT_EQ(Accepted(EventJson().Set("weight_g", "-0")).event().weight_g, 0);
}

TEST(EventFieldsTest, IntegerBeyond64BitsIsOutOfRangeNotAFrameError) {
  EXPECT_EQ(Verdict(EventJson().Set("amount_fen", "99999999999999999999999")),
            "amount_fen: must be an integer from 0 to 1000000000000");
}

TEST(EventFieldsTest, MalformedNumberIsNotJson) {
  for (const char* v : {"01", "1.", "-", "+1", ".5", "1e", "5x", "0x10"}) {
    EXPECT_EQ(FrameError(EventJson().Set("weight_g", v).Json()).rfind("invalid JSON", 0), 0u)
        << v;
  }
}

// ---- ts ----

TEST(EventFieldsTest, TsFrom2000IsAccepted) {
  EXPECT_EQ(Accepted(EventJson().Set("ts", "946684800000")).event().ts_ms, kMinTsMs);
  EXPECT_EQ(Verdict(EventJson().Set("ts", "946684799999")), "ts: before 2000-01-01T00:00:00Z");
  EXPECT_EQ(Verdict(EventJson().Set("ts", "-1")), "ts: before 2000-01-01T00:00:00Z");
}

TEST(EventFieldsTest, TsUpTo24HoursAheadOfNowIsAccepted) {
  const int64_t limit = kNowMs + 24LL * 3600 * 1000;
  EXPECT_EQ(Accepted(EventJson().Set("ts", std::to_string(limit))).event().ts_ms, limit);
  EXPECT_EQ(Verdict(EventJson().Set("ts", std::to_string(limit + 1))),
            "ts: more than 24 h in the future");
}

TEST(EventFieldsTest, TsMustBeAnInteger) {
  for (const char* v : {"1795391000000.0", "1.7e12", "\"1795391000000\"", "true"}) {
    EXPECT_EQ(Verdict(EventJson().Set("ts", v)), "ts: must be an integer (ms since the Unix epoch)")
        << v;
  }
}

// ---- refund ----

TEST(EventFieldsTest, RefundTakesBooleans) {
  EXPECT_TRUE(Accepted(EventJson().Set("refund", "true")).event().refund);
  EXPECT_FALSE(Accepted(EventJson().Set("refund", "false")).event().refund);
  for (const char* v : {"1", "0", "\"true\"", "[]"}) {
    EXPECT_EQ(Verdict(EventJson().Set("refund", v)), "refund: must be true or false") << v;
  }
}

TEST(EventFieldsTest, MisspelledAtomIsNotJson) {
  EXPECT_EQ(FrameError(EventJson().Set("refund", "tru").Json()).rfind("invalid JSON", 0), 0u);
  EXPECT_EQ(FrameError(EventJson().Set("team", "nul").Json()).rfind("invalid JSON", 0), 0u);
  EXPECT_EQ(FrameError(EventJson().Set("note", "falsey").Json()).rfind("invalid JSON", 0), 0u);
}

// ---- ValidateEvent, for events built by hand ----

Event HandMade() {
  Event e;
  e.id = "e-1";
  e.city = "合肥";
  e.firm = "安徽新华物业";
  e.weight_g = 500;
  e.amount_fen = 1280;
  return e;
}

TEST(ValidateEventTest, ValidEventPasses) { EXPECT_EQ(ValidateEvent(HandMade(), kNowMs), ""); }

TEST(ValidateEventTest, EmptyRequiredStringIsRequired) {
  Event e = HandMade();
  e.firm = {};
  EXPECT_EQ(ValidateEvent(e, kNowMs), "firm: required");
}

TEST(ValidateEventTest, LongStringsAreRejected) {
  const std::string city65(65, 'c'), name129(129, 'n');
  Event e = HandMade();
  e.city = city65;
  EXPECT_EQ(ValidateEvent(e, kNowMs), "city: must be a string of 1 to 64 bytes");
  e = HandMade();
  e.product = name129;
  EXPECT_EQ(ValidateEvent(e, kNowMs), "product: must be a string of 1 to 128 bytes");
}

TEST(ValidateEventTest, InvalidUtf8IsNamed) {
  Event e = HandMade();
  e.user = "\xed\xb3\xbf";  // the bytes a lone "\udcff" would make
  EXPECT_EQ(ValidateEvent(e, kNowMs), "user: invalid UTF-8");
}

TEST(ValidateEventTest, RangesAndTsAreChecked) {
  Event e = HandMade();
  e.weight_g = -1;
  EXPECT_EQ(ValidateEvent(e, kNowMs), "weight_g: must be an integer from 0 to 1000000000");
  e = HandMade();
  e.amount_fen = kMaxAmountFen + 1;
  EXPECT_EQ(ValidateEvent(e, kNowMs), "amount_fen: must be an integer from 0 to 1000000000000");
  e = HandMade();
  e.has_ts = true;
  e.ts_ms = kNowMs + kMaxFutureMs + 1;
  EXPECT_EQ(ValidateEvent(e, kNowMs), "ts: more than 24 h in the future");
  e.ts_ms = kMinTsMs - 1;
  EXPECT_EQ(ValidateEvent(e, kNowMs), "ts: before 2000-01-01T00:00:00Z");
  e.has_ts = false;  // ts_ms is then meaningless
  EXPECT_EQ(ValidateEvent(e, kNowMs), "");
}

}  // namespace
}  // namespace bangdan
