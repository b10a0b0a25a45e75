#include "redis_client.h"

#include <array>
#include <charconv>
#include <deque>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "pacing.h"

namespace bangdan::loadgen {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

void Bulk(std::string* out, std::string_view s) {
  out->push_back('$');
  out->append(std::to_string(s.size()));
  out->append("\r\n");
  out->append(s);
  out->append("\r\n");
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(net::io_context& io, RunContext& ctx, ThreadStats& stats, uint32_t conn, uint64_t quota)
      : ctx_(ctx), stats_(stats), conn_(conn), quota_(quota), resolver_(io), socket_(io), timer_(io),
        pacing_(ctx.frame_interval_ns) {}

  void Start() {
    resolver_.async_resolve(ctx_.host, std::to_string(ctx_.port),
                            [self = shared_from_this()](boost::system::error_code ec, tcp::resolver::results_type r) {
                              if (ec) return self->Fail(ec, "resolve");
                              net::async_connect(self->socket_, r,
                                                 [self](boost::system::error_code ec, const tcp::endpoint&) {
                                                   if (ec) return self->Fail(ec, "connect");
                                                   self->socket_.set_option(tcp::no_delay(true));
                                                   self->pacing_.Begin(self->ctx_.start_ns.load(), NowNs());
                                                   self->DoRead();
                                                   self->MaybeSend();
                                                 });
                            });
  }

 private:
  struct InFlight {
    int64_t sent_ns;
    int64_t origin_ns;  // what its latency counts from (Pacing::LatencyOrigin)
    uint64_t replies;   // still expected
  };

  void MaybeSend() {
    if (waiting_ || failed_) return;
    if (writing_) return pacing_.Held();
    if (next_k_ >= quota_ || ctx_.stop_sending.load(std::memory_order_relaxed)) return MaybeFinish();
    if (in_flight_.size() >= ctx_.options->window) return pacing_.Held();
    int64_t now = NowNs();
    pacing_.Released(now);
    if (pacing_.paced()) {
      int64_t due = pacing_.Due(next_k_);
      if (due > now) {
        waiting_ = true;
        timer_.expires_after(std::chrono::nanoseconds(due - now));
        timer_.async_wait([self = shared_from_this()](boost::system::error_code) {
          self->waiting_ = false;
          self->MaybeSend();
        });
        return;
      }
    }
    CountLateness(stats_, pacing_.Classify(next_k_, now));
    out_.clear();
    uint32_t replies = ctx_.redis->Render(ctx_.pool->TemplateFor(conn_, ctx_.options->connections, next_k_), &out_);
    in_flight_.push_back(InFlight{now, pacing_.LatencyOrigin(next_k_, now), replies});
    ++next_k_;
    writing_ = true;
    stats_.frames_sent.fetch_add(1, std::memory_order_relaxed);
    stats_.events_sent.fetch_add(ctx_.pool->batch(), std::memory_order_relaxed);
    net::async_write(socket_, net::buffer(out_), [self = shared_from_this()](boost::system::error_code ec, size_t) {
      self->writing_ = false;
      if (ec) return self->Fail(ec, "write");
      self->MaybeSend();
    });
  }

  void DoRead() {
    socket_.async_read_some(net::buffer(chunk_), [self = shared_from_this()](boost::system::error_code ec, size_t n) {
      if (ec) return self->Fail(ec, "read");
      self->OnData(n);
      self->DoRead();
    });
  }

  void OnData(size_t n) {
    in_.append(chunk_.data(), n);
    size_t consumed = 0;
    uint64_t errors = 0;
    uint64_t replies = CountRespReplies(in_, &consumed, &errors);
    in_.erase(0, consumed);
    if (errors) {
      stats_.errors.fetch_add(errors, std::memory_order_relaxed);
      stats_.Problem("redis connection " + std::to_string(conn_) + ": " + std::to_string(errors) + " error replies");
    }
    int64_t now = NowNs();
    while (replies > 0 && !in_flight_.empty()) {
      InFlight& f = in_flight_.front();
      uint64_t take = std::min(replies, f.replies);
      f.replies -= take;
      replies -= take;
      if (f.replies == 0) {
        stats_.answers.fetch_add(1, std::memory_order_relaxed);
        stats_.acks.fetch_add(1, std::memory_order_relaxed);
        stats_.accepted.fetch_add(ctx_.pool->batch(), std::memory_order_relaxed);
        std::lock_guard<std::mutex> lock(stats_.mu);
        stats_.ack_latency.Record(static_cast<uint64_t>(now - f.origin_ns));
        stats_.ack_latency_from_send.Record(static_cast<uint64_t>(now - f.sent_ns));
        stats_.ack_latency_interval.Record(static_cast<uint64_t>(now - f.origin_ns));
        in_flight_.pop_front();
      }
    }
    MaybeSend();
  }

  void MaybeFinish() {
    if (finished_ || !in_flight_.empty() || writing_) return;
    finished_ = true;
    ctx_.ingest_done.fetch_add(1);
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
  }

  void Fail(boost::system::error_code ec, const char* what) {
    if (failed_ || finished_) return;
    failed_ = finished_ = true;
    stats_.errors.fetch_add(1, std::memory_order_relaxed);
    stats_.Problem("redis connection " + std::to_string(conn_) + ": " + what + ": " + ec.message());
    ctx_.ingest_done.fetch_add(1);
    timer_.cancel();
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

  RunContext& ctx_;
  ThreadStats& stats_;
  const uint32_t conn_;
  const uint64_t quota_;
  tcp::resolver resolver_;
  tcp::socket socket_;
  net::steady_timer timer_;
  Pacing pacing_;
  std::string out_, in_;
  std::array<char, 64 * 1024> chunk_;
  std::deque<InFlight> in_flight_;
  uint64_t next_k_ = 0;
  bool writing_ = false, waiting_ = false, failed_ = false, finished_ = false;
};

}  // namespace

RedisFrames::RedisFrames(const Campaign& campaign, const FramePool& pool, bool lean, std::string day)
    : campaign_(campaign), pool_(pool), lean_(lean), day_(std::move(day)) {}

void RedisFrames::Command(std::string* out, std::string_view a, std::string_view b, std::string_view c,
                          std::string_view d) const {
  out->append(d.empty() ? "*3\r\n" : "*4\r\n");
  Bulk(out, a);
  Bulk(out, b);
  Bulk(out, c);
  if (!d.empty()) Bulk(out, d);
}

uint32_t RedisFrames::Render(const FrameTemplate& frame, std::string* out) const {
  uint32_t replies = 0;
  static const char* kMetrics[] = {"w", "a", "o"};
  std::string key;
  for (const Slot& slot : frame.slots) {
    const GenEvent& e = pool_.events()[slot.event];
    int64_t sign = e.refund ? -1 : 1;
    const std::string deltas[3] = {std::to_string(sign * e.weight_g), std::to_string(sign * e.amount_fen),
                                   std::to_string(sign)};
    const std::string& city = campaign_.city(e.city);
    const std::string& firm = campaign_.firm(e.firm);
    const std::string& team = campaign_.team(e.team);
    if (lean_) {
      Command(out, "ZINCRBY", "city:w", deltas[0], city);
      Command(out, "ZINCRBY", "firm:w", deltas[0], firm);
      Command(out, "ZINCRBY", "team:w", deltas[0], team);
      replies += 3;
      continue;
    }
    const std::string& user = campaign_.user(e.user);
    const std::string& product = campaign_.product(e.product);
    struct Board { std::string prefix; const std::string* member; };
    const Board boards[] = {
        {"city:", &city}, {"firm:", &firm}, {"firm@" + city + ":", &firm}, {"team:", &team},
        {"team@" + city + ":", &team}, {"team@" + firm + ":", &team}, {"user:", &user},
        {"user@" + team + ":", &user}, {"product:", &product}, {"product@" + city + ":", &product}};
    for (const Board& b : boards) {
      for (int m = 0; m < 3; ++m) {
        for (int w = 0; w < 2; ++w) {
          key = b.prefix + kMetrics[m] + (w == 0 ? ":total" : ":" + day_);
          Command(out, "ZINCRBY", key, deltas[m], *b.member);
          ++replies;
        }
      }
    }
    Command(out, "PUBLISH", "bangdan:events", team, "");
    ++replies;
  }
  return replies;
}

void RedisClient::Launch(net::io_context& io, RunContext& ctx, ThreadStats& stats, uint32_t conn_index,
                         uint64_t frame_quota) {
  std::make_shared<Session>(io, ctx, stats, conn_index, frame_quota)->Start();
}

uint64_t CountRespReplies(std::string_view data, size_t* consumed, uint64_t* errors) {
  uint64_t count = 0;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t eol = data.find("\r\n", pos);
    if (eol == std::string_view::npos) break;
    char type = data[pos];
    size_t next = eol + 2;
    if (type == '$') {
      int64_t len = 0;
      std::from_chars(data.data() + pos + 1, data.data() + eol, len);
      if (len >= 0) {
        if (next + static_cast<size_t>(len) + 2 > data.size()) break;
        next += static_cast<size_t>(len) + 2;
      }
    } else if (type == '-') {
      ++*errors;
    }
    ++count;
    pos = next;
  }
  *consumed = pos;
  return count;
}

}  // namespace bangdan::loadgen
