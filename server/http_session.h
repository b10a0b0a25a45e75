// HttpSession: one HTTP/1.1 connection — queries, POST /v1/events, the
// dashboard page — until it asks for a WebSocket upgrade, which is checked
// here (token, Origin) and handed to an IngestSession or to the StreamHub.
//
// One request at a time: the next is read once the answer is written. The
// header is read before the body, so that a request refused whatever its
// body (path, method, token, Origin, a Content-Length over the limit) is
// answered without it; a client that sent `Expect: 100-continue` is asked
// for its body (100 Continue) only when the request would be taken.
// Limits: 8 KiB of header (431 over), body up to --max-frame-bytes (413
// over), 30 s to send a request; an answer is written a part at a time, and
// dropped when a part waits 30 s, plus a second per 64 KiB written before it
// (what the client's buffers may still hold), for the client to read.
//
// Lifetime: kept alive by shared_from_this in every pending handler.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "http_router.h"
#include "server_context.h"

namespace bangdan {

class HttpSession : public Connection, public std::enable_shared_from_this<HttpSession> {
 public:
  static constexpr size_t kHeaderLimit = 8 * 1024;

  HttpSession(boost::asio::ip::tcp::socket&& socket, ServerContext& ctx);
  ~HttpSession() override;

  void Run();
  void BeginShutdown() override;

 private:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;

  void DoRead();
  void OnReadHeader(boost::beast::error_code ec, size_t bytes);
  void ReadBody();
  void OnReadBody(boost::beast::error_code ec, size_t bytes);
  // A read that ended in error: answered when there is a request to answer
  // (413, 431, 400), else the connection ends.
  void OnReadFailed(boost::beast::error_code ec);
  // Notes what the answer depends on (version, keep-alive, HEAD) once the
  // request's header is in.
  void TakeHeader();
  // An OPTIONS request a browser sends before a cross-origin read (cors.h).
  bool IsPreflight() const;
  // A request refused whatever its body gets that answer now, and the
  // connection closes, its body unread: true when it did.
  bool RefusedBeforeBody();
  // RouteRequest for the request being read.
  bool RouteCurrent(RoutedRequest* routed, HttpAnswer* refused) const;
  void Handle();
  // "/" or a dashboard asset; 404 if there is none at `path`, 405 for a
  // method other than GET or HEAD.
  HttpAnswer PageAnswer(const std::string& path, boost::beast::http::verb method) const;
  bool Upgrade(const RoutedRequest& routed);
  // Sends `answer`, a refusal; one of a handshake, or for a token (401) or
  // as forbidden (403), is logged first (LogRefused).
  void Refuse(const std::string& path, HttpAnswer answer, bool close);
  // DEBUG line for a refused request: method, path, peer and answer, no token.
  void LogRefused(const std::string& path, const HttpAnswer& answer);
  AccessTokens Tokens() const;
  // A browser request whose Origin may not `use` the server (OriginAllowed)
  // gets 403, logged as refused: true when it did.
  bool RefusedForOrigin(const std::string& path, OriginUse use, bool close);
  void PostEvents();
  // A whole board as CSV: built on a thread of its own, a few at a time
  // (--max-csv-downloads); the session holds its place until the answer is
  // written.
  void DownloadCsv(const RoutedRequest& routed, int64_t now_ms);
  void ReleaseCsvPlace();
  std::string MetricsText();
  void Send(HttpAnswer answer, bool close = false);
  // Writes the answer a part at a time, each part with its own deadline.
  void WriteSome(bool close);
  void OnWrite(bool close, boost::beast::error_code ec, size_t bytes);

  boost::beast::tcp_stream stream_;
  boost::asio::any_io_executor strand_;  // stream_'s, kept: stream_ moves away at an upgrade
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::shared_ptr<boost::beast::http::response<boost::beast::http::string_body>> response_;
  std::optional<boost::beast::http::response_serializer<boost::beast::http::string_body>> serializer_;
  size_t written_ = 0;  // bytes of the answer written so far
  ServerContext& ctx_;
  uint64_t registry_id_ = 0;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool head_ = false;
  bool busy_ = false;       // a request is being answered
  bool finishing_ = false;  // shutdown: answer the current request, then close
  bool upgraded_ = false;   // stream_ belongs to a WebSocket session now
  bool csv_place_ = false;  // holds one of the --max-csv-downloads places
  std::string cors_allow_origin_;  // this request's Access-Control-Allow-Origin, if any
};

// `text` with &, <, >, " and ' replaced by their entities.
std::string HtmlEscape(std::string_view text);

}  // namespace bangdan
