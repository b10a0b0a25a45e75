// The WebSocket handshake's answers (server/handshake.h): the server's own
// name, and refusals with a JSON body like every other error.
#include "handshake.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace bangdan {
namespace {

using namespace bangdan::testing;

TEST(DecorateHandshake, AnAcceptedUpgradeOnlyGetsTheServersName) {
  http::response<http::string_body> res(http::status::switching_protocols, 11);
  res.set(http::field::server, "Boost.Beast/345");
  DecorateHandshake(res);
  EXPECT_EQ(res[http::field::server], "bangdan");
  EXPECT_TRUE(res.body().empty());
  EXPECT_EQ(res.count(http::field::content_type), 0u);
}

TEST(DecorateHandshake, ARefusalsPlainTextBecomesAJsonErrorWithItsLength) {
  http::response<http::string_body> res(http::status::bad_request, 11);
  res.body() = "The WebSocket handshake Sec-WebSocket-Key field is missing";
  res.prepare_payload();
  DecorateHandshake(res);
  EXPECT_EQ(res.body(), R"({"error":"The WebSocket handshake Sec-WebSocket-Key field is missing"})");
  EXPECT_EQ(res[http::field::content_type], "application/json");
  EXPECT_EQ(res[http::field::content_length], std::to_string(res.body().size()));
}

// Both WebSocket paths, on a real server.
TEST(DecorateHandshake, IngestAndStreamAnswerUpgradesAsTheServer) {
  TestServer s;
  const std::vector<std::pair<std::string, std::string>> upgrade = {
      {"Connection", "Upgrade"}, {"Upgrade", "websocket"}, {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}};
  for (const char* path : {"/v1/ingest", "/v1/stream"}) {
    auto headers = upgrade;
    headers.emplace_back("Sec-WebSocket-Version", "12");
    HttpResult r = Get(s.port(), path, headers);
    EXPECT_EQ(r.status, 426u) << path;
    EXPECT_EQ(r.raw[http::field::server], "bangdan") << path;
    EXPECT_EQ(r.raw[http::field::sec_websocket_version], "13") << path;
    EXPECT_EQ(r.raw[http::field::upgrade], "websocket") << path;
    EXPECT_EQ(r.content_type, "application/json") << path;
    EXPECT_EQ(r.body, R"({"error":"The WebSocket handshake Sec-WebSocket-Version field is invalid"})") << path;

    WsClient client;
    ASSERT_FALSE(client.Connect(s.port(), path)) << path;
    EXPECT_EQ(client.response()[http::field::server], "bangdan") << path;
  }
}

}  // namespace
}  // namespace bangdan
