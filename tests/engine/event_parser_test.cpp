// Frames (SPEC §3): their shapes, the batch echo, the limits, and what a
// ParsedFrame promises about its memory. The per-field rules are in
// event_parser_fields_test.cpp.
#include "bangdan/event_parser.h"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/event_parser_test_util.h"

namespace bangdan {
namespace {

using testing::EventJson;
using testing::FrameError;
using testing::kNowMs;
using testing::ParseOk;

const std::string kEvent = EventJson().Json();
const std::string kBadEvent = EventJson().Set("weight_g", "-1").Json();

std::string Array(int n, const std::string& event = kEvent) {
  std::string s = "[";
  for (int i = 0; i < n; ++i) s += (i ? "," : "") + event;
  return s + "]";
}

std::string Nested(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// ---- shapes ----

TEST(EventParserTest, SingleObjectIsOneEventAtIndexZero) {
  const ParsedFrame f = ParseOk(kEvent);
  EXPECT_EQ(f.total, 1u);
  ASSERT_EQ(f.events.size(), 1u);
  EXPECT_EQ(f.indices, std::vector<uint32_t>{0});
  EXPECT_TRUE(f.batch_json.empty());
}

TEST(EventParserTest, ArrayKeepsFrameOrderAndIndices) {
  const ParsedFrame f = ParseOk("[" + kEvent + "," + kBadEvent + "," +
                                EventJson().Set("id", "\"e-2\"").Json() + "]");
  EXPECT_EQ(f.total, 3u);
  ASSERT_EQ(f.events.size(), 2u);
  EXPECT_EQ(f.events[0].id, "e-1");
  EXPECT_EQ(f.events[1].id, "e-2");
  EXPECT_EQ(f.indices, (std::vector<uint32_t>{0, 2}));
  ASSERT_EQ(f.rejected.size(), 1u);
  EXPECT_EQ(f.rejected[0].index, 1u);
  EXPECT_EQ(f.rejected[0].error, "weight_g: must be an integer from 0 to 1000000000");
}

TEST(EventParserTest, EmptyArrayIsAFrameOfNoEvents) {
  const ParsedFrame f = ParseOk(" [ ] ");
  EXPECT_EQ(f.total, 0u);
  EXPECT_TRUE(f.events.empty());
}

TEST(EventParserTest, NonObjectElementIsRejectedAtItsIndex) {
  const ParsedFrame f = ParseOk("[" + kEvent + ",1,\"x\",null,[{}]]");
  EXPECT_EQ(f.total, 5u);
  ASSERT_EQ(f.rejected.size(), 4u);
  for (uint32_t i = 0; i < 4; ++i) {
    EXPECT_EQ(f.rejected[i].index, i + 1);
    EXPECT_EQ(f.rejected[i].error, "event: must be an object");
  }
}

TEST(EventParserTest, BatchObjectCarriesEventsAndBatch) {
  const ParsedFrame f = ParseOk(R"({"batch":17,"events":[)" + kEvent + "," + kBadEvent + "]}");
  EXPECT_EQ(f.batch_json, "17");
  EXPECT_EQ(f.total, 2u);
  EXPECT_EQ(f.events.size(), 1u);
  EXPECT_EQ(f.rejected.size(), 1u);
}

TEST(EventParserTest, BatchMayFollowEvents) {
  EXPECT_EQ(ParseOk(R"({"events":[],"batch":"b-1"})").batch_json, R"("b-1")");
}

TEST(EventParserTest, BatchObjectIgnoresUnknownKeys) {
  const ParsedFrame f = ParseOk(R"({"v":2,"batch":1,"meta":{"a":[1]},"events":[)" + kEvent + "]}");
  EXPECT_EQ(f.batch_json, "1");
  EXPECT_EQ(f.events.size(), 1u);
}

TEST(EventParserTest, ObjectWithEventsIsABatchEvenWithEventFields) {
  const ParsedFrame f = ParseOk(R"({"id":"x","city":"c","events":[)" + kEvent + "]}");
  EXPECT_EQ(f.total, 1u);
  ASSERT_EQ(f.events.size(), 1u);
  EXPECT_EQ(f.events[0].id, "e-1");
}

TEST(EventParserTest, BatchKeyInAnEventWithoutEventsIsAnUnknownField) {
  const ParsedFrame f = ParseOk(EventJson().Set("batch", "7").Json());
  EXPECT_TRUE(f.batch_json.empty());
  EXPECT_EQ(f.events.size(), 1u);
  EXPECT_TRUE(ParseOk(EventJson().Set("batch", "[1.5]").Json()).rejected.empty());
}

TEST(EventParserTest, BatchFrameWithoutBatchHasNone) {
  EXPECT_TRUE(ParseOk(R"({"events":[]})").batch_json.empty());
  EXPECT_TRUE(ParseOk(R"({"batch":null,"events":[]})").batch_json.empty());
}

// ---- the batch echo ----

TEST(EventParserTest, IntegerBatchEchoesInCanonicalDecimal) {
  EXPECT_EQ(ParseOk(R"({"batch":-42,"events":[]})").batch_json, "-42");
  EXPECT_EQ(ParseOk(R"({"batch":-0,"events":[]})").batch_json, "0");
  EXPECT_EQ(ParseOk(R"({"batch":9223372036854775807,"events":[]})").batch_json,
            "9223372036854775807");
}

TEST(EventParserTest, StringBatchEchoesAsJson) {
  EXPECT_EQ(ParseOk(R"({"batch":"批次-17","events":[]})").batch_json, R"("批次-17")");
  EXPECT_EQ(ParseOk(R"({"batch":"","events":[]})").batch_json, R"("")");
}

TEST(EventParserTest, StringBatchWithEscapesIsReescaped) {
  EXPECT_EQ(ParseOk(R"({"batch":"a\"b\\c\/\u00e9\u0001\n","events":[]})").batch_json,
            R"("a\"b\\c/é\u0001\n")");
}

TEST(EventParserTest, BatchOfAnotherTypeIsAFrameError) {
  for (const char* batch : {"1.5", "1e3", "true", "{}", "[17]", "99999999999999999999"}) {
    EXPECT_EQ(FrameError(std::string(R"({"batch":)") + batch + R"(,"events":[]})"),
              "batch: must be a string or a 64-bit integer")
        << batch;
  }
}

TEST(EventParserTest, BatchWithALoneSurrogateIsAFrameError) {
  EXPECT_EQ(FrameError(R"({"batch":"\udcff","events":[]})"), "batch: invalid UTF-8");
}

TEST(EventParserTest, BatchIsReadEvenWhenTheFrameIsRefused) {
  EventParser parser;
  ParsedFrame f;
  EXPECT_FALSE(parser.Parse(R"({"batch":"b-9","events":{}})", kNowMs, &f).ok());
  EXPECT_EQ(f.batch_json, R"("b-9")");
  EXPECT_FALSE(parser.Parse(R"({"batch":5,"events":[01]})", kNowMs, &f).ok());
  EXPECT_EQ(f.batch_json, "5");
}

TEST(EventParserTest, EventsOtherThanAnArrayIsAFrameError) {
  for (const char* events : {"{}", "null", "1", "\"[]\""}) {
    EXPECT_EQ(FrameError(std::string(R"({"batch":1,"events":)") + events + "}"),
              "events: must be an array")
        << events;
  }
}

TEST(EventParserTest, DuplicateBatchOrEventsKeyIsAFrameError) {
  EXPECT_EQ(FrameError(R"({"events":[],"events":[]})"), "events: duplicate field");
  EXPECT_EQ(FrameError(R"({"batch":1,"batch":2,"events":[]})"), "batch: duplicate field");
}

// ---- frames that are refused ----

TEST(EventParserTest, TopLevelScalarIsAFrameError) {
  for (const char* frame : {"17", "\"e\"", "true", "null"}) {
    EXPECT_EQ(FrameError(frame).rfind("frame: must be an event object", 0), 0u) << frame;
  }
}

TEST(EventParserTest, EmptyFrameIsAFrameError) {
  EXPECT_EQ(FrameError(""), "invalid JSON: empty frame");
  EXPECT_EQ(FrameError(" \n"), "invalid JSON: empty frame");
}

TEST(EventParserTest, TrailingContentIsAFrameError) {
  const std::vector<std::string> frames = {kEvent + kEvent, kEvent + " 1", "[] []", "[],", "{}}"};
  for (const std::string& frame : frames) {
    EXPECT_EQ(FrameError(frame).rfind("invalid JSON", 0), 0u) << frame;
  }
}

TEST(EventParserTest, ContentAfterAnObjectFrameIsNamedAndKeepsItsBatch) {
  // On-Demand stops at an object whose last token is not its '}': the frame
  // must still be answered as one with content after it, under its batch.
  for (const char* after : {" x", " 1", " trailing", "]", " \xC3\xA9", " tru", "\n[1]"}) {
    EventParser parser;
    ParsedFrame f;
    const std::string frame = std::string(R"({"batch":"x","events":[)") + kEvent + "]}" + after;
    Status s = parser.Parse(frame, kNowMs, &f);
    EXPECT_EQ(s.message(), "invalid JSON: content after the frame's value") << frame;
    EXPECT_EQ(f.batch_json, R"("x")") << frame;
    EXPECT_TRUE(f.events.empty()) << frame;  // nothing of a refused frame is applied
    EXPECT_EQ(FrameError(kEvent + after), "invalid JSON: content after the frame's value") << after;
  }
  // Not a whole object before the last '}': the error is simdjson's own.
  for (const char* frame : {R"({"a":{"b":1} )", R"({"batch":7,"events":[{}] x)", "{ x"}) {
    EventParser parser;
    ParsedFrame f;
    Status s = parser.Parse(frame, kNowMs, &f);
    EXPECT_EQ(s.message().rfind("invalid JSON: ", 0), 0u) << frame;
    EXPECT_NE(s.message(), "invalid JSON: content after the frame's value") << frame;
    EXPECT_EQ(f.batch_json, frame[2] == 'b' ? "7" : "") << frame;
    EXPECT_TRUE(f.events.empty()) << frame;
  }
}

TEST(EventParserTest, AFrameCutShortKeepsTheBatchItOpensWith) {
  // SPEC §3: the error carries the client's batch where one can be read.
  const std::pair<std::string, std::string> cases[] = {
      {R"({"batch":9,"events":[1,2)", "9"},
      {R"( { "batch" : "b-9" , "events":[)" + kEvent, R"("b-9")"},
      {R"({"batch":"a\"b","events":[{"id":)", R"("a\"b")"},
      {R"({"batch":9)", ""},                           // 9 or 95…: cut inside the value
      {R"({"batch":"b-)", ""},
      {R"({"batch":9.5,"events":[)", ""},              // not a batch a whole frame takes
      {R"({"batch":99999999999999999999,"events":[)", ""},
      {R"({"batch":"\udcff","events":[)", ""},
      {R"({"events":[1],"batch":9,"x":[)", ""},        // not its first key
      {R"([{"batch":9,)", ""},
  };
  for (const auto& [frame, batch] : cases) {
    EventParser parser;
    ParsedFrame f;
    Status s = parser.Parse(frame, kNowMs, &f);
    EXPECT_FALSE(s.ok()) << frame;
    EXPECT_EQ(s.message().rfind("invalid JSON: ", 0), 0u) << frame << " " << s.message();
    EXPECT_EQ(f.batch_json, batch) << frame;
  }
}

TEST(EventParserTest, InvalidJsonAnywhereIsAFrameError) {
  const std::vector<std::string> frames = {
       std::string("{"), std::string("[1 2]"), std::string("[" + kEvent + ",]"),
        std::string(R"({"id":})"), std::string(R"({"id" "x"})"), std::string(R"({"a":1,})"),
        std::string("{'id':'x'}"), EventJson().Set("note", "[1 2]").Json(),
        EventJson().Set("note", R"({"a" 1})").Json(), EventJson().Set("x", "[01]").Json(),
        "[" + kEvent + ",[tru]]", std::string(R"({"events":[],"x":[1,]})"),
        // A colon after a value: On-Demand's skipping alone would take it
        // for one more field.
        std::string(R"({"batch":"b":1,"events":[]})"), EventJson().Set("id", R"("x":1)").Json(),
        EventJson().Set("note", R"("x":1)").Json(), std::string(R"([{"a":1}:2])")};
  for (const std::string& frame : frames) {
    EXPECT_EQ(FrameError(frame).rfind("invalid JSON", 0), 0u) << frame;
  }
}

TEST(EventParserTest, UnescapedControlCharacterIsAFrameError) {
  EXPECT_EQ(FrameError(EventJson().Set("id", "\"a\tb\"").Json()).rfind("invalid JSON", 0), 0u);
}

TEST(EventParserTest, InvalidUtf8FrameIsAFrameError) {
  EXPECT_EQ(FrameError(EventJson().Set("city", "\"\xc0\xaf\"").Json()), "frame: invalid UTF-8");
  EXPECT_EQ(FrameError(EventJson().Set("city", "\"\xed\xa0\x80\"").Json()),
            "frame: invalid UTF-8");
  EXPECT_EQ(FrameError(EventJson().Set("note", "\"\xff\"").Json()), "frame: invalid UTF-8");
  EXPECT_EQ(FrameError(EventJson().Set("city", "\"\xe5\x90\"").Json()), "frame: invalid UTF-8");
}

// ---- limits ----

TEST(EventParserTest, MaxBatchEventsAreAccepted) {
  ParserOptions options;
  options.max_batch = 3;
  EXPECT_EQ(ParseOk(Array(3), options).events.size(), 3u);
  EXPECT_EQ(ParseOk(R"({"events":)" + Array(3) + "}", options).events.size(), 3u);
}

TEST(EventParserTest, MoreThanMaxBatchEventsIsAFrameErrorNamingTheLimit) {
  ParserOptions options;
  options.max_batch = 3;
  EXPECT_EQ(FrameError(Array(4), options), "frame: more than 3 events (the limit per frame)");
  EXPECT_EQ(FrameError(R"({"batch":1,"events":)" + Array(4, "1") + "}", options),
            "frame: more than 3 events (the limit per frame)");
}

TEST(EventParserTest, DefaultMaxBatchIsTenThousand) {
  EXPECT_EQ(ParseOk(Array(10'000)).total, 10'000u);
  EXPECT_EQ(FrameError(Array(10'001)), "frame: more than 10000 events (the limit per frame)");
}

TEST(EventParserTest, NestingUpToMaxDepthIsAccepted) {
  // The frame's array is level 1, each event level 2: 64 levels in all.
  EXPECT_EQ(ParseOk(Array(1, Nested(63))).rejected.size(), 1u);
  EXPECT_EQ(ParseOk(EventJson().Set("deep", Nested(63)).Json()).events.size(), 1u);
}

TEST(EventParserTest, NestingDeeperThanMaxDepthIsAFrameError) {
  EXPECT_EQ(FrameError(Array(1, Nested(64))), "frame: nesting deeper than 64 levels");
  EXPECT_EQ(FrameError(EventJson().Set("deep", Nested(64)).Json()),
            "frame: nesting deeper than 64 levels");
  EXPECT_EQ(FrameError(R"({"events":[{"x":)" + Nested(62) + "}]}"),
            "frame: nesting deeper than 64 levels");
}

TEST(EventParserTest, MaxDepthIsAnOption) {
  ParserOptions options;
  options.max_depth = 3;
  EXPECT_EQ(ParseOk(R"({"events":[{"id":"x"}]})", options).total, 1u);
  EXPECT_EQ(FrameError(R"({"events":[{"id":[]}]})", options), "frame: nesting deeper than 3 levels");
}

TEST(EventParserTest, VeryDeepNestingIsRefusedWithoutRecursingIntoIt) {
  EXPECT_EQ(FrameError(Nested(100'000)), "frame: nesting deeper than 64 levels");
  EXPECT_FALSE(FrameError(std::string(100'000, '[')).empty());
}

// ---- memory ----

TEST(EventParserTest, ViewsPointIntoTheArenaAndSurviveAMove) {
  auto f = std::make_unique<ParsedFrame>(
      ParseOk(R"([{"id":"a","city":"b","firm":"c","weight_g":1,"amount_fen":2}])"));
  ASSERT_EQ(f->events.size(), 1u);
  ParsedFrame moved = std::move(*f);
  f.reset();  // the original's storage is gone
  const Event& e = moved.events[0];
  const char* begin = moved.arena.data();
  const char* end = begin + moved.arena.size();
  for (std::string_view s : {e.id, e.city, e.firm}) {
    EXPECT_GE(s.data(), begin);
    EXPECT_LE(s.data() + s.size(), end);
  }
  EXPECT_EQ(e.id, "a");
  EXPECT_EQ(e.city, "b");
  EXPECT_EQ(e.firm, "c");
}

TEST(EventParserTest, EscapedStringsAreUnescapedInsideTheArena) {
  const ParsedFrame f = ParseOk(EventJson().Set("team", R"("\u5305\u6cb3\"\u961f")").Json());
  ASSERT_EQ(f.events.size(), 1u);
  const std::string_view team = f.events[0].team;
  EXPECT_EQ(team, "包河\"队");
  EXPECT_GE(team.data(), f.arena.data());
  EXPECT_LE(team.data() + team.size(), f.arena.data() + f.arena.size());
}

TEST(EventParserTest, ParserAndFrameCanBeReused) {
  EventParser parser;
  ParsedFrame f;
  ASSERT_TRUE(parser.Parse(Array(500), kNowMs, &f).ok());
  EXPECT_EQ(f.events.size(), 500u);
  ASSERT_FALSE(parser.Parse("[", kNowMs, &f).ok());
  ASSERT_TRUE(parser.Parse(R"({"batch":2,"events":[)" + kEvent + "]}", kNowMs, &f).ok());
  EXPECT_EQ(f.batch_json, "2");
  EXPECT_EQ(f.total, 1u);
  ASSERT_EQ(f.events.size(), 1u);
  EXPECT_EQ(f.events[0].city, "合肥");
  EXPECT_TRUE(f.rejected.empty());
}

}  // namespace
}  // namespace bangdan
