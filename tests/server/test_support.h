// Test helpers: a real server in-process on a free port, and small Beast
// clients (WebSocket, HTTP) whose every call gives up after a few seconds
// instead of hanging a test.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <gtest/gtest.h>

#include "server.h"

namespace bangdan::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

constexpr auto kCallTimeout = std::chrono::seconds(10);

// Runs one asynchronous operation to completion on `ioc`; a call that does
// not complete within kCallTimeout fails with timed_out.
template <typename Start>
beast::error_code RunOne(net::io_context& ioc, Start start) {
  bool done = false;
  beast::error_code result;
  ioc.restart();
  start([&](beast::error_code ec, auto&&...) {
    result = ec;
    done = true;
  });
  ioc.run_for(kCallTimeout);
  if (!done) {
    ioc.stop();
    return net::error::timed_out;
  }
  return result;
}

inline ServerOptions TestOptions() {
  ServerOptions o;
  o.listen_host = "127.0.0.1";
  o.listen_port = 0;
  o.threads = 2;
  return o;
}

class TestServer {
 public:
  explicit TestServer(ServerOptions o = TestOptions()) : server_(std::make_unique<Server>(std::move(o))) {
    Status s = server_->Start();
    EXPECT_TRUE(s.ok()) << s.message();
  }
  uint16_t port() const { return server_->port(); }
  Server& server() { return *server_; }

 private:
  std::unique_ptr<Server> server_;
};

class WsClient {
 public:
  // Connects and upgrades; the error (e.g. the 401 of a refused handshake) is
  // returned, the response kept in response().
  beast::error_code Connect(uint16_t port, const std::string& target,
                            std::vector<std::pair<std::string, std::string>> headers = {}) {
    beast::error_code ec = RunOne(ioc_, [&](auto h) {
      beast::get_lowest_layer(ws_).async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), h);
    });
    if (ec) return ec;
    ws_.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
      for (const auto& [k, v] : headers) req.set(k, v);
    }));
    return RunOne(ioc_, [&](auto h) { ws_.async_handshake(response_, "127.0.0.1", target, h); });
  }

  beast::error_code Send(const std::string& text, bool binary = false) {
    ws_.binary(binary);
    return RunOne(ioc_, [&](auto h) { ws_.async_write(net::buffer(text), h); });
  }

  // The next message, or "" with *ec set.
  std::string Read(beast::error_code* ec = nullptr) {
    beast::flat_buffer buf;
    beast::error_code e = RunOne(ioc_, [&](auto h) { ws_.async_read(buf, h); });
    if (ec) *ec = e;
    if (e) return {};
    return beast::buffers_to_string(buf.data());
  }

  // The close code the server sent, once a Read failed with `closed`.
  uint16_t close_code() const { return ws_.reason().code; }
  const websocket::response_type& response() const { return response_; }
  websocket::stream<beast::tcp_stream>& ws() { return ws_; }

 private:
  net::io_context ioc_;
  websocket::stream<beast::tcp_stream> ws_{ioc_};
  websocket::response_type response_;
};

struct HttpResult {
  unsigned status = 0;
  std::string body;
  std::string content_type;
  http::response<http::string_body> raw;
};

inline HttpResult HttpCall(uint16_t port, http::verb verb, const std::string& target, std::string body = {},
                           std::vector<std::pair<std::string, std::string>> headers = {}) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  HttpResult r;
  beast::error_code ec = RunOne(ioc, [&](auto h) {
    stream.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), h);
  });
  EXPECT_FALSE(ec) << ec.message();
  if (ec) return r;
  http::request<http::string_body> req(verb, target, 11);
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = std::move(body);
  req.prepare_payload();
  ec = RunOne(ioc, [&](auto h) { http::async_write(stream, req, h); });
  EXPECT_FALSE(ec) << ec.message();
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1u << 30);
  parser.skip(verb == http::verb::head);
  ec = RunOne(ioc, [&](auto h) { http::async_read(stream, buf, parser, h); });
  EXPECT_FALSE(ec) << ec.message();
  r.raw = parser.release();
  r.status = r.raw.result_int();
  r.body = r.raw.body();
  r.content_type = std::string(r.raw[http::field::content_type]);
  return r;
}

inline HttpResult Get(uint16_t port, const std::string& target,
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
  return HttpCall(port, http::verb::get, target, {}, std::move(headers));
}

inline HttpResult Post(uint16_t port, const std::string& target, std::string body,
                       std::vector<std::pair<std::string, std::string>> headers = {}) {
  return HttpCall(port, http::verb::post, target, std::move(body), std::move(headers));
}

// A valid event with the given id (and optional extra fields, JSON text
// without braces).
inline std::string EventJson(const std::string& id, const std::string& city = "合肥",
                         const std::string& firm = "万科物业", int64_t weight_g = 500,
                         int64_t amount_fen = 100, const std::string& extra = "") {
  return "{\"id\":\"" + id + "\",\"city\":\"" + city + "\",\"firm\":\"" + firm +
         "\",\"weight_g\":" + std::to_string(weight_g) + ",\"amount_fen\":" + std::to_string(amount_fen) +
         (extra.empty() ? "" : "," + extra) + "}";
}

}  // namespace bangdan::testing
