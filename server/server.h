// Server: bangdan-server assembled — the engine and its lock, the engine
// writer, the journal seam, the stream hub, the listener and the I/O threads.
//
// Two sets of I/O threads, --threads each: one runs the listener, HTTP,
// ingest and queries; the other only the /v1/stream connections and the push
// tick, as lanes (an io_context per thread: StreamHub). Each push interval
// hands a frame to every subscriber at once — 10,000 handlers for 10,000
// dashboards — and on one shared queue every ack
// of every producer waited behind them (ack p50 ~110 ms, ingest ~35 k
// events/s instead of 200 k: bench/RESULTS.md, "Dashboards on threads of
// their own"). Apart, the kernel shares the cores between the two and a
// producer's frame is read as soon as it arrives.
//
// Start-up: construct, optionally SetJournal / SetSnapshotHandler /
// SetMetricsSource and restore
// the engine's state (engine(), before Start), then Start(). Shutdown() is the
// graceful stop of SIGTERM: stop accepting, answer every frame already read,
// close the connections, stop the threads. It waits up to 10 s for the
// connections' close handshakes; StopDraining() (a second signal) ends the
// wait at once.
//
// Thread safety: Start and Shutdown from one controlling thread (not an I/O
// thread); StopDraining from any; engine() only under engine_mu() once
// started.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "bangdan/engine.h"
#include "journal.h"
#include "metrics.h"
#include "options.h"
#include "server_context.h"

namespace bangdan {

class Listener;
class StreamHub;

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();  // Shutdown()s
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Before Start. `journal` must outlive the server. Default: NullJournal.
  void SetJournal(Journal* journal);
  // Before Start. Default: POST /v1/admin/snapshot answers 503.
  void SetSnapshotHandler(SnapshotHandler handler);
  // Before Start. Appends more series to GET /metrics (bangdan-server: the
  // log's and the snapshots'); called on an I/O thread while the server runs.
  void SetMetricsSource(std::function<void(std::string*)> append);
  // Before Start. The wall clock (UTC epoch ms); tests pin it.
  void SetClock(std::function<int64_t()> now_ms);
  // Before Start. How long an HTTP client may take to send a request or to
  // take a part of an answer (default 30 s); tests shorten it.
  void SetHttpTimeout(std::chrono::milliseconds timeout) { http_timeout_ = timeout; }

  // Binds, starts the writer, the hub and the I/O threads, and logs
  // "listening on HOST:PORT". IOError naming the address if it cannot bind.
  Status Start();
  uint16_t port() const { return port_; }
  void Shutdown();
  // Shutdown (running or to come) stops waiting for connections to finish:
  // it goes on as after its 10 s, and those left are dropped, their close
  // handshakes unfinished (their sockets close with the Server). Any thread.
  void StopDraining() { stop_draining_ = true; }

  // How many descriptors the server may hold at once at --max-connections:
  // one per connection, and its own besides (the listener, the log, a
  // snapshot, each io_context's epoll).
  uint64_t descriptors_needed() const;

  Engine& engine() { return engine_; }
  std::mutex& engine_mu() { return engine_mu_; }
  const ServerMetrics& metrics() const { return metrics_; }
  // The io_contexts of the /v1/stream connections, one per stream thread
  // (tests hold them up to show that ingest does not wait for them).
  const std::vector<std::unique_ptr<boost::asio::io_context>>& stream_lanes() const {
    return lanes_;
  }

 private:
  ServerOptions options_;
  Engine engine_;
  std::mutex engine_mu_;
  NullJournal null_journal_;
  Journal* journal_ = &null_journal_;
  SnapshotHandler snapshot_;
  std::function<void(std::string*)> more_metrics_;
  std::function<int64_t()> now_ms_;
  std::chrono::milliseconds http_timeout_{30'000};
  ServerMetrics metrics_;
  ConnectionRegistry registry_;
  // Declared before ioc_ so that it outlives it: handlers still queued when
  // the io_context is destroyed hold sessions whose destructors use it.
  std::unique_ptr<ServerContext> ctx_;

  boost::asio::io_context ioc_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::vector<std::unique_ptr<boost::asio::io_context>> lanes_;  // the stream hub's: see the top
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> lane_work_;
  std::unique_ptr<IngestWriter> writer_;
  std::unique_ptr<StreamHub> hub_;
  std::shared_ptr<Listener> listener_;
  std::vector<std::thread> threads_;
  std::vector<std::thread> push_threads_;
  uint16_t port_ = 0;
  bool started_ = false;
  bool stopped_ = false;
  std::atomic<bool> stop_draining_{false};
};

// Resolves --threads 0 to the number of cores; EngineOptions from options.
EngineOptions EngineOptionsFrom(const ServerOptions& o);

}  // namespace bangdan
