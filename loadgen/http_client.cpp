#include "http_client.h"

#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace bangdan::loadgen {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

struct HttpClient::Impl {
  std::string host;
  uint16_t port;
  std::string token;
  net::io_context io;
  std::optional<beast::tcp_stream> stream;

  beast::error_code Connect() {
    tcp::resolver resolver(io);
    beast::error_code ec;
    auto results = resolver.resolve(host, std::to_string(port), ec);
    if (ec) return ec;
    stream.emplace(io);
    stream->connect(results, ec);
    return ec;
  }

  beast::error_code RoundTrip(const std::string& target, int* status, std::string* body) {
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, host + ":" + std::to_string(port));
    req.set(http::field::user_agent, "bangdan-loadgen");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    beast::error_code ec;
    http::write(*stream, req, ec);
    if (ec) return ec;
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ULL << 32);  // a whole board as CSV can be large
    http::read(*stream, buffer, parser, ec);
    if (ec) return ec;
    *status = static_cast<int>(parser.get().result_int());
    *body = std::move(parser.get().body());
    if (!parser.get().keep_alive()) stream.reset();
    return ec;
  }
};

HttpClient::HttpClient(std::string host, uint16_t port, std::string bearer_token) : impl_(new Impl) {
  impl_->host = std::move(host);
  impl_->port = port;
  impl_->token = std::move(bearer_token);
}

HttpClient::~HttpClient() = default;

Status HttpClient::Get(const std::string& target, int* status, std::string* body) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!impl_->stream) {
      if (beast::error_code ec = impl_->Connect()) {
        return Status::IOError("connect to " + impl_->host + ":" + std::to_string(impl_->port) + ": " + ec.message());
      }
    }
    beast::error_code ec = impl_->RoundTrip(target, status, body);
    if (!ec) return Status::OK();
    impl_->stream.reset();
    if (attempt == 1) return Status::IOError("GET " + target + ": " + ec.message());
  }
  return Status::IOError("GET " + target);
}

std::string PercentEncode(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace bangdan::loadgen
