// Tests of the pure request layer: JSON writing, percent-decoding, routing,
// tokens, origins, CSV quoting.
#include "http_router.h"

#include <gtest/gtest.h>

#include "json_writer.h"
#include "queries.h"
#include "url.h"

namespace bangdan {
namespace {

TEST(JsonWriter, EscapesQuotesBackslashesAndControlCharacters) {
  std::string out;
  AppendJsonString(&out, std::string("a\"b\\c\n\t\x01\x1f\x7f合", 13));
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\t\\u0001\\u001f\x7f合\"");
}

TEST(JsonWriter, PlacesCommasAndWritesExactIntegers) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("a").Int(-9'223'372'036'854'775'807 - 1).Key("b").BeginArray();
  w.Uint(18'446'744'073'709'551'615ull).Null().Bool(true).BeginObject().EndObject().EndArray();
  w.Key("c").Raw("\"x\"").EndObject();
  EXPECT_EQ(out, "{\"a\":-9223372036854775808,\"b\":[18446744073709551615,null,true,{}],\"c\":\"x\"}");
}

TEST(Url, PercentDecodingAcceptsUtf8AndRefusesBadEscapes) {
  std::string out;
  EXPECT_TRUE(PercentDecode("%E5%90%88%E8%82%A5", false, &out));
  EXPECT_EQ(out, "合肥");
  EXPECT_TRUE(PercentDecode("a+b", true, &out));
  EXPECT_EQ(out, "a b");
  EXPECT_TRUE(PercentDecode("a+b", false, &out));
  EXPECT_EQ(out, "a+b");
  EXPECT_FALSE(PercentDecode("%E5%90", false, &out));  // truncated UTF-8
  EXPECT_FALSE(PercentDecode("%zz", false, &out));
  EXPECT_FALSE(PercentDecode("%4", false, &out));
  EXPECT_FALSE(PercentDecode("%", false, &out));
  EXPECT_FALSE(PercentDecode("%ED%B3%BF", false, &out));  // a lone surrogate
}

TEST(Url, QueryErrorsNameTheParameter) {
  std::vector<QueryParam> q;
  Status s = ParseQuery("metric=orders&city=%E5%90", &q);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().rfind("city:", 0), 0u) << s.message();
  ASSERT_TRUE(ParseQuery("a=1&&b=&c", &q).ok());
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q[1].name, "b");
  EXPECT_EQ(q[1].value, "");
  EXPECT_EQ(q[2].name, "c");
}

bool Route_(Method m, std::string_view target, RoutedRequest* r, HttpAnswer* a,
            std::string_view auth = "", bool upgrade = false, AccessTokens t = {}) {
  return RouteRequest(m, target, auth, upgrade, t, r, a);
}

TEST(Router, KnownPathsGetTheirRoutes) {
  RoutedRequest r;
  HttpAnswer a;
  ASSERT_TRUE(Route_(Method::kGet, "/v1/boards/firm?city=%E5%90%88", &r, &a));
  EXPECT_EQ(r.route, Route::kBoard);
  EXPECT_EQ(r.params[0].value, "合");
  ASSERT_TRUE(Route_(Method::kGet, "/v1/boards/team/entries/%E5%88%9B%E6%BA%90", &r, &a));
  EXPECT_EQ(r.route, Route::kEntry);
  EXPECT_EQ(r.segments[4], "创源");
  ASSERT_TRUE(Route_(Method::kHead, "/v1/totals", &r, &a));
  EXPECT_EQ(r.route, Route::kTotals);
  ASSERT_TRUE(Route_(Method::kPost, "/v1/events", &r, &a));
  EXPECT_EQ(r.route, Route::kEvents);
  ASSERT_TRUE(Route_(Method::kGet, "/v1/ingest", &r, &a, "", true));
  EXPECT_EQ(r.route, Route::kIngest);
  ASSERT_TRUE(Route_(Method::kGet, "/", &r, &a));
  EXPECT_EQ(r.route, Route::kPage);
}

TEST(Router, UnknownPathsAre404AndWrongMethods405) {
  RoutedRequest r;
  HttpAnswer a;
  EXPECT_FALSE(Route_(Method::kGet, "/v1/nothing", &r, &a));
  EXPECT_EQ(a.status, 404u);
  EXPECT_FALSE(Route_(Method::kGet, "/v1/boards/city/entries", &r, &a));
  EXPECT_EQ(a.status, 404u);
  EXPECT_FALSE(Route_(Method::kPost, "/v1/totals", &r, &a));
  EXPECT_EQ(a.status, 405u);
  EXPECT_EQ(a.allow, "GET, HEAD");
  EXPECT_FALSE(Route_(Method::kGet, "/v1/events", &r, &a));
  EXPECT_EQ(a.status, 405u);
  EXPECT_EQ(a.allow, "POST");
  EXPECT_FALSE(Route_(Method::kGet, "/v1/ingest", &r, &a));  // not an upgrade
  EXPECT_EQ(a.status, 426u);
}

TEST(Router, UnknownPathsAndBoardsAre404WhateverTheMethod) {
  RoutedRequest r;
  HttpAnswer a;
  for (Method m : {Method::kGet, Method::kPost, Method::kOther}) {
    EXPECT_FALSE(Route_(m, "/v1/nothing", &r, &a));
    EXPECT_EQ(a.status, 404u);
    EXPECT_TRUE(a.allow.empty());
    EXPECT_FALSE(Route_(m, "/v1/boards/zzz", &r, &a));
    EXPECT_EQ(a.status, 404u);
    EXPECT_EQ(a.body, R"({"error":"unknown board 'zzz'"})");
    EXPECT_FALSE(Route_(m, "/v1/boards/zzz/entries/k", &r, &a));
    EXPECT_EQ(a.status, 404u);
  }
  // Before the token: the names of the boards are no secret (SPEC §2).
  EXPECT_FALSE(Route_(Method::kGet, "/v1/boards/zzz", &r, &a, "", false, {"", "read-secret", ""}));
  EXPECT_EQ(a.status, 404u);
  EXPECT_FALSE(Route_(Method::kOther, "/v1/boards/city/entries/k", &r, &a));
  EXPECT_EQ(a.status, 405u);
  EXPECT_EQ(a.allow, "GET, HEAD");
  EXPECT_FALSE(Route_(Method::kGet, "/v1/admin/snapshot", &r, &a));
  EXPECT_EQ(a.status, 405u);
  EXPECT_EQ(a.allow, "POST");
  EXPECT_FALSE(Route_(Method::kPost, "/v1/stream", &r, &a));
  EXPECT_EQ(a.status, 405u);
  EXPECT_EQ(a.allow, "GET");
  // Only the session knows which pages exist: it answers 404 or 405 itself.
  ASSERT_TRUE(Route_(Method::kPost, "/nope", &r, &a));
  EXPECT_EQ(r.route, Route::kPage);
}

TEST(Router, BadPercentEncodingIs400) {
  RoutedRequest r;
  HttpAnswer a;
  EXPECT_FALSE(Route_(Method::kGet, "/v1/boards/city/entries/%FF", &r, &a));
  EXPECT_EQ(a.status, 400u);
  EXPECT_FALSE(Route_(Method::kGet, "/v1/boards/city?window=%G0", &r, &a));
  EXPECT_EQ(a.status, 400u);
  EXPECT_NE(a.body.find("window"), std::string::npos);
}

TEST(Router, TokensAreCheckedPerRoute) {
  RoutedRequest r;
  HttpAnswer a;
  AccessTokens t{"ingest-secret", "read-secret", ""};
  EXPECT_FALSE(Route_(Method::kGet, "/v1/totals", &r, &a, "", false, t));
  EXPECT_EQ(a.status, 401u);
  EXPECT_TRUE(a.authenticate);
  EXPECT_TRUE(Route_(Method::kGet, "/v1/totals?token=read-secret", &r, &a, "", false, t));
  EXPECT_TRUE(Route_(Method::kGet, "/v1/totals", &r, &a, "Bearer read-secret", false, t));
  EXPECT_FALSE(Route_(Method::kGet, "/v1/totals", &r, &a, "Bearer ingest-secret", false, t));
  EXPECT_TRUE(Route_(Method::kGet, "/healthz", &r, &a, "", false, t));
  EXPECT_TRUE(Route_(Method::kGet, "/", &r, &a, "", false, t));
  EXPECT_TRUE(Route_(Method::kPost, "/v1/events", &r, &a, "bearer ingest-secret", false, t));
  EXPECT_FALSE(Route_(Method::kPost, "/v1/events?token=ingest-secret", &r, &a, "", false, t));
  EXPECT_TRUE(Route_(Method::kGet, "/v1/ingest?token=ingest-secret", &r, &a, "", true, t));
  EXPECT_FALSE(Route_(Method::kPost, "/v1/admin/snapshot", &r, &a, "Bearer x", false, t));
  EXPECT_EQ(a.status, 403u);  // no admin token set
  t.admin = "adm";
  EXPECT_FALSE(Route_(Method::kPost, "/v1/admin/snapshot", &r, &a, "Bearer x", false, t));
  EXPECT_EQ(a.status, 401u);
  EXPECT_TRUE(Route_(Method::kPost, "/v1/admin/snapshot", &r, &a, "Bearer adm", false, t));
}

TEST(Router, TokenComparisonNeedsTheWholeToken) {
  EXPECT_TRUE(TokenEquals("abc", "abc"));
  EXPECT_FALSE(TokenEquals("ab", "abc"));
  EXPECT_FALSE(TokenEquals("abcabc", "abc"));
  EXPECT_FALSE(TokenEquals("", "abc"));
  EXPECT_FALSE(TokenEquals("abd", "abc"));
  EXPECT_EQ(BearerToken("Bearer  t0k "), "t0k");
  EXPECT_EQ(BearerToken("Basic dXNlcjpwYXNz"), "");
}

TEST(Origins, HostsThatNameThisServerForCertain) {
  const std::vector<std::string> none;
  for (const char* host : {"127.0.0.1", "127.0.0.1:8080", "10.1.2.3:80", "[::1]:8080", "[::1]", "localhost:8080",
                           "LOCALHOST"})
    EXPECT_TRUE(HostNamesThisServer(host, none)) << host;
  for (const char* host : {"evil.example:8080", "evil.example", "", "[::1", "::1", "127.0.0.1.evil.example",
                           "localhost.evil.example:8080", "127.1:8080"})
    EXPECT_FALSE(HostNamesThisServer(host, none)) << host;
  const std::vector<std::string> listed = {"https://Board.Example", "http://screens.example:8443"};
  EXPECT_TRUE(HostNamesThisServer("board.example:8080", listed));
  EXPECT_TRUE(HostNamesThisServer("screens.example", listed));
  EXPECT_FALSE(HostNamesThisServer("evil.example:8080", listed));
  EXPECT_FALSE(HostNamesThisServer("evil.example", {"*"}));  // "*" lists origins, not a name
}

TEST(Origins, SameOriginCountsOnlyOnAHostThatNamesThisServer) {
  const std::vector<std::string> none;
  std::string_view why;
  EXPECT_TRUE(OriginAllowed("http://127.0.0.1:8080", "127.0.0.1:8080", none, OriginUse::kWrite, false));
  EXPECT_TRUE(OriginAllowed("http://[::1]:8080", "[::1]:8080", none, OriginUse::kWrite, false));
  EXPECT_TRUE(OriginAllowed("http://localhost:8080", "localhost:8080", none, OriginUse::kWrite, false));
  // DNS rebinding: evil.example now resolves to this server.
  EXPECT_FALSE(OriginAllowed("http://evil.example:8080", "evil.example:8080", none, OriginUse::kWrite, false, &why));
  EXPECT_NE(why.find("Origin"), std::string_view::npos) << why;
  EXPECT_NE(why.find("Host"), std::string_view::npos) << why;
  EXPECT_FALSE(OriginAllowed("http://evil.example", "127.0.0.1:8080", none, OriginUse::kWrite, false, &why));
  EXPECT_EQ(why, "origin not allowed");
  // Reads: any origin unless a list says otherwise.
  EXPECT_TRUE(OriginAllowed("http://evil.example:8080", "evil.example:8080", none, OriginUse::kRead, false));
  const std::vector<std::string> listed = {"https://screens.example"};
  EXPECT_FALSE(OriginAllowed("http://evil.example:8080", "evil.example:8080", listed, OriginUse::kRead, false));
  EXPECT_TRUE(OriginAllowed("https://screens.example", "evil.example:8080", listed, OriginUse::kWrite, false));
  // No Origin (not a browser), or the token the path needs: whatever the rest.
  EXPECT_TRUE(OriginAllowed("", "evil.example:8080", none, OriginUse::kWrite, false));
  EXPECT_TRUE(OriginAllowed("http://evil.example:8080", "evil.example:8080", none, OriginUse::kWrite, true));
}

TEST(Csv, FieldsAreQuotedOnlyWhenTheyMustBe) {
  std::string out;
  AppendCsvField(&out, "合肥");
  out += '|';
  AppendCsvField(&out, "a,b");
  out += '|';
  AppendCsvField(&out, "say \"hi\"");
  out += '|';
  AppendCsvField(&out, "two\nlines");
  EXPECT_EQ(out, "合肥|\"a,b\"|\"say \"\"hi\"\"\"|\"two\nlines\"");
}

}  // namespace
}  // namespace bangdan
