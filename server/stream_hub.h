// StreamHub: live push over WebSocket /v1/stream (SPEC §5).
//
// Every connection (a StreamSession) holds up to max_subscriptions
// subscriptions, each naming a view (ViewSpec). Subscriptions with equal
// views share one LiveView, whatever connection they come from. Once per
// push interval the hub refreshes every view under the engine lock, then,
// outside it, serializes each view that changed once into a
// shared_ptr<const std::string> and hands that same buffer to every
// subscriber; a subscriber only adds its own small prefix
// ({"type":"update","sub":"s1",) and sends both as one message.
//
// Slow clients cost bounded memory: a connection has at most one write in
// flight and keeps, per subscription, only the newest unsent frame (an older
// one is replaced and counted as skipped). A connection whose write has made
// no progress for send_timeout is closed.
//
// Lanes: the stream connections are spread over a few io_contexts, each run
// by exactly one thread (a lane), and a connection's handlers all run on its
// lane's thread, so no connection needs a strand; a tick makes one post per
// lane, not one per connection.
//
// Thread safety: all public methods may be called from any thread. The tick
// runs on a strand of the first lane. Lock order:
// the hub's mutex, then the engine mutex (the engine writer holds only the
// latter). So: never call the hub while holding the engine mutex.
//
// Lifetime: the hub must outlive the lanes' run() (sessions hold a
// reference to it); call Stop() before destroying it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "bangdan/engine.h"

namespace bangdan {

struct StreamOptions {
  std::chrono::milliseconds push_interval{100};  // --push-interval
  std::chrono::milliseconds send_timeout{30000}; // --send-timeout
  uint32_t max_subscriptions = 128;              // per connection
  // Distinct views over all connections: each is refreshed every interval,
  // so their number, not the subscribers', sets what a tick costs.
  uint32_t max_views = 10'000;
  size_t max_frame_bytes = 4 << 20;              // a bigger client message: close 1009
  // A connection that received nothing for this long gets a ping; one that
  // then stays silent for as long again is closed.
  std::chrono::seconds idle_ping{15};
  uint32_t max_depth = 64;                       // JSON nesting of client messages
  // The wall clock (UTC epoch ms) that resolves the "day" window. Empty: the
  // system clock. Tests pin it.
  std::function<int64_t()> now_ms;
};

// What one connection holds right now, for tests and diagnostics.
struct StreamConnectionStats {
  size_t subscriptions = 0;
  size_t pending_frames = 0;  // unsent frames (≤ one per subscription), errors included
  size_t pending_bytes = 0;   // their size, prefix and shared body counted in full
  bool write_in_flight = false;
};

class StreamSession;
class StreamSink;
struct ViewSpec;

class StreamHub {
 public:
  // `engine` and `engine_mu` must outlive the hub; every engine call the hub
  // makes holds engine_mu. REQUIRES: at least one lane; each lane is run by
  // exactly one thread (a sink's handlers rely on it) and outlives the hub.
  StreamHub(std::vector<boost::asio::io_context*> lanes, Engine& engine, std::mutex& engine_mu,
            StreamOptions opts);
  ~StreamHub();
  StreamHub(const StreamHub&) = delete;
  StreamHub& operator=(const StreamHub&) = delete;

  void Start();  // starts the push timer
  void Stop();   // stops the timer and closes every stream connection (close 1001)

  // Takes over an upgrade request for /v1/stream (auth already checked): does
  // the WebSocket accept and runs the session until the connection ends.
  void Accept(boost::beast::tcp_stream stream,
              boost::beast::http::request<boost::beast::http::string_body> req);

  // Appends the hub's metrics in Prometheus text format:
  //   bangdan_stream_connections, bangdan_subscriptions{kind="top|around|totals"},
  //   bangdan_stream_views, bangdan_push_frames_sent_total,
  //   bangdan_push_frames_skipped_total (replaced before they were sent),
  //   bangdan_push_serializations_total, bangdan_stream_slow_closes_total.
  void AppendMetrics(std::string* prometheus_text) const;

  size_t connections() const;

  // ---- For tests and benchmarks ----

  // Runs one push interval now (refresh, serialize, hand out), on the
  // calling thread. The timer calls the same.
  void TickNow();
  size_t views() const;                  // distinct live views
  uint64_t serializations() const;       // bodies serialized, snapshots included
  uint64_t frames_sent() const;
  uint64_t frames_skipped() const;
  uint64_t slow_closes() const;
  // Times a tick let the engine lock go between two views it refreshed.
  uint64_t refresh_pauses() const;
  std::vector<StreamConnectionStats> ConnectionStats() const;
  // Subscribes `sink` to `spec` without a connection (benchmarks drive the
  // tick with sinks of their own); the sink's first frame is the snapshot,
  // taken on its lane. Returns the subscription's id, or 0 when a new view
  // would pass max_views.
  uint64_t AttachSink(const std::shared_ptr<StreamSink>& sink, const ViewSpec& spec);

 private:
  friend class StreamSession;
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace bangdan
