#include "ingest_client.h"

#include <deque>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/connect.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "ack.h"
#include "handshake.h"
#include "pacing.h"
#include "typed_net.h"

namespace bangdan::loadgen {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(net::io_context& io, RunContext& ctx, ThreadStats& stats, uint32_t conn, uint64_t quota)
      : ctx_(ctx), stats_(stats), conn_(conn), quota_(quota), resolver_(io.get_executor()),
        ws_(io.get_executor()), timer_(io.get_executor()), pacing_(ctx.frame_interval_ns) {}

  void Start() {
    resolver_.async_resolve(ctx_.host, std::to_string(ctx_.port),
                            [self = shared_from_this()](beast::error_code ec, Resolver::results_type r) {
                              if (ec) return self->Fail(ec, "resolve");
                              self->OnResolve(r);
                            });
  }

 private:
  struct InFlight {
    int64_t send_ns;
    int64_t origin_ns;  // what its latency counts from (Pacing::LatencyOrigin)
  };

  void OnResolve(const Resolver::results_type& results) {
    net::async_connect(
        ws_.next_layer(), results, [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
          if (ec) return self->Fail(ec, "connect");
          self->OnConnect();
        });
  }

  void OnConnect() {
    ws_.next_layer().set_option(tcp::no_delay(true));
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    std::string token = ctx_.options->token;
    ws_.set_option(websocket::stream_base::decorator([token](websocket::request_type& req) {
      req.set(beast::http::field::user_agent, "bangdan-loadgen");
      if (!token.empty()) req.set(beast::http::field::authorization, "Bearer " + token);
    }));
    ws_.auto_fragment(false);
    ws_.text(true);
    ws_.read_message_max(64 << 20);
    ws_.async_handshake(handshake_response_, ctx_.host + ":" + std::to_string(ctx_.port), "/v1/ingest",
                        [self = shared_from_this()](beast::error_code ec) {
                          if (ec) return self->Fail(ec, "handshake", HandshakeRefusal(self->handshake_response_, "--token"));
                          self->pacing_.Begin(self->ctx_.start_ns.load(std::memory_order_relaxed), NowNs(),
                                              self->conn_, self->ctx_.options->connections);
                          self->DoRead();
                          self->MaybeSend();
                        });
  }

  bool WantsToSend() const {
    if (next_k_ >= quota_ || ctx_.stop_sending.load(std::memory_order_relaxed)) return false;
    // A paced frame due after the end is not sent: the connection stops
    // now instead of sleeping until then.
    return !pacing_.paced() || pacing_.Due(next_k_) < ctx_.deadline_ns.load(std::memory_order_relaxed);
  }

  // Sends the next frame if the window, the pacing and the write slot allow.
  void MaybeSend() {
    if (waiting_timer_ || failed_) return;
    if (writing_) return pacing_.Held();  // its completion will call again
    if (!WantsToSend()) return MaybeFinish();
    if (in_flight_.size() >= ctx_.options->window) return pacing_.Held();  // an ack will call again
    int64_t now = NowNs();
    pacing_.Released(now);
    if (pacing_.paced()) {
      int64_t due = pacing_.Due(next_k_);
      if (due > now) {
        waiting_timer_ = true;
        timer_.expires_after(std::chrono::nanoseconds(due - now));
        timer_.async_wait([self = shared_from_this()](beast::error_code) {
          self->waiting_timer_ = false;
          self->MaybeSend();
        });
        return;
      }
    }
    CountLateness(stats_, pacing_.Classify(next_k_, now));
    ctx_.pool->Render(conn_, ctx_.options->connections, next_k_, &out_);
    in_flight_.push_back(InFlight{now, pacing_.LatencyOrigin(next_k_, now)});
    ++next_k_;
    writing_ = true;
    stats_.frames_sent.fetch_add(1, std::memory_order_relaxed);
    stats_.events_sent.fetch_add(ctx_.pool->batch(), std::memory_order_relaxed);
    stats_.last_send_ns.store(std::max(now, stats_.last_send_ns.load(std::memory_order_relaxed)),
                              std::memory_order_relaxed);  // only this thread writes it
    ws_.async_write(net::buffer(out_), [self = shared_from_this()](beast::error_code ec, size_t) {
      self->writing_ = false;
      if (ec) return self->Fail(ec, "write");
      self->MaybeSend();
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
    Ack ack;
    Status s = ParseAck(text, &parse_buffer_, &ack);
    in_.consume(in_.size());
    if (in_flight_.empty()) {
      stats_.errors.fetch_add(1, std::memory_order_relaxed);
      stats_.Problem("connection " + std::to_string(conn_) + ": a message with no frame in flight: " +
                     std::string(text.substr(0, 200)));
      return;
    }
    uint64_t k = next_k_ - in_flight_.size();
    const InFlight sent = in_flight_.front();
    in_flight_.pop_front();
    stats_.answers.fetch_add(1, std::memory_order_relaxed);
    if (!s.ok() || ack.is_error) {
      stats_.errors.fetch_add(1, std::memory_order_relaxed);
      stats_.ack_mismatches.fetch_add(1, std::memory_order_relaxed);
      stats_.Problem("connection " + std::to_string(conn_) + " frame " + std::to_string(k + 1) + ": " +
                     (s.ok() ? ack.error : s.message()));
    } else {
      OnAck(k, sent, now, ack);
    }
    MaybeSend();
  }

  void OnAck(uint64_t k, const InFlight& sent, int64_t now, const Ack& ack) {
    stats_.acks.fetch_add(1, std::memory_order_relaxed);
    stats_.accepted.fetch_add(ack.accepted, std::memory_order_relaxed);
    stats_.duplicates.fetch_add(ack.duplicates, std::memory_order_relaxed);
    stats_.rejected.fetch_add(ack.rejected.size(), std::memory_order_relaxed);
    // Every generated event is valid and every retry repeats an acked id, so
    // an ack has exactly one right answer.
    const FrameTemplate& t = ctx_.pool->TemplateFor(conn_, ctx_.options->connections, k);
    uint32_t want_dups = 0;
    for (const Slot& slot : t.slots) want_dups += ctx_.pool->IsRetry(k, slot) ? 1 : 0;
    uint32_t want_accepted = static_cast<uint32_t>(t.slots.size()) - want_dups;
    bool mismatch = ack.accepted != want_accepted || ack.duplicates != want_dups || !ack.rejected.empty() ||
                    ack.batch != k + 1;
    if (mismatch) {
      stats_.ack_mismatches.fetch_add(1, std::memory_order_relaxed);
      std::string why = "connection " + std::to_string(conn_) + " frame " + std::to_string(k + 1) +
                        ": expected batch " + std::to_string(k + 1) + " accepted " + std::to_string(want_accepted) +
                        " duplicates " + std::to_string(want_dups) + ", the ack says batch " +
                        std::to_string(ack.batch) + " accepted " + std::to_string(ack.accepted) + " duplicates " +
                        std::to_string(ack.duplicates) + " rejected " + std::to_string(ack.rejected.size());
      if (!ack.rejected.empty()) why += " (first: " + ack.first_rejection + ")";
      stats_.Problem(std::move(why));
    }
    std::lock_guard<std::mutex> lock(stats_.mu);
    stats_.ack_latency.Record(static_cast<uint64_t>(now - sent.origin_ns));
    stats_.ack_latency_from_send.Record(static_cast<uint64_t>(now - sent.send_ns));
    stats_.ack_latency_interval.Record(static_cast<uint64_t>(now - sent.origin_ns));
    if (ctx_.keep_frames) {
      stats_.frames.push_back(FrameRecord{ack.seq, k, sent.send_ns, sent.origin_ns, conn_, ack.accepted});
      for (uint32_t index : ack.rejected) stats_.rejected_slots.push_back(RejectedSlot{conn_, k, index});
    }
  }

  void MaybeFinish() {
    if (finished_ || !in_flight_.empty() || writing_) return;
    finished_ = true;
    ctx_.ingest_done.fetch_add(1);
    ws_.async_close(websocket::close_code::normal, [self = shared_from_this()](beast::error_code) {});
  }

  void Fail(beast::error_code ec, const char* what, const std::string& detail = "") {
    if (failed_ || finished_) return;
    failed_ = true;
    stats_.errors.fetch_add(1, std::memory_order_relaxed);
    stats_.Problem("connection " + std::to_string(conn_) + ": " + what + ": " + ec.message() + detail +
                   (in_flight_.empty() ? "" : " (" + std::to_string(in_flight_.size()) + " frames unacked)"));
    finished_ = true;
    ctx_.ingest_done.fetch_add(1);
    timer_.cancel();
    beast::error_code ignored;
    ws_.next_layer().close(ignored);
  }

  RunContext& ctx_;
  ThreadStats& stats_;
  const uint32_t conn_;
  const uint64_t quota_;
  Resolver resolver_;
  websocket::stream<Socket> ws_;
  websocket::response_type handshake_response_;
  Timer timer_;
  beast::flat_buffer in_;
  std::string out_;
  std::string parse_buffer_;
  Pacing pacing_;
  std::deque<InFlight> in_flight_;  // unacked frames, oldest first
  uint64_t next_k_ = 0;
  bool writing_ = false, waiting_timer_ = false, failed_ = false, finished_ = false;
};

}  // namespace

void IngestClient::Launch(net::io_context& io, RunContext& ctx, ThreadStats& stats, uint32_t conn_index,
                          uint64_t frame_quota) {
  std::make_shared<Session>(io, ctx, stats, conn_index, frame_quota)->Start();
}

}  // namespace bangdan::loadgen
