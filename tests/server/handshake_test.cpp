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

TEST(IsWebSocketKey, SixteenBytesInBase64AndNothingElse) {
  EXPECT_TRUE(IsWebSocketKey("dGhlIHNhbXBsZSBub25jZQ=="));  // RFC 6455's own example
  EXPECT_TRUE(IsWebSocketKey("AAAAAAAAAAAAAAAAAAAAAA=="));
  EXPECT_TRUE(IsWebSocketKey("/+/+/+/+/+/+/+/+/+/+/w=="));
  EXPECT_FALSE(IsWebSocketKey(""));
  EXPECT_FALSE(IsWebSocketKey("dGhlIHNhbXBsZSBub25jZQ="));    // 23 characters
  EXPECT_FALSE(IsWebSocketKey("dGhlIHNhbXBsZSBub25jZQ==="));  // 25
  EXPECT_FALSE(IsWebSocketKey("dGhlIHNhbXBsZSBub25jZR=="));   // bits past the 16th byte
  EXPECT_FALSE(IsWebSocketKey("dGhlIHNhbXBsZSBub25j*Q=="));
  EXPECT_FALSE(IsWebSocketKey("not-a-key-of-16-bytes!!!"));
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

    {  // two keys: which one would the answer's accept be for?
      net::io_context ioc;
      tcp::socket raw(ioc);
      raw.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), s.port()));
      net::write(raw, net::buffer(std::string("GET ") + path +
                                  " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                                  "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                  "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n\r\n"));
      beast::flat_buffer buf;
      http::response<http::string_body> res;
      http::read(raw, buf, res);
      EXPECT_EQ(res.result_int(), 400u) << path;
    }
    for (const char* key : {"", "short", "dGhlIHNhbXBsZSBub25jZR=="}) {
      headers = upgrade;
      headers[2].second = key;
      headers.emplace_back("Sec-WebSocket-Version", "13");
      r = Get(s.port(), path, headers);
      EXPECT_EQ(r.status, 400u) << path << " '" << key << "'";
      EXPECT_EQ(r.body, R"j({"error":"Sec-WebSocket-Key: must be given once, 16 bytes in base64 (RFC 6455)"})j")
          << path;
    }
  }
}

}  // namespace
}  // namespace bangdan
