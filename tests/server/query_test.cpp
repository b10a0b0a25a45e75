// Integration tests of the HTTP queries (SPEC §4), metrics and the admin and
// page endpoints, against a real server fed through POST /v1/events.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "test_support.h"

namespace bangdan {
namespace {

using namespace bangdan::testing;

const std::string kHefei = "%E5%90%88%E8%82%A5";     // 合肥
const std::string kShanghai = "%E4%B8%8A%E6%B5%B7";  // 上海

class QueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions o = TestOptions();
    o.title = "<b>&榜";
    server_ = std::make_unique<TestServer>(o);
    HttpResult r = Post(port(), "/v1/events",
                        "[" + EventJson("1", "合肥", "Acme, \\\"Ltd\\\"", 1000, 50) + "," +
                            EventJson("2", "上海", "万科物业", 500, 70) + "," +
                            EventJson("3", "合肥", "万科物业", 200, 10) + "]");
    ASSERT_EQ(r.status, 200u) << r.body;
    ASSERT_NE(r.body.find(R"("accepted":3)"), std::string::npos) << r.body;
  }
  uint16_t port() const { return server_->port(); }
  std::unique_ptr<TestServer> server_;
};

TEST_F(QueryTest, BoardAnswersRowsInOrderWithAllThreeMetrics) {
  HttpResult r = Get(port(), "/v1/boards/city");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body,
            R"({"board":"city","metric":"weight_g","window":"total","scope":{},"count":2,"rows":[)"
            R"({"rank":1,"key":"合肥","weight_g":1200,"amount_fen":60,"orders":2},)"
            R"({"rank":2,"key":"上海","weight_g":500,"amount_fen":70,"orders":1}]})");
  r = Get(port(), "/v1/boards/city?metric=amount_fen&limit=1");
  EXPECT_EQ(r.body,
            R"({"board":"city","metric":"amount_fen","window":"total","scope":{},"count":2,"rows":[)"
            R"({"rank":1,"key":"上海","weight_g":500,"amount_fen":70,"orders":1}]})");
  r = Get(port(), "/v1/boards/city?offset=1&limit=5");
  EXPECT_NE(r.body.find(R"("rows":[{"rank":2,"key":"上海")"), std::string::npos) << r.body;
}

TEST_F(QueryTest, PercentEncodedChineseScopeSelectsTheScopedBoard) {
  HttpResult r = Get(port(), "/v1/boards/firm?city=" + kHefei);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body,
            R"({"board":"firm","metric":"weight_g","window":"total","scope":{"city":"合肥"},"count":2,"rows":[)"
            R"({"rank":1,"key":"Acme, \"Ltd\"","weight_g":1000,"amount_fen":50,"orders":1},)"
            R"({"rank":2,"key":"万科物业","weight_g":200,"amount_fen":10,"orders":1}]})");
}

TEST_F(QueryTest, CsvIsTheWholeBoardWithBomAndRfc4180Quoting) {
  HttpResult r = Get(port(), "/v1/boards/firm?format=csv&limit=1&offset=1");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "text/csv; charset=utf-8");
  EXPECT_EQ(r.body,
            "\xEF\xBB\xBFrank,key,weight_g,amount_fen,orders\r\n"
            "1,\"Acme, \"\"Ltd\"\"\",1000,50,1\r\n"
            "2,万科物业,700,80,2\r\n");
}

TEST_F(QueryTest, CsvIgnoresOffsetAndLimitWithoutCheckingThem) {
  const std::string whole =
      "\xEF\xBB\xBFrank,key,weight_g,amount_fen,orders\r\n"
      "1,合肥,1200,60,2\r\n"
      "2,上海,500,70,1\r\n";
  for (const char* ignored : {"limit=5000", "offset=abc", "limit=-1&offset=1", "limit=1&limit=2"}) {
    HttpResult r = Get(port(), std::string("/v1/boards/city?format=csv&") + ignored);
    EXPECT_EQ(r.status, 200u) << ignored << " " << r.body;
    EXPECT_EQ(r.body, whole) << ignored;
  }
  // Everything else is checked as usual.
  HttpResult r = Get(port(), "/v1/boards/city?format=csv&limit=5000&metric=jin");
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.body.find("metric"), std::string::npos) << r.body;
  EXPECT_EQ(Get(port(), "/v1/boards/city?format=json&limit=5000").status, 400u);
}

TEST_F(QueryTest, EntryAnswersRankRowAndNeighbours) {
  HttpResult r = Get(port(), "/v1/boards/city/entries/" + kShanghai + "?radius=1");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body,
            R"({"rank":2,"row":{"rank":2,"key":"上海","weight_g":500,"amount_fen":70,"orders":1},"around":[)"
            R"({"rank":1,"key":"合肥","weight_g":1200,"amount_fen":60,"orders":2},)"
            R"({"rank":2,"key":"上海","weight_g":500,"amount_fen":70,"orders":1}]})");
  r = Get(port(), "/v1/boards/city/entries/%E5%8C%97%E4%BA%AC");  // 北京: no events
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.body.rfind(R"({"error":")", 0), 0u);
}

TEST_F(QueryTest, TotalsCountEverything) {
  HttpResult r = Get(port(), "/v1/totals");
  EXPECT_EQ(r.body,
            R"({"window":"total","weight_g":1700,"amount_fen":130,"orders":3,"events":3,)"
            R"("entities":{"city":2,"firm":2,"team":0,"user":0,"product":0}})");
  r = Get(port(), "/v1/totals?window=day:2001-01-01");
  EXPECT_EQ(r.status, 200u);
  EXPECT_NE(r.body.find(R"("events":0)"), std::string::npos) << r.body;
}

TEST_F(QueryTest, BadParametersAre400sNamingThem) {
  struct Case {
    std::string target, named;
  } cases[] = {
      {"/v1/boards/city?metric=jin", "metric"},
      {"/v1/boards/city?window=week", "window"},
      {"/v1/boards/city?limit=1001", "limit"},
      {"/v1/boards/city?limit=-1", "limit"},
      {"/v1/boards/city?offset=x", "offset"},
      {"/v1/boards/city/entries/x?radius=501", "radius"},
      {"/v1/boards/user?city=" + kHefei, "city"},
      {"/v1/boards/firm?team=t", "team"},
      {"/v1/boards/team?city=a&firm=b", "firm"},
      {"/v1/boards/city?colour=red", "colour"},
      {"/v1/boards/city?metric=orders&metric=weight_g", "metric"},
      {"/v1/boards/city?format=xml", "format"},
      {"/v1/boards/firm?city=%E5%90", "city"},
      {"/v1/totals?limit=3", "limit"},
      // Scope keys longer than any event's (SPEC §1), as /v1/stream refuses them.
      {"/v1/boards/firm?city=" + std::string(65, 'c'), "city: must be 1 to 64 bytes"},
      {"/v1/boards/team?firm=" + std::string(129, 'f'), "firm: must be 1 to 128 bytes"},
      {"/v1/boards/user/entries/x?team=" + std::string(129, 't'), "team: must be 1 to 128 bytes"},
  };
  for (const Case& c : cases) {
    HttpResult r = Get(port(), c.target);
    EXPECT_EQ(r.status, 400u) << c.target << " " << r.body;
    EXPECT_NE(r.body.find(c.named), std::string::npos) << c.target << " " << r.body;
  }
}

TEST_F(QueryTest, ScopeKeysUpToTheEventLimitsAreBoardsEvenWhenEmpty) {
  HttpResult r = Get(port(), "/v1/boards/firm?city=" + std::string(64, 'c'));
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_NE(r.body.find(R"("count":0,"rows":[])"), std::string::npos) << r.body;
  EXPECT_EQ(Get(port(), "/v1/boards/user?team=" + std::string(128, 't')).status, 200u);
}

TEST_F(QueryTest, AParameterGivenEmptyIsItsDefault) {
  // SPEC §4 writes the query as `?metric=&window=&city=&firm=&team=&offset=0&limit=10`.
  HttpResult plain = Get(port(), "/v1/boards/firm");
  HttpResult r = Get(port(), "/v1/boards/firm?metric=&window=&city=&firm=&team=&offset=0&limit=10");
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.body, plain.body);
  r = Get(port(), "/v1/boards/firm?metric=&city=" + kHefei + "&firm=&team=&limit=");
  EXPECT_EQ(r.body, Get(port(), "/v1/boards/firm?city=" + kHefei).body);
  r = Get(port(), "/v1/boards/user?city=");  // no scope given: nothing to refuse
  EXPECT_EQ(r.status, 200u) << r.body;
  r = Get(port(), "/v1/boards/city/entries/" + kHefei + "?radius=&window=");
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(Get(port(), "/v1/totals?window=").body, Get(port(), "/v1/totals").body);
  r = Get(port(), "/v1/boards/city?colour=");  // an unknown name is still a typo
  EXPECT_EQ(r.status, 400u) << r.body;
}

TEST_F(QueryTest, UnknownPathsAndBoardsAre404AndWrongMethods405) {
  EXPECT_EQ(Get(port(), "/v1/boards/tem").status, 404u);
  EXPECT_EQ(Get(port(), "/v1/whatever").status, 404u);
  EXPECT_EQ(Get(port(), "/no/such/asset.js").status, 404u);
  HttpResult r = HttpCall(port(), http::verb::delete_, "/v1/totals");
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(r.raw[http::field::allow], "GET, HEAD");
  r = HttpCall(port(), http::verb::head, "/v1/totals");
  EXPECT_EQ(r.status, 200u);
  EXPECT_TRUE(r.body.empty());
}

TEST_F(QueryTest, UnknownPathsAre404WhateverTheMethod) {
  struct Case {
    http::verb verb;
    std::string target;
  } not_found[] = {
      {http::verb::post, "/nope"},
      {http::verb::delete_, "/nope"},
      {http::verb::put, "/v1/nothing"},
      {http::verb::patch, "/v1/boards/zzz"},
      {http::verb::post, "/v1/boards/zzz"},
      {http::verb::delete_, "/v1/boards/zzz/entries/k"},
  };
  for (const Case& c : not_found) {
    HttpResult r = HttpCall(port(), c.verb, c.target);
    EXPECT_EQ(r.status, 404u) << c.target << " " << r.body;
    EXPECT_EQ(r.raw[http::field::allow], "") << c.target;
  }
  EXPECT_EQ(HttpCall(port(), http::verb::post, "/v1/boards/zzz").body, R"({"error":"unknown board 'zzz'"})");
  // Paths that exist answer 405 to a method they do not take, with the ones they do.
  struct Known {
    http::verb verb;
    std::string target, allow;
  } wrong_method[] = {
      {http::verb::post, "/v1/totals", "GET, HEAD"},
      {http::verb::patch, "/v1/boards/city", "GET, HEAD"},
      {http::verb::post, "/", "GET, HEAD"},
      {http::verb::delete_, "/healthz", "GET, HEAD"},
      {http::verb::get, "/v1/admin/snapshot", "POST"},
      {http::verb::get, "/v1/events", "POST"},
      {http::verb::post, "/v1/stream", "GET"},
  };
  for (const Known& c : wrong_method) {
    HttpResult r = HttpCall(port(), c.verb, c.target);
    EXPECT_EQ(r.status, 405u) << c.target << " " << r.body;
    EXPECT_EQ(r.raw[http::field::allow], c.allow) << c.target;
  }
}

TEST_F(QueryTest, ReadYourWritesAfterEveryAck) {
  WsClient c;
  ASSERT_FALSE(c.Connect(port(), "/v1/ingest"));
  for (int i = 0; i < 30; ++i) {
    ASSERT_FALSE(c.Send(EventJson("ryw" + std::to_string(i), "北京", "f", 10, 1)));
    ASSERT_NE(c.Read().find(R"("accepted":1)"), std::string::npos);
    HttpResult r = Get(port(), "/v1/boards/city/entries/%E5%8C%97%E4%BA%AC");
    ASSERT_EQ(r.status, 200u);
    ASSERT_NE(r.body.find(R"("weight_g":)" + std::to_string(10 * (i + 1)) + ","), std::string::npos) << r.body;
  }
}

TEST_F(QueryTest, MetricsCountEventsAndConnections) {
  Post(port(), "/v1/events", "[" + EventJson("1") + "," + EventJson("9", "x", "y", -5) + "]");
  HttpResult r = Get(port(), "/metrics");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type.rfind("text/plain; version=0.0.4", 0), 0u);
  // The http gauge is not checked for a value: the server may not yet have
  // seen the end of the previous request's connection.
  for (const char* line : {"bangdan_events_accepted_total 3\n", "bangdan_events_duplicate_total 1\n",
                           "bangdan_events_rejected_total 1\n", "bangdan_ack_latency_seconds_count 2\n",
                           "bangdan_connections{kind=\"http\"} ", "bangdan_connections{kind=\"ingest\"} 0\n",
                           "bangdan_engine_queue_frames 0\n", "bangdan_engine_memory_bytes ",
                           "bangdan_process_resident_memory_bytes ", "bangdan_push_frames_sent_total",
                           "bangdan_push_frames_skipped_total"})
    EXPECT_NE(r.body.find(line), std::string::npos) << line;
}

TEST_F(QueryTest, HealthAndPageAreOpenAndTheTitleIsEscaped) {
  HttpResult r = Get(port(), "/healthz");
  EXPECT_EQ(r.status, 200u);
  r = Get(port(), "/");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type.rfind("text/html", 0), 0u);
  EXPECT_NE(r.body.find("&lt;b&gt;&amp;榜"), std::string::npos);
  EXPECT_EQ(r.body.find("__BANGDAN_TITLE__"), std::string::npos);
}

TEST(Admin, SnapshotIsRefusedWithoutAdminTokenAndUnavailableWithout) {
  {
    TestServer s;
    EXPECT_EQ(Post(s.port(), "/v1/admin/snapshot", "").status, 403u);
  }
  ServerOptions o = TestOptions();
  o.admin_token = "adm";
  TestServer s(o);
  EXPECT_EQ(Post(s.port(), "/v1/admin/snapshot", "").status, 401u);
  EXPECT_EQ(Post(s.port(), "/v1/admin/snapshot", "", {{"Authorization", "Bearer nope"}}).status, 401u);
  HttpResult r = Post(s.port(), "/v1/admin/snapshot", "", {{"Authorization", "Bearer adm"}});
  EXPECT_EQ(r.status, 503u);
  EXPECT_NE(r.body.find("durability not enabled"), std::string::npos);
}

TEST(ReadToken, GuardsReadsButNotHealthOrPage) {
  ServerOptions o = TestOptions();
  o.read_token = "r";
  TestServer s(o);
  EXPECT_EQ(Get(s.port(), "/v1/totals").status, 401u);
  EXPECT_EQ(Get(s.port(), "/metrics").status, 401u);
  EXPECT_EQ(Get(s.port(), "/v1/boards/city?token=wrong").status, 401u);
  EXPECT_EQ(Get(s.port(), "/v1/boards/city?token=r").status, 200u);
  EXPECT_EQ(Get(s.port(), "/v1/totals", {{"Authorization", "Bearer r"}}).status, 200u);
  EXPECT_EQ(Get(s.port(), "/healthz").status, 200u);
  EXPECT_EQ(Get(s.port(), "/").status, 200u);
  EXPECT_EQ(Get(s.port(), "/v1/boards/tem").status, 404u);  // an unknown path, token or not
  WsClient c;
  EXPECT_TRUE(c.Connect(s.port(), "/v1/stream"));
  EXPECT_EQ(c.response().result_int(), 401u);
}

TEST(Limits, OversizeHeadersGet431) {
  TestServer s;
  HttpResult r = Get(s.port(), "/healthz", {{"X-Big", std::string(9000, 'a')}});
  EXPECT_EQ(r.status, 431u);
}

TEST(Limits, ConnectionsBeyondMaxConnectionsGet503) {
  ServerOptions o = TestOptions();
  o.max_connections = 1;
  TestServer s(o);
  WsClient holder;  // holds the one connection allowed
  ASSERT_FALSE(holder.Connect(s.port(), "/v1/ingest"));
  HttpResult r = Get(s.port(), "/healthz");
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(r.body, R"({"error":"too many connections"})");
  EXPECT_EQ(r.raw[http::field::server], "bangdan");  // as every other answer
  EXPECT_EQ(r.raw[http::field::cache_control], "no-store");
  EXPECT_EQ(r.raw[http::field::retry_after], "1");
}

// An admin snapshot takes as long as writing the state: it must not hold an
// I/O thread meanwhile. With one I/O thread, reads go on being answered while
// a (slow) snapshot runs, and the POST is answered when it is done.
TEST(AdminSnapshot, RunsOffTheIoThreads) {
  ServerOptions o = TestOptions();
  o.threads = 1;
  o.admin_token = "adm";
  Server server(o);
  std::atomic<bool> snapshot_running{false};
  server.SetSnapshotHandler([&](std::string* file, uint64_t* seq) {
    snapshot_running = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    *file = "snapshot-slow.snap";
    *seq = 0;
    return Status::OK();
  });
  ASSERT_TRUE(server.Start().ok());
  HttpResult snap;
  std::thread admin([&] {
    snap = Post(server.port(), "/v1/admin/snapshot", "", {{"Authorization", "Bearer adm"}});
  });
  while (!snapshot_running) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const auto from = std::chrono::steady_clock::now();
  HttpResult health = Get(server.port(), "/healthz");
  const auto waited = std::chrono::steady_clock::now() - from;
  EXPECT_EQ(health.status, 200u);
  EXPECT_LT(waited, std::chrono::milliseconds(1000)) << "the read waited for the snapshot";
  admin.join();
  EXPECT_EQ(snap.status, 200u);
  EXPECT_EQ(snap.body, R"({"snapshot":"snapshot-slow.snap","seq":0})");
  server.Shutdown();
}

}  // namespace
}  // namespace bangdan
