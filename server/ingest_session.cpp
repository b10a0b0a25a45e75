#include "ingest_session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "bangdan/event_parser.h"
#include "handshake.h"
#include "log.h"

namespace bangdan {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;

IngestSession::IngestSession(beast::tcp_stream&& stream, ServerContext& ctx)
    : ws_(MoveOntoStrand(std::move(stream))), ctx_(ctx) {
  ctx_.metrics.ingest_connections.fetch_add(1, std::memory_order_relaxed);
}

IngestSession::~IngestSession() {
  ctx_.metrics.ingest_connections.fetch_sub(1, std::memory_order_relaxed);
  if (registry_id_ != 0) ctx_.registry.Remove(registry_id_);
}

void IngestSession::Run(beast::http::request<beast::http::string_body> req) {
  registry_id_ = ctx_.registry.Add(weak_from_this());
  req_ = std::move(req);
  net::dispatch(ws_.get_executor(), [self = shared_from_this()] {
    websocket::stream_base::timeout t;
    t.handshake_timeout = std::chrono::seconds(30);
    t.idle_timeout = std::chrono::milliseconds(self->ctx_.options.send_timeout_ms);
    t.keep_alive_pings = true;
    self->ws_.set_option(t);
    // Off: compression costs CPU and opens zip bombs.
    self->ws_.set_option(websocket::permessage_deflate{});
    // --max-frame-bytes is kept by DoRead, not by Beast's read_message_max:
    // over that, Beast would send its close (1009) at once, before the
    // answers of the frames read before it.
    self->ws_.read_message_max(0);
    self->ws_.auto_fragment(false);
    self->ws_.set_option(websocket::stream_base::decorator(&DecorateHandshake));
    self->ws_.async_accept(self->req_,
                           beast::bind_front_handler(&IngestSession::OnAccept, self));
  });
}

void IngestSession::OnAccept(beast::error_code ec) {
  req_ = {};
  if (ec) return LogDebug("ingest accept: " + ec.message());
  if (ctx_.shutting_down.load()) return CloseWhenAnswered(websocket::close_code::going_away);
  DoRead();
}

void IngestSession::DoRead() {
  if (reading_ || closing_ || close_owed_) return;
  if (unanswered_ + outbox_.size() >= kMaxPending) return;  // resumed by OnWrite
  reading_ = true;
  // The message is read a part at a time, never more than one byte past
  // --max-frame-bytes: that byte says it is too big, and the read itself
  // never fails for it (Beast would then refuse every write, the answers
  // still owed included).
  const size_t room = ctx_.options.max_frame_bytes + 1 - buffer_.size();
  ws_.async_read_some(buffer_, room, beast::bind_front_handler(&IngestSession::OnRead, shared_from_this()));
}

void IngestSession::OnRead(beast::error_code ec, size_t) {
  reading_ = false;
  if (ec) {
    // Closed by the peer, timed out, or refused by Beast itself: bad UTF-8
    // (1007), protocol errors (1002) — it sent the close.
    if (ec != websocket::error::closed) LogDebug("ingest read: " + ec.message());
    closing_ = true;
    return;
  }
  if (closing_) {
    // Read after our close frame was sent (a read was under way when the
    // shutdown came): it could not be answered — nothing but the close may
    // follow a close (RFC 6455) — so it is not applied either. The client,
    // holding no ack, sends it again.
    buffer_.consume(buffer_.size());
    return;
  }
  if (buffer_.size() > ctx_.options.max_frame_bytes) {
    buffer_.consume(buffer_.size());
    return CloseWhenAnswered(websocket::close_code::too_big);  // 1009; the close reads the rest
  }
  if (!ws_.is_message_done()) return DoRead();
  if (!ws_.got_text()) {
    buffer_.consume(buffer_.size());
    return CloseWhenAnswered(websocket::close_code::unknown_data);  // 1003: text frames only
  }
  auto frame = std::make_unique<IngestFrame>();
  frame->received = std::chrono::steady_clock::now();
  frame->recv_ms = ctx_.now_ms();
  ++frames_;
  auto data = buffer_.cdata();
  std::string_view text(static_cast<const char*>(data.data()), data.size());
  Status s = ThreadEventParser(ctx_.options).Parse(text, frame->recv_ms, &frame->parsed);
  buffer_.consume(buffer_.size());
  frame->batch_json =
      frame->parsed.batch_json.empty() ? std::to_string(frames_) : frame->parsed.batch_json;
  if (!s.ok()) {
    frame->error = s.message();
    frame->parsed.Clear();
  }
  frame->respond = [self = shared_from_this()](std::string answer, bool) {
    net::post(self->ws_.get_executor(),
              [self, answer = std::move(answer)]() mutable { self->OnAnswer(std::move(answer)); });
  };
  ++unanswered_;
  if (!ctx_.writer.Submit(std::move(frame))) {
    --unanswered_;
    return CloseWhenAnswered(websocket::close_code::going_away);
  }
  DoRead();
}

void IngestSession::OnAnswer(std::string answer) {
  --unanswered_;
  outbox_.push_back(std::move(answer));
  DoWrite();
}

void IngestSession::DoWrite() {
  if (writing_ || closing_ || outbox_.empty()) return;
  writing_ = true;
  ws_.text(true);
  ws_.async_write(net::buffer(outbox_.front()),
                  beast::bind_front_handler(&IngestSession::OnWrite, shared_from_this()));
}

void IngestSession::OnWrite(beast::error_code ec, size_t) {
  writing_ = false;
  outbox_.pop_front();
  if (ec) {
    LogDebug("ingest write: " + ec.message());
    closing_ = true;
    outbox_.clear();
    return;
  }
  DoWrite();
  DoRead();
  MaybeClose();
}

void IngestSession::BeginShutdown() {
  net::post(ws_.get_executor(), [self = shared_from_this()] {
    self->CloseWhenAnswered(websocket::close_code::going_away);
  });
}

void IngestSession::CloseWhenAnswered(websocket::close_code code) {
  if (!close_owed_) close_owed_ = code;  // the first reason is the one given
  MaybeClose();
}

void IngestSession::MaybeClose() {
  if (!close_owed_ || closing_ || unanswered_ > 0 || !outbox_.empty() || writing_) return;
  closing_ = true;
  ws_.async_close(*close_owed_, [self = shared_from_this()](beast::error_code) {});
}

}  // namespace bangdan
