// HttpSession (server/http_session.h): how a connection's answers go out —
// whole-board CSV downloads a few at a time, and big answers written at the
// pace their client reads them.
#include "http_session.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "test_support.h"

namespace bangdan {
namespace {

using namespace bangdan::testing;

// 60,000 users with 120-byte names: a 9 MB CSV of the user board, more than
// the sockets of a client that reads nothing can take in.
constexpr int kUsers = 60'000;

void PostUsersWithLongNames(uint16_t port) {
  const std::string pad(112, 'u');
  for (int from = 0; from < kUsers; from += 10'000) {
    std::string body = "[";
    for (int i = from; i < from + 10'000; ++i) {
      char user[16];
      std::snprintf(user, sizeof user, "%08d", i);
      std::string extra = "\"user\":\"";
      extra.append(pad).append(user).push_back('"');
      if (i > from) body += ',';
      body += EventJson(user, "合肥", "万科物业", 500, 100, extra);
    }
    ASSERT_EQ(Post(port, "/v1/events", body + "]").status, 200u);
  }
}

// A whole-board download holds its text until the client has read it, so
// only --max-csv-downloads are answered at once: one more gets 503 with
// Retry-After, and the place is free again once the first is read.
TEST(HttpSession, CsvDownloadsBeyondTheLimitGet503UntilOneIsRead) {
  ServerOptions o = TestOptions();
  o.max_csv_downloads = 1;
  TestServer s(o);
  ASSERT_NO_FATAL_FAILURE(PostUsersWithLongNames(s.port()));
  // The first client asks and reads nothing, its receive buffer kept small.
  net::io_context ioc;
  tcp::socket slow(ioc);
  slow.open(tcp::v4());
  slow.set_option(net::socket_base::receive_buffer_size(4096));
  slow.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), s.port()));
  net::write(slow, net::buffer(std::string("GET /v1/boards/user?format=csv HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")));

  HttpResult busy;
  for (int i = 0; i < 200; ++i) {  // until the first download is under way
    busy = Get(s.port(), "/v1/boards/user?format=csv");
    if (busy.status == 503) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_EQ(busy.status, 503u) << "a second download was answered while the first was unread";
  EXPECT_EQ(busy.raw[http::field::retry_after], "1");
  EXPECT_EQ(busy.body,
            R"({"error":"format: as many CSV downloads as --max-csv-downloads allows (1) are under way; retry shortly"})");
  // Pages are not downloads: they are answered meanwhile.
  EXPECT_EQ(Get(s.port(), "/v1/boards/user?limit=1").status, 200u);

  // The first client reads its whole answer: every user, once.
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1u << 30);
  http::read(slow, buf, parser);
  EXPECT_EQ(parser.get().result_int(), 200u);
  const std::string& csv = parser.get().body();
  EXPECT_GT(csv.size(), 8'000'000u);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), kUsers + 1);
  // Its place is given back once the answer is written.
  HttpResult again;
  for (int i = 0; i < 200; ++i) {
    again = Get(s.port(), "/v1/boards/user?format=csv");
    if (again.status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_EQ(again.status, 200u);
  EXPECT_EQ(again.body, csv);
}


// The kernel takes in at once what fits the client's receive window, so a
// big answer's last parts wait for the client to read the first ones: a
// deadline for the whole answer cut a download read steadily. Each part has
// its own, longer the more was written before it.
TEST(HttpSession, ABigAnswerReadSteadilyOutlastsTheTimeoutOfOnePart) {
  Server server(TestOptions());
  server.SetHttpTimeout(std::chrono::milliseconds(300));
  ASSERT_TRUE(server.Start().ok());
  ASSERT_NO_FATAL_FAILURE(PostUsersWithLongNames(server.port()));
  net::io_context ioc;
  tcp::socket client(ioc);
  client.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), server.port()));
  net::write(client, net::buffer(std::string("GET /v1/boards/user?format=csv HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")));
  // ~4 MB/s: the 9 MB answer takes over 2 s, several times the timeout.
  std::string got;
  std::vector<char> buf(64 * 1024);
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    beast::error_code ec;
    const size_t n = client.read_some(net::buffer(buf), ec);
    got.append(buf.data(), n);
    if (ec) break;  // the answer is whole, or the server cut it
    const size_t head = got.find("\r\n\r\n");
    if (head != std::string::npos) {
      const size_t at = got.find("Content-Length: ");
      if (at != std::string::npos && got.size() >= head + 4 + std::stoull(got.substr(at + 16))) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(15));
  }
  EXPECT_GT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(900));
  ASSERT_EQ(got.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << got.substr(0, 200);
  const std::string body = got.substr(got.find("\r\n\r\n") + 4);
  EXPECT_GT(body.size(), 8'000'000u);
  EXPECT_EQ(std::count(body.begin(), body.end(), '\n'), kUsers + 1);
  server.Shutdown();
}

}  // namespace
}  // namespace bangdan
