#include "subscriber.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "ack.h"
#include "handshake.h"
#include "typed_net.h"

namespace bangdan::loadgen {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

std::string SubscribeJson(const std::string& board, const std::string& scope_dim, const std::string& scope_key,
                          const char* metric) {
  std::string s = "{\"op\":\"subscribe\",\"sub\":\"v\",\"board\":\"" + board + "\"";
  if (!scope_dim.empty()) s += ",\"scope\":{\"" + scope_dim + "\":\"" + scope_key + "\"}";
  s += ",\"metric\":\"" + std::string(metric) + "\",\"window\":\"total\",\"top\":10}";
  return s;
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(net::io_context& io, RunContext& ctx, ThreadStats& stats, const ViewSpec& view, SubscriberTally* tally)
      : ctx_(ctx), stats_(stats), view_(view), tally_(tally), resolver_(io.get_executor()),
        connect_timer_(io.get_executor()), ws_(io.get_executor()) {}

  void Start() {
    resolver_.async_resolve(ctx_.host, std::to_string(ctx_.port),
                            [self = shared_from_this()](beast::error_code ec, Resolver::results_type r) {
                              if (ec) return self->Fail(ec, "resolve");
                              // A connect that hangs (a host that drops packets) fails after 60 s.
                              self->connect_timer_.expires_after(std::chrono::seconds(60));
                              self->connect_timer_.async_wait([self](beast::error_code ec) {
                                if (!ec) self->ws_.next_layer().close(ec);
                              });
                              net::async_connect(self->ws_.next_layer(), r,
                                                 [self](beast::error_code ec, const tcp::endpoint&) {
                                                   self->connect_timer_.cancel();
                                                   if (ec) return self->Fail(ec, "connect");
                                                   self->OnConnect();
                                                 });
                            });
  }

 private:
  void OnConnect() {
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    std::string token = ctx_.options->read_token;
    ws_.set_option(websocket::stream_base::decorator([token](websocket::request_type& req) {
      req.set(beast::http::field::user_agent, "bangdan-loadgen");
      if (!token.empty()) req.set(beast::http::field::authorization, "Bearer " + token);
    }));
    ws_.read_message_max(16 << 20);
    ws_.async_handshake(handshake_response_, ctx_.host + ":" + std::to_string(ctx_.port), "/v1/stream",
                        [self = shared_from_this()](beast::error_code ec) {
                          if (ec) {
                            return self->Fail(ec, "handshake",
                                              HandshakeRefusal(self->handshake_response_, "--read-token"));
                          }
                          self->ws_.text(true);
                          self->ws_.async_write(net::buffer(self->view_.subscribe_json),
                                                [self](beast::error_code ec, size_t) {
                                                  if (ec) return self->Fail(ec, "subscribe");
                                                });
                          self->DoRead();
                        });
  }

  void DoRead() {
    ws_.async_read(in_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->Fail(ec, "read");
      self->OnMessage();
      self->DoRead();
    });
  }

  void OnMessage() {
    int64_t now = NowNs();
    std::string_view text(static_cast<const char*>(in_.data().data()), in_.size());
    ++tally_->messages;
    // Only the message type and, for totals, the events count are needed:
    // a substring look-up is enough and keeps 10,000 subscribers cheap.
    size_t type_at = text.find("\"type\":\"");
    std::string_view type = type_at == std::string_view::npos ? "" : text.substr(type_at + 8, 6);
    if (type.starts_with("error")) {
      ++tally_->errors;
      if (tally_->first_error.empty()) tally_->first_error = std::string(text.substr(0, 200));
      NotReady();
    } else {
      if (!tally_->ready) {
        tally_->ready = true;
        ctx_.subscribers_ready.fetch_add(1);
      }
      bool flowing = ctx_.sending.load(std::memory_order_relaxed);
      if (type == "update" && flowing) ++tally_->updates;
      uint64_t events;
      if (view_.totals && FindUnsignedField(text, "events", &events)) {
        // The first view is the baseline; every rise after it reveals events.
        if (events > last_events_ && have_baseline_) {
          std::lock_guard<std::mutex> lock(stats_.mu);
          stats_.push_observations.push_back(PushObservation{now, last_events_ + 1});
        }
        if (events > last_events_ || !have_baseline_) last_events_ = events;
        have_baseline_ = true;
      }
      stats_.pushes.fetch_add(1, std::memory_order_relaxed);
    }
    in_.consume(in_.size());
    if (ctx_.stop_subscribers.load(std::memory_order_relaxed) && !closing_) {
      closing_ = true;
      ws_.async_close(websocket::close_code::normal, [self = shared_from_this()](beast::error_code) {});
    }
  }

  // The run waits for every subscriber's first view before sending; one
  // that will never have it says so, and the run stops waiting for it.
  void NotReady() {
    if (tally_->ready || counted_as_failed_) return;
    counted_as_failed_ = true;
    ctx_.subscribers_failed.fetch_add(1);
  }

  void Fail(beast::error_code ec, const char* what, const std::string& detail = "") {
    if (closing_ || failed_) return;
    failed_ = true;
    ++tally_->errors;
    if (tally_->first_error.empty()) tally_->first_error = std::string(what) + ": " + ec.message() + detail;
    NotReady();
    beast::error_code ignored;
    ws_.next_layer().close(ignored);
  }

  RunContext& ctx_;
  ThreadStats& stats_;
  const ViewSpec& view_;
  SubscriberTally* tally_;
  Resolver resolver_;
  Timer connect_timer_;
  websocket::stream<Socket> ws_;
  websocket::response_type handshake_response_;
  beast::flat_buffer in_;
  uint64_t last_events_ = 0;
  bool have_baseline_ = false;
  bool closing_ = false, failed_ = false, counted_as_failed_ = false;
};

}  // namespace

std::vector<ViewSpec> MakeViews(const Campaign& c, uint32_t count) {
  std::vector<ViewSpec> views;
  static const char* kMetrics[] = {"weight_g", "amount_fen", "orders"};
  for (uint32_t i = 0; views.size() < count; ++i) {
    ViewSpec v;
    const char* metric = kMetrics[(i / 10) % 3];
    uint32_t n = i / 10;  // which city or firm the scoped views pick
    switch (i % 10) {
      case 0:
        v.subscribe_json = "{\"op\":\"subscribe\",\"sub\":\"v\",\"board\":\"totals\",\"window\":\"total\"}";
        v.name = "totals";
        v.totals = true;
        break;
      case 1: v.subscribe_json = SubscribeJson("city", "", "", metric); v.name = "city"; break;
      case 2: v.subscribe_json = SubscribeJson("firm", "", "", metric); v.name = "firm"; break;
      case 3: v.subscribe_json = SubscribeJson("team", "", "", metric); v.name = "team"; break;
      case 4: case 7: {
        const std::string& city = c.city((n * 2 + (i % 10 == 7)) % c.cities());
        v.subscribe_json = SubscribeJson("firm", "city", city, metric);
        v.name = "firm?city=" + city;
        break;
      }
      case 5: case 8: {
        const std::string& city = c.city((n * 2 + (i % 10 == 8)) % c.cities());
        v.subscribe_json = SubscribeJson("team", "city", city, metric);
        v.name = "team?city=" + city;
        break;
      }
      case 6: {
        const std::string& firm = c.firm(n % c.firms());
        v.subscribe_json = SubscribeJson("team", "firm", firm, metric);
        v.name = "team?firm=" + firm;
        break;
      }
      default: {
        const std::string& city = c.city(n % c.cities());
        v.subscribe_json = SubscribeJson("product", "city", city, metric);
        v.name = "product?city=" + city;
        break;
      }
    }
    if (!v.totals) v.name += std::string(" by ") + metric + " top 10";
    views.push_back(std::move(v));
  }
  return views;
}

void Subscriber::Launch(net::io_context& io, RunContext& ctx, ThreadStats& stats, const ViewSpec& view,
                        uint32_t view_index, SubscriberTally* tally) {
  tally->view = view_index;
  std::make_shared<Session>(io, ctx, stats, view, tally)->Start();
}

}  // namespace bangdan::loadgen
