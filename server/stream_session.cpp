// StreamSession and PushQueue: see stream_session.h for the contract.
#include "stream_session.h"

#include <array>
#include <utility>

#include <boost/asio/buffer.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "handshake.h"

namespace bangdan {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

// ---- PushQueue ----

namespace {

// What a pending frame holds: the body in full (it may be shared, but it is
// kept alive for this subscriber) plus the prefix it will get.
size_t HeldBytes(const PushQueue::Subscription& s) {
  return (s.body ? s.body->size() : 0) + s.sub.size() + 32;
}

}  // namespace

const PushQueue::Subscription* PushQueue::Find(const std::string& sub) const {
  auto it = by_name_.find(sub);
  return it == by_name_.end() ? nullptr : &it->second;
}

const PushQueue::Subscription* PushQueue::FindById(uint64_t id) const { return LookUp(id); }

PushQueue::Subscription* PushQueue::LookUp(uint64_t id) const {
  for (const auto& [sub_id, s] : by_id_) {
    if (sub_id == id) return s;
  }
  return nullptr;
}

void PushQueue::Ready(Subscription& s) {
  s.ready_prev = ready_tail_;
  s.ready_next = nullptr;
  (ready_tail_ ? ready_tail_->ready_next : ready_head_) = &s;
  ready_tail_ = &s;
  ++ready_count_;
}

void PushQueue::Unready(Subscription& s) {
  (s.ready_prev ? s.ready_prev->ready_next : ready_head_) = s.ready_next;
  (s.ready_next ? s.ready_next->ready_prev : ready_tail_) = s.ready_prev;
  s.ready_prev = s.ready_next = nullptr;
  --ready_count_;
}

void PushQueue::Add(const std::string& sub, uint64_t id, std::string canonical,
                    ViewSpec::Kind kind, const PushDelivery& snapshot) {
  Subscription& s = by_name_[sub];
  s.sub = sub;
  s.id = id;
  s.canonical = std::move(canonical);
  s.kind = kind;
  by_id_.emplace_back(id, &s);
  Offer(snapshot);
}

std::optional<PushQueue::Subscription> PushQueue::Remove(const std::string& sub) {
  auto it = by_name_.find(sub);
  if (it == by_name_.end()) return std::nullopt;
  Subscription& s = it->second;
  if (s.has_pending) {
    Unready(s);
    pending_bytes_ -= HeldBytes(s);
  }
  for (auto& entry : by_id_) {
    if (entry.first == s.id) {
      entry = by_id_.back();
      by_id_.pop_back();
      break;
    }
  }
  Subscription out = std::move(s);
  out.has_pending = false;
  out.body.reset();
  by_name_.erase(it);
  return out;
}

std::vector<PushQueue::Subscription> PushQueue::RemoveAll() {
  std::vector<Subscription> out;
  out.reserve(by_name_.size());
  for (auto& [name, s] : by_name_) {
    s.has_pending = false;
    s.body.reset();
    s.ready_prev = s.ready_next = nullptr;
    out.push_back(std::move(s));
  }
  by_name_.clear();
  by_id_.clear();
  ready_head_ = ready_tail_ = nullptr;
  ready_count_ = 0;
  control_.clear();
  pending_bytes_ = 0;
  return out;
}

PushQueue::Offered PushQueue::Offer(const PushDelivery& d) {
  Subscription* found = LookUp(d.sub_id);
  if (found == nullptr) return Offered::kStale;  // unsubscribed meanwhile
  Subscription& s = *found;
  if (d.version <= s.version) return Offered::kStale;
  // A client must see a snapshot before any update: an update cannot replace
  // an unsent snapshot (its prev_ranks refer to a version never shown).
  if (!d.snapshot && s.has_pending && s.pending_snapshot) return Offered::kNeedsSnapshot;
  const bool replaced = s.has_pending;
  if (replaced) {
    pending_bytes_ -= HeldBytes(s);
  } else {
    Ready(s);
  }
  s.has_pending = true;
  s.pending_snapshot = d.snapshot;
  s.body = d.body;
  s.version = d.version;
  pending_bytes_ += HeldBytes(s);
  return replaced ? Offered::kReplaced : Offered::kQueued;
}

void PushQueue::PushControl(std::string message) {
  pending_bytes_ += message.size();
  control_.push_back(std::move(message));
}

bool PushQueue::Pop(OutFrame* out) {
  // Error replies first: they answer the client's latest requests.
  if (!control_.empty()) {
    pending_bytes_ -= control_.front().size();
    out->prefix = std::move(control_.front());
    out->body.reset();
    control_.pop_front();
    return true;
  }
  if (ready_head_ == nullptr) return false;
  Subscription& s = *ready_head_;
  Unready(s);
  pending_bytes_ -= HeldBytes(s);
  out->prefix = FramePrefix(s.pending_snapshot, s.sub);
  out->body = std::move(s.body);
  s.has_pending = false;
  return true;
}

// ---- StreamSession ----

namespace {

// One parser per thread, reused (a handler runs start to end on one thread).
StreamRequestParser& ParserForThisThread(uint32_t max_depth) {
  thread_local std::unique_ptr<StreamRequestParser> parser;
  thread_local uint32_t depth = 0;
  if (!parser || depth != max_depth) {
    parser = std::make_unique<StreamRequestParser>(max_depth);
    depth = max_depth;
  }
  return *parser;
}

}  // namespace

StreamSession::StreamSession(std::shared_ptr<StreamRegistry> hub, net::io_context& lane,
                             LaneSocket socket)
    : hub_(std::move(hub)), lane_(lane), ws_(std::move(socket)),
      send_timer_(ws_.get_executor()) {}

StreamSession::~StreamSession() { hub_->Disconnected(this); }

void StreamSession::Run(beast::http::request<beast::http::string_body> req) {
  req_ = std::move(req);
  net::dispatch(ws_.get_executor(), [self = shared_from_this()] {
    const StreamOptions& o = self->hub_->options();
    auto timeout = websocket::stream_base::timeout::suggested(beast::role_type::server);
    timeout.idle_timeout = 2 * std::chrono::duration_cast<std::chrono::seconds>(o.idle_ping);
    timeout.keep_alive_pings = true;
    self->ws_.set_option(timeout);
    // Compression would cost CPU per subscriber and break the sharing of bodies.
    websocket::permessage_deflate pmd;
    pmd.server_enable = false;
    pmd.client_enable = false;
    self->ws_.set_option(pmd);
    self->ws_.read_message_max(o.max_frame_bytes);
    // One frame per message: the prefix and body go out in one gather write.
    self->ws_.auto_fragment(false);
    self->ws_.set_option(websocket::stream_base::decorator(&DecorateHandshake));
    self->ws_.async_accept(self->req_, beast::bind_front_handler(&StreamSession::OnAccept, self));
  });
}

void StreamSession::OnAccept(beast::error_code ec) {
  req_ = {};
  if (ec) return Finish();
  accepted_ = true;
  if (closing_) return CloseWith(websocket::close_code::going_away);
  DoRead();
  MaybeWrite();
}

void StreamSession::DoRead() {
  ws_.async_read(buffer_, beast::bind_front_handler(&StreamSession::OnRead, shared_from_this()));
}

void StreamSession::OnRead(beast::error_code ec, size_t) {
  // Errors include the client's close, and the limits Beast enforces itself
  // by closing first: a message over read_message_max (1009) and a text
  // message that is not UTF-8 (1007).
  if (ec) return Finish();
  if (!ws_.got_text()) {
    buffer_.consume(buffer_.size());
    return CloseWith(websocket::close_code::unknown_data);  // 1003
  }
  const auto data = buffer_.cdata();
  Handle(std::string_view(static_cast<const char*>(data.data()), data.size()));
  buffer_.consume(buffer_.size());
  MaybeWrite();
  if (closing_ || finished_) return;
  if (queue_.control_full()) {
    read_paused_ = true;  // resumed by OnWrite once replies drain
    return;
  }
  DoRead();
}

void StreamSession::Handle(std::string_view text) {
  const StreamOptions& o = hub_->options();
  StreamRequest req;
  std::optional<std::string> sub;
  Status s = ParserForThisThread(o.max_depth).Parse(text, &req, &sub);
  if (!s.ok()) return queue_.PushControl(StreamErrorMessage(sub, s.message()));
  if (req.op == StreamRequest::Op::kUnsubscribe) {
    std::optional<PushQueue::Subscription> old = queue_.Remove(req.sub);
    if (old) {
      hub_->Unsubscribe(old->id, old->canonical);
    } else {
      queue_.PushControl(StreamErrorMessage(req.sub, "sub: no subscription '" + req.sub + "'"));
    }
    PublishStats();
    return;
  }
  // A subscribe with a `sub` in use replaces that subscription once the new
  // one is taken: refused, the old one goes on.
  const PushQueue::Subscription* old = queue_.Find(req.sub);
  if (old == nullptr && queue_.subscriptions() >= o.max_subscriptions) {
    return queue_.PushControl(StreamErrorMessage(
        req.sub, "sub: at most " + std::to_string(o.max_subscriptions) +
                     " subscriptions per connection"));
  }
  const uint64_t id = hub_->NewSubId();
  std::string canonical = req.spec.CanonicalKey();
  std::optional<StreamRegistry::Replaced> replaced;
  if (old != nullptr) replaced = StreamRegistry::Replaced{old->id, &old->canonical};
  std::optional<PushDelivery> snapshot = hub_->Subscribe(weak_from_this(), id, req.spec, canonical, replaced);
  if (!snapshot) {
    PublishStats();
    return queue_.PushControl(StreamErrorMessage(
        req.sub, "sub: the server already watches " + std::to_string(o.max_views) +
                     " distinct views (--max-views); a view already watched can still be subscribed"));
  }
  if (old != nullptr) queue_.Remove(req.sub);  // the hub let it go; its unsent frame goes too
  queue_.Add(req.sub, id, std::move(canonical), req.spec.kind, *snapshot);
  PublishStats();
}

uint64_t StreamSession::Take(const PushDelivery& d) {
  if (finished_) return 0;
  PushQueue::Offered r = queue_.Offer(d);
  if (r == PushQueue::Offered::kNeedsSnapshot) {
    const PushQueue::Subscription* s = queue_.FindById(d.sub_id);
    r = queue_.Offer(hub_->Resnapshot(d.sub_id, s->canonical));
  }
  MaybeWrite();
  return r == PushQueue::Offered::kReplaced ? 1 : 0;
}

void StreamSession::MaybeWrite() {
  if (!accepted_ || write_in_flight_ || closing_ || finished_) return PublishStats();
  if (!queue_.Pop(&writing_)) return PublishStats();
  write_in_flight_ = true;
  write_start_ = std::chrono::steady_clock::now();
  ArmSendTimer();
  PublishStats();
  std::array<net::const_buffer, 2> buffers{
      net::buffer(writing_.prefix),
      writing_.body ? net::buffer(*writing_.body) : net::const_buffer()};
  ws_.async_write(buffers, beast::bind_front_handler(&StreamSession::OnWrite, shared_from_this()));
}

void StreamSession::OnWrite(beast::error_code ec, size_t) {
  write_in_flight_ = false;
  writing_ = {};
  if (ec) return Finish();
  hub_->CountFrames(1, 0);
  MaybeWrite();
  // Error replies only drain through writes: this is where reading resumes.
  if (read_paused_ && !queue_.control_full() && !closing_ && !finished_) {
    read_paused_ = false;
    DoRead();
  }
}

// One timer per connection, armed only while something is being sent, for
// the moment the current write (or the close) would become overdue.
void StreamSession::ArmSendTimer() {
  if (timer_armed_) return;
  timer_armed_ = true;
  send_timer_.expires_at(write_start_ + hub_->options().send_timeout);
  send_timer_.async_wait(
      beast::bind_front_handler(&StreamSession::OnSendTimer, shared_from_this()));
}

void StreamSession::OnSendTimer(beast::error_code) {
  timer_armed_ = false;
  if (finished_ || (!write_in_flight_ && !closing_)) return;
  const auto deadline = write_start_ + hub_->options().send_timeout;
  if (std::chrono::steady_clock::now() >= deadline) {
    // The client took nothing for send_timeout: cut the TCP connection; the
    // pending operations then fail and Finish() cleans up.
    hub_->CountSlowClose();
    beast::get_lowest_layer(ws_).close();
    return;
  }
  ArmSendTimer();
}

void StreamSession::Close() {
  net::post(ws_.get_executor(), [self = shared_from_this()] {
    if (self->finished_ || self->closing_) return;
    if (!self->accepted_) {
      self->closing_ = true;  // OnAccept closes once the handshake is done
      return;
    }
    self->CloseWith(websocket::close_code::going_away);
  });
}

void StreamSession::CloseWith(websocket::close_code code) {
  closing_ = true;
  if (!write_in_flight_) write_start_ = std::chrono::steady_clock::now();
  ArmSendTimer();
  ws_.async_close(code, [self = shared_from_this()](beast::error_code) { self->Finish(); });
}

void StreamSession::Finish() {
  if (finished_) return;
  finished_ = true;
  for (const PushQueue::Subscription& s : queue_.RemoveAll()) {
    hub_->Unsubscribe(s.id, s.canonical);
  }
  send_timer_.cancel();
  beast::get_lowest_layer(ws_).close();
  hub_->Disconnected(this);
  PublishStats();
}

void StreamSession::PublishStats() {
  stat_subscriptions_.store(queue_.subscriptions(), std::memory_order_relaxed);
  stat_pending_frames_.store(queue_.pending_frames(), std::memory_order_relaxed);
  stat_pending_bytes_.store(queue_.pending_bytes(), std::memory_order_relaxed);
  stat_writing_.store(write_in_flight_, std::memory_order_relaxed);
}

StreamConnectionStats StreamSession::Stats() const {
  StreamConnectionStats s;
  s.subscriptions = stat_subscriptions_.load(std::memory_order_relaxed);
  s.pending_frames = stat_pending_frames_.load(std::memory_order_relaxed);
  s.pending_bytes = stat_pending_bytes_.load(std::memory_order_relaxed);
  s.write_in_flight = stat_writing_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace bangdan
