#include "http_session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "cors.h"
#include "handshake.h"
#include "ingest_session.h"
#include "json_writer.h"
#include "log.h"
#include "queries.h"
#include "stream_hub.h"
#if BANGDAN_HAVE_DASHBOARD
#include "dashboard/dashboard.h"
#endif

namespace bangdan {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

namespace {

// The slowest reading an answer is given time for, beyond ctx_.http_timeout.
constexpr size_t kSlowestRead = 64 * 1024;  // bytes a second
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

Method MethodOf(http::verb v) {
  switch (v) {
    case http::verb::get: return Method::kGet;
    case http::verb::head: return Method::kHead;
    case http::verb::post: return Method::kPost;
    default: return Method::kOther;
  }
}

// RFC 9110 §10.1.1: the client holds its body back until it gets 100
// (Continue) or a final answer. An HTTP/1.0 client's expectation is ignored.
bool ExpectsContinue(const http::request<http::string_body>& req) {
  return req.version() >= 11 && EqualsIgnoreCase(req[http::field::expect], "100-continue");
}

[[maybe_unused]] std::string PlaceholderPage(const std::string& title_html) {
  return "<!doctype html><meta charset=\"utf-8\"><title>" + title_html + "</title><h1>" + title_html +
         "</h1><p>bangdan is running. The dashboard is not part of this build; "
         "see <a href=\"/v1/totals\">/v1/totals</a> and /v1/boards/city.</p>\n";
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

HttpSession::HttpSession(net::ip::tcp::socket&& socket, ServerContext& ctx)
    : stream_(std::move(socket)), strand_(stream_.get_executor()), ctx_(ctx) {
  ctx_.metrics.http_connections.fetch_add(1, std::memory_order_relaxed);
}

HttpSession::~HttpSession() {
  ctx_.metrics.http_connections.fetch_sub(1, std::memory_order_relaxed);
  if (registry_id_ != 0) ctx_.registry.Remove(registry_id_);
  ReleaseCsvPlace();
}

void HttpSession::Run() {
  registry_id_ = ctx_.registry.Add(weak_from_this());
  net::dispatch(strand_, beast::bind_front_handler(&HttpSession::DoRead, shared_from_this()));
}

void HttpSession::BeginShutdown() {
  net::post(strand_, [self = shared_from_this()] {
    self->finishing_ = true;
    if (!self->busy_ && !self->upgraded_) self->stream_.cancel();
  });
}

void HttpSession::DoRead() {
  if (finishing_) return;
  parser_.emplace();
  parser_->header_limit(kHeaderLimit);
  parser_->body_limit(ctx_.options.max_frame_bytes);
  stream_.expires_after(ctx_.http_timeout);
  http::async_read_header(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&HttpSession::OnReadHeader, shared_from_this()));
}

void HttpSession::OnReadHeader(beast::error_code ec, size_t) {
  // A Content-Length over the limit fails the read with the header whole.
  if (!ec || ec == http::error::body_limit) TakeHeader();
  if (ec) return OnReadFailed(ec);
  if (parser_->is_done()) return Handle();
  if (!ExpectsContinue(parser_->get())) return ReadBody();
  if (RefusedBeforeBody()) return;
  busy_ = true;  // a shutdown now lets the request finish
  net::async_write(stream_, net::buffer(kContinue), [self = shared_from_this()](beast::error_code ec, size_t) {
    if (!ec) self->ReadBody();
  });
}

void HttpSession::ReadBody() {
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&HttpSession::OnReadBody, shared_from_this()));
}

void HttpSession::OnReadBody(beast::error_code ec, size_t) {
  if (ec) return OnReadFailed(ec);
  Handle();
}

void HttpSession::OnReadFailed(beast::error_code ec) {
  if (ec == http::error::end_of_stream) {
    stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
    return;
  }
  if (ec == http::error::body_limit) {
    // A request that would be refused whatever its body (no token, unknown
    // path) gets that answer, not 413.
    if (!RefusedBeforeBody()) Send(ErrorAnswer(413, "body: larger than --max-frame-bytes"), true);
    return;
  }
  if (ec == http::error::header_limit) return Send(ErrorAnswer(431, "headers: larger than 8 KiB"), true);
  if (ec.category() == beast::error_code(http::error::bad_target).category())
    return Send(ErrorAnswer(400, "malformed HTTP request: " + ec.message()), true);
  // timeout, reset, shutdown: nothing to answer
}

void HttpSession::TakeHeader() {
  const Request& req = parser_->get();
  ctx_.metrics.http_requests.fetch_add(1, std::memory_order_relaxed);
  version_ = req.version();
  keep_alive_ = req.keep_alive();
  head_ = req.method() == http::verb::head;
  cors_allow_origin_ = CorsAllowOrigin(req[http::field::origin], req[http::field::host], ctx_.options.allowed_origins);
}

bool HttpSession::IsPreflight() const {
  const Request& req = parser_->get();
  return IsCorsPreflight(MethodOf(req.method()), req[http::field::origin],
                         req[http::field::access_control_request_method]);
}

bool HttpSession::RefusedBeforeBody() {
  if (IsPreflight()) return false;  // answered whatever its body
  RoutedRequest routed;
  HttpAnswer answer;
  if (!RouteCurrent(&routed, &answer)) {
    Refuse(routed.path, std::move(answer), /*close=*/true);
    return true;
  }
  switch (routed.route) {
    case Route::kPage:
      answer = PageAnswer(routed.path, parser_->get().method());
      if (answer.status == 200) return false;
      Refuse(routed.path, std::move(answer), /*close=*/true);
      return true;
    case Route::kEvents: return RefusedForOrigin(routed.path, OriginUse::kWrite, /*close=*/true);
    default: return false;
  }
}

bool HttpSession::RouteCurrent(RoutedRequest* routed, HttpAnswer* refused) const {
  const Request& req = parser_->get();
  return RouteRequest(MethodOf(req.method()), req.target(), req[http::field::authorization],
                      beast::websocket::is_upgrade(req), Tokens(), routed, refused);
}

void HttpSession::Handle() {
  const Request& req = parser_->get();
  busy_ = true;
  RoutedRequest routed;
  HttpAnswer answer;
  if (IsPreflight()) {
    std::string path(req.target().substr(0, req.target().find('?')));
    return Send(CorsPreflightAnswer(path, req[http::field::origin], req[http::field::host],
                                    req[http::field::access_control_request_method],
                                    req[http::field::access_control_request_headers], ctx_.options.allowed_origins));
  }
  if (!RouteCurrent(&routed, &answer)) return Refuse(routed.path, std::move(answer), /*close=*/false);

  const int64_t now = ctx_.now_ms();
  switch (routed.route) {
    case Route::kPage: return Send(PageAnswer(routed.path, req.method()));
    case Route::kHealth:
      if (ctx_.shutting_down.load()) return Send(ErrorAnswer(503, "shutting down"));
      answer.body = "{\"status\":\"ok\"}";
      return Send(std::move(answer));
    case Route::kMetrics:
      answer.content_type = "text/plain; version=0.0.4; charset=utf-8";
      answer.body = MetricsText();
      return Send(std::move(answer));
    case Route::kBoard:
      if (IsCsvDownload(routed)) return DownloadCsv(routed, now);
      return Send(AnswerBoard(ctx_.engine, ctx_.engine_mu, routed, now));
    case Route::kEntry: return Send(AnswerEntry(ctx_.engine, ctx_.engine_mu, routed, now));
    case Route::kTotals: return Send(AnswerTotals(ctx_.engine, ctx_.engine_mu, routed, now));
    case Route::kEvents: return PostEvents();
    case Route::kIngest:
    case Route::kStream:
      if (!Upgrade(routed)) return;
      return;
    case Route::kSnapshot: {
      if (!ctx_.snapshot) return Send(ErrorAnswer(503, "durability not enabled"));
      // Writing a large state takes seconds: not on an I/O thread (with
      // --threads 1 that would stop all ingest). The answer comes back to
      // this session's strand when the snapshot is done.
      ctx_.blocking.Run([self = shared_from_this(), answer = std::move(answer)]() mutable {
        std::string file;
        uint64_t seq = 0;
        Status s = self->ctx_.snapshot(&file, &seq);
        if (s.ok()) {
          JsonWriter w(&answer.body);
          w.BeginObject().Key("snapshot").String(file).Key("seq").Uint(seq).EndObject();
        } else {
          answer = ErrorAnswer(500, "snapshot failed: " + s.message());
        }
        net::post(self->strand_, [self, answer = std::move(answer)]() mutable {
          self->Send(std::move(answer));
        });
      });
      return;
    }
  }
}

void HttpSession::Refuse(const std::string& path, HttpAnswer answer, bool close) {
  if (beast::websocket::is_upgrade(parser_->get()) || answer.status == 401 || answer.status == 403)
    LogRefused(path, answer);
  Send(std::move(answer), close);
}

void HttpSession::LogRefused(const std::string& path, const HttpAnswer& answer) {
  if (!LogEnabled(LogLevel::kDebug)) return;
  const Request& req = parser_->get();
  beast::error_code ec;
  const auto peer = stream_.socket().remote_endpoint(ec);
  // The decoded path only: the query may carry a token (?token=), and the
  // answer's message never holds one.
  std::string line = beast::websocket::is_upgrade(req) ? "refused WebSocket handshake " : "refused request ";
  line += std::string(req.method_string()) + " " + (path.empty() ? "?" : path) + " from ";
  line += ec ? std::string("?") : peer.address().to_string() + ":" + std::to_string(peer.port());
  line += ": " + std::to_string(answer.status) + " " + answer.body;
  LogDebug(line);
}

HttpAnswer HttpSession::PageAnswer(const std::string& path, http::verb method) const {
  // The router lets every method through to a page: only here is it known
  // whether the page exists (else 404) before a wrong method is a 405.
  auto wrong_method = [] {
    HttpAnswer a = ErrorAnswer(405, "method not allowed");
    a.allow = "GET, HEAD";
    return a;
  };
  const bool read_method = method == http::verb::get || method == http::verb::head;
  HttpAnswer page;
#if BANGDAN_HAVE_DASHBOARD
  const DashboardAsset* asset = FindDashboardAsset(path);
  if (asset == nullptr) return ErrorAnswer(404, "no such path");
  if (!read_method) return wrong_method();
  page.content_type = std::string(asset->content_type);
  page.body = std::string(asset->body);
  static constexpr std::string_view kTitle = "__BANGDAN_TITLE__";
  for (size_t p = page.body.find(kTitle); p != std::string::npos; p = page.body.find(kTitle, p))
    page.body.replace(p, kTitle.size(), ctx_.title_html), p += ctx_.title_html.size();
#else
  if (path != "/") return ErrorAnswer(404, "no such path");
  if (!read_method) return wrong_method();
  page.content_type = "text/html; charset=utf-8";
  page.body = PlaceholderPage(ctx_.title_html);
#endif
  return page;
}

bool HttpSession::Upgrade(const RoutedRequest& routed) {
  const OriginUse use = routed.route == Route::kIngest ? OriginUse::kWrite : OriginUse::kRead;
  if (RefusedForOrigin(routed.path, use, /*close=*/true)) return false;
  const Request& req = parser_->get();
  if (req.count(http::field::sec_websocket_key) != 1 || !IsWebSocketKey(req[http::field::sec_websocket_key])) {
    Refuse(routed.path, ErrorAnswer(400, "Sec-WebSocket-Key: must be given once, 16 bytes in base64 (RFC 6455)"),
           /*close=*/true);
    return false;
  }
  if (ctx_.shutting_down.load()) {
    Refuse(routed.path, ErrorAnswer(503, "shutting down"), /*close=*/true);
    return false;
  }
  // The connection changes hands: it is counted and shut down by its new
  // owner from now on.
  upgraded_ = true;
  ctx_.registry.Remove(registry_id_);
  registry_id_ = 0;
  if (routed.route == Route::kIngest) {
    std::make_shared<IngestSession>(std::move(stream_), ctx_)->Run(parser_->release());
  } else {
    ctx_.hub.Accept(std::move(stream_), parser_->release());
  }
  return true;
}

AccessTokens HttpSession::Tokens() const {
  return AccessTokens{ctx_.options.ingest_token, ctx_.options.read_token, ctx_.options.admin_token};
}

bool HttpSession::RefusedForOrigin(const std::string& path, OriginUse use, bool close) {
  // With a token, routing has let in only requests that carried it.
  const std::string& token = use == OriginUse::kWrite ? ctx_.options.ingest_token : ctx_.options.read_token;
  const Request& req = parser_->get();
  std::string_view why;
  if (OriginAllowed(req[http::field::origin], req[http::field::host], ctx_.options.allowed_origins, use,
                    !token.empty(), &why)) {
    return false;
  }
  Refuse(path, ErrorAnswer(403, why), close);
  return true;
}

void HttpSession::PostEvents() {
  if (RefusedForOrigin("/v1/events", OriginUse::kWrite, /*close=*/false)) return;
  auto frame = std::make_unique<IngestFrame>();
  frame->received = std::chrono::steady_clock::now();
  frame->recv_ms = ctx_.now_ms();
  Status s = ThreadEventParser(ctx_.options).Parse(parser_->get().body(), frame->recv_ms, &frame->parsed);
  if (!s.ok()) {
    ctx_.metrics.frames_refused.fetch_add(1, std::memory_order_relaxed);
    return Send(ErrorAnswer(400, s.message()));
  }
  frame->batch_json = frame->parsed.batch_json.empty() ? "1" : frame->parsed.batch_json;
  frame->respond = [self = shared_from_this()](std::string body, bool ok) {
    net::post(self->strand_, [self, body = std::move(body), ok]() mutable {
      HttpAnswer a;
      a.status = ok ? 200 : 503;  // not ok: not durable
      a.body = std::move(body);
      self->Send(std::move(a));
    });
  };
  if (!ctx_.writer.Submit(std::move(frame))) Send(ErrorAnswer(503, "shutting down"), true);
}

void HttpSession::DownloadCsv(const RoutedRequest& routed, int64_t now_ms) {
  // A million rows take the engine lock for their walk and hundreds of
  // milliseconds of formatting: not on an I/O thread, where ingest
  // connections would wait behind it. Each answer is held whole until its
  // client has read it, hence the limit on how many at once.
  const uint32_t max = ctx_.options.max_csv_downloads;
  uint32_t taken = ctx_.csv_downloads.load();
  do {
    if (taken >= max) {
      HttpAnswer busy = ErrorAnswer(503, "format: as many CSV downloads as --max-csv-downloads allows (" +
                                             std::to_string(max) + ") are under way; retry shortly");
      busy.retry_after_s = 1;
      return Send(std::move(busy));
    }
  } while (!ctx_.csv_downloads.compare_exchange_weak(taken, taken + 1));
  csv_place_ = true;
  ctx_.blocking.Run([self = shared_from_this(), routed, now_ms] {
    HttpAnswer answer = AnswerBoard(self->ctx_.engine, self->ctx_.engine_mu, routed, now_ms);
    net::post(self->strand_, [self, answer = std::move(answer)]() mutable { self->Send(std::move(answer)); });
  });
}

void HttpSession::ReleaseCsvPlace() {
  if (!csv_place_) return;
  csv_place_ = false;
  ctx_.csv_downloads.fetch_sub(1);
}

std::string HttpSession::MetricsText() {
  std::string out;
  out.reserve(8192);
  ctx_.metrics.Append(&out);
  auto conns = [](int64_t v) { return static_cast<uint64_t>(v < 0 ? 0 : v); };
  out += "# HELP bangdan_connections Open connections by kind.\n# TYPE bangdan_connections gauge\n";
  out += "bangdan_connections{kind=\"http\"} " +
         std::to_string(conns(ctx_.metrics.http_connections.load())) + "\n";
  out += "bangdan_connections{kind=\"ingest\"} " +
         std::to_string(conns(ctx_.metrics.ingest_connections.load())) + "\n";
  out += "bangdan_connections{kind=\"stream\"} " + std::to_string(ctx_.hub.connections()) + "\n";
  AppendMetric(&out, "bangdan_engine_queue_frames", "gauge",
               "Ingest frames waiting for the engine writer.", ctx_.writer.queued());
  uint64_t engine_bytes = 0, applied = 0;
  {
    std::lock_guard lk(ctx_.engine_mu);
    engine_bytes = ctx_.engine.MemoryBytes();
    applied = ctx_.engine.applied_seq();
  }
  AppendMetric(&out, "bangdan_engine_memory_bytes", "gauge", "Heap bytes held by the engine.", engine_bytes);
  AppendMetric(&out, "bangdan_engine_applied_seq", "gauge", "Sequence number of the last applied event.", applied);
  AppendMetric(&out, "bangdan_process_resident_memory_bytes", "gauge", "Resident set size of the process.",
               ProcessRssBytes());
  ctx_.hub.AppendMetrics(&out);
  if (ctx_.more_metrics) ctx_.more_metrics(&out);
  return out;
}

void HttpSession::Send(HttpAnswer answer, bool close) {
  busy_ = true;  // until OnWrite: a shutdown lets the answer go out
  response_ = std::make_shared<http::response<http::string_body>>(
      static_cast<http::status>(answer.status), version_);
  auto& res = *response_;
  res.set(http::field::server, "bangdan");
  if (!answer.content_type.empty()) res.set(http::field::content_type, answer.content_type);
  res.set(http::field::cache_control, "no-store");
  for (const auto& [name, value] : answer.headers) res.set(name, value);
  // A preflight's answer carries its own Access-Control-* headers.
  if (!cors_allow_origin_.empty() && res.count(http::field::access_control_allow_origin) == 0) {
    res.set(http::field::access_control_allow_origin, cors_allow_origin_);
    res.set(http::field::access_control_expose_headers, "Retry-After, Content-Disposition");
    res.set(http::field::vary, "Origin");
  }
  if (!answer.allow.empty()) res.set(http::field::allow, answer.allow);
  if (!answer.content_disposition.empty()) res.set(http::field::content_disposition, answer.content_disposition);
  if (answer.authenticate) res.set(http::field::www_authenticate, "Bearer");
  if (answer.retry_after_s != 0) res.set(http::field::retry_after, std::to_string(answer.retry_after_s));
  close = close || !keep_alive_ || finishing_;
  res.keep_alive(!close);
  res.body() = std::move(answer.body);
  res.prepare_payload();
  if (answer.status == 204) res.erase(http::field::content_length);  // RFC 9110 §8.6
  if (head_) res.body().clear();  // Content-Length stays that of the GET answer
  serializer_.emplace(res);
  written_ = 0;
  WriteSome(close);
}

void HttpSession::WriteSome(bool close) {
  // A deadline for each part, not for the whole answer: a big one (a CSV
  // download of tens of MB) takes as long as its client reads at its pace.
  // The kernel takes in at once whatever fits the client's receive window
  // (on loopback ~15 MB of a 19 MB answer at the first writes), and the next
  // part waits until the client has read most of it: so each part gets
  // http_timeout (30 s) plus a second per kSlowestRead bytes already written.
  stream_.expires_after(ctx_.http_timeout + std::chrono::seconds(written_ / kSlowestRead));
  http::async_write_some(stream_, *serializer_, [self = shared_from_this(), close](beast::error_code ec, size_t n) {
    self->written_ += n;
    if (!ec && !self->serializer_->is_done()) return self->WriteSome(close);
    self->OnWrite(close, ec, 0);
  });
}

void HttpSession::OnWrite(bool close, beast::error_code ec, size_t) {
  busy_ = false;
  serializer_.reset();
  response_.reset();
  ReleaseCsvPlace();
  if (ec) return LogDebug("http: answer not written: " + ec.message());
  if (close || finishing_) {
    stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
    return;
  }
  DoRead();
}

}  // namespace bangdan
