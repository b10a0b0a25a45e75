// One /v1/stream connection, and the bounded queue of frames it has yet to
// send.
//
// PushQueue is the bookkeeping without the I/O (so that it can be tested and
// benchmarked alone): per subscription at most one unsent frame, the newest;
// a FIFO of the subscriptions that have one, so that a busy view cannot
// starve the others; and a short queue of error replies, which pauses reading
// when full (a client that sends requests but never reads the answers is held
// back by TCP, not by our memory).
//
// StreamSession runs the WebSocket: reads requests, writes one frame at a
// time as a gather write of the subscriber's prefix and the shared body, and
// closes the TCP connection when a write has made no progress for
// send_timeout.
//
// Thread safety: a PushQueue is used by one thread at a time. A
// StreamSession runs on its lane's one thread; Take() is called there, Close()
// and Stats() may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/steady_timer.hpp>
#include <boost/container/small_vector.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "bangdan/live_view.h"
#include "stream_hub.h"
#include "strand_socket.h"
#include "stream_protocol.h"

namespace bangdan {

// A view's body at one version for one subscription.
struct PushDelivery {
  uint64_t sub_id = 0;    // the subscription (ids are never reused)
  bool snapshot = false;  // body has every prev_rank null
  uint64_t version = 0;
  std::shared_ptr<const std::string> body;  // shared by every subscriber of the view
};

// Where the hub's tick hands frames. A sink lives on one lane: an io_context
// that exactly one thread runs. Each tick makes one post per lane, whose
// handler hands every sink of the lane its frames, one Take each.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  virtual boost::asio::io_context& lane() = 0;
  // On lane()'s thread: a frame of the view subscription d.sub_id watches.
  // Returns how many unsent frames it replaced (counted as skipped).
  virtual uint64_t Take(const PushDelivery& d) = 0;
};

// What a session asks of the hub; StreamHub's internals implement it.
class StreamRegistry {
 public:
  virtual ~StreamRegistry() = default;
  virtual const StreamOptions& options() const = 0;
  virtual uint64_t NewSubId() = 0;
  // The subscription a subscribe replaces (the same `sub`): it leaves in
  // the same step, so that a refused subscribe leaves it running.
  struct Replaced {
    uint64_t id = 0;
    const std::string* canonical = nullptr;
  };
  // Joins (or creates) the view of `spec`; returns its snapshot for sub_id.
  // nullopt: refused, as a new view would pass StreamOptions::max_views
  // (the view `replaced` leaves counts as gone); `replaced` then stays.
  virtual std::optional<PushDelivery> Subscribe(std::weak_ptr<StreamSink> sink, uint64_t sub_id,
                                                const ViewSpec& spec, const std::string& canonical,
                                                std::optional<Replaced> replaced = std::nullopt) = 0;
  virtual void Unsubscribe(uint64_t sub_id, const std::string& canonical) = 0;
  // The snapshot of the view's current version (for a subscription whose
  // first snapshot was still unsent when an update came).
  virtual PushDelivery Resnapshot(uint64_t sub_id, const std::string& canonical) = 0;
  virtual void CountFrames(uint64_t sent, uint64_t skipped) = 0;
  virtual void CountSlowClose() = 0;
  virtual void Disconnected(const void* session) = 0;
};

class PushQueue {
 public:
  static constexpr size_t kMaxControl = 16;  // error replies held before reading pauses

  enum class Offered { kQueued, kReplaced, kStale, kNeedsSnapshot };

  struct Subscription {
    std::string sub;
    uint64_t id = 0;
    std::string canonical;
    ViewSpec::Kind kind = ViewSpec::Kind::kTop;
    uint64_t version = 0;  // newest version queued or sent
    bool has_pending = false;
    bool pending_snapshot = false;
    std::shared_ptr<const std::string> body;  // the pending frame's body
    Subscription* ready_prev = nullptr;  // in the ready list, while has_pending
    Subscription* ready_next = nullptr;
  };

  // A frame ready to write; `prefix` is owned, `body` shared.
  struct OutFrame {
    std::string prefix;
    std::shared_ptr<const std::string> body;  // null: prefix is a whole control message
    size_t size() const { return prefix.size() + (body ? body->size() : 0); }
  };

  PushQueue() = default;
  PushQueue(const PushQueue&) = delete;
  PushQueue& operator=(const PushQueue&) = delete;

  const Subscription* Find(const std::string& sub) const;
  const Subscription* FindById(uint64_t id) const;
  size_t subscriptions() const { return by_name_.size(); }

  // Adds `sub` with its snapshot queued. REQUIRES: Find(sub) == nullptr.
  void Add(const std::string& sub, uint64_t id, std::string canonical, ViewSpec::Kind kind,
           const PushDelivery& snapshot);
  // Removes `sub` and its unsent frame; returns it (for unsubscribing at the hub).
  std::optional<Subscription> Remove(const std::string& sub);
  // Every subscription, removed (the connection ends).
  std::vector<Subscription> RemoveAll();

  // A frame from the hub. Older than what is held: kStale (dropped). Replacing
  // an unsent update: kReplaced (count it as skipped). An update while the
  // snapshot is unsent: kNeedsSnapshot — offer a fresh snapshot instead.
  Offered Offer(const PushDelivery& d);

  void PushControl(std::string message);
  bool control_full() const { return control_.size() >= kMaxControl; }

  // Takes the next frame to write; false when nothing is pending.
  bool Pop(OutFrame* out);

  size_t pending_frames() const { return control_.size() + ready_count_; }
  size_t pending_bytes() const { return pending_bytes_; }

 private:
  Subscription* LookUp(uint64_t id) const;
  void Ready(Subscription& s);     // to the back of the ready list
  void Unready(Subscription& s);   // out of it

  std::unordered_map<std::string, Subscription> by_name_;  // element addresses are stable
  // Every push interval a tick offers each of 10,000 connections a frame:
  // the lookup of its subscription and the ready list are kept inside the
  // session (a few subscriptions a connection, searched in order) and
  // intrusive (no allocation a frame), not in a hash map's buckets and
  // nodes and a std::list's — three cache misses an offer, where one is
  // left (the subscription).
  boost::container::small_vector<std::pair<uint64_t, Subscription*>, 2> by_id_;
  // Subscriptions with a pending frame, oldest first.
  Subscription* ready_head_ = nullptr;
  Subscription* ready_tail_ = nullptr;
  size_t ready_count_ = 0;
  std::deque<std::string> control_;
  size_t pending_bytes_ = 0;
};

class StreamSession : public StreamSink, public std::enable_shared_from_this<StreamSession> {
 public:
  // REQUIRES: `lane`, the socket's io_context, is run by exactly one thread.
  StreamSession(std::shared_ptr<StreamRegistry> hub, boost::asio::io_context& lane,
                LaneSocket socket);
  ~StreamSession() override;

  // Accepts the upgrade and runs until the connection ends.
  void Run(boost::beast::http::request<boost::beast::http::string_body> req);
  boost::asio::io_context& lane() override { return lane_; }
  uint64_t Take(const PushDelivery& d) override;
  // Graceful close (1001 going away); the TCP connection is cut if the
  // client does not take the close frame within send_timeout.
  void Close();
  StreamConnectionStats Stats() const;

 private:
  void OnAccept(boost::beast::error_code ec);
  void DoRead();
  void OnRead(boost::beast::error_code ec, size_t bytes);
  void Handle(std::string_view text);
  void MaybeWrite();
  void OnWrite(boost::beast::error_code ec, size_t bytes);
  void ArmSendTimer();
  void OnSendTimer(boost::beast::error_code ec);
  void CloseWith(boost::beast::websocket::close_code code);
  void Finish();
  void PublishStats();

  std::shared_ptr<StreamRegistry> hub_;
  boost::asio::io_context& lane_;
  boost::beast::websocket::stream<LaneSocket> ws_;
  boost::beast::http::request<boost::beast::http::string_body> req_;
  boost::beast::flat_buffer buffer_;
  boost::asio::steady_timer send_timer_;
  PushQueue queue_;
  PushQueue::OutFrame writing_;
  std::chrono::steady_clock::time_point write_start_;
  bool accepted_ = false;
  bool write_in_flight_ = false;
  bool timer_armed_ = false;
  bool read_paused_ = false;
  bool closing_ = false;
  bool finished_ = false;

  // Mirrors of the queue's state for Stats(), which other threads call.
  std::atomic<size_t> stat_subscriptions_{0};
  std::atomic<size_t> stat_pending_frames_{0};
  std::atomic<size_t> stat_pending_bytes_{0};
  std::atomic<bool> stat_writing_{false};
};

}  // namespace bangdan
