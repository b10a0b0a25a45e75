// ServerContext: what every connection of one server shares — options,
// engine and its lock, the engine writer, the stream hub, metrics, and the
// registry of live connections that shutdown walks.
//
// Lifetime: owned by Server, which outlives every session (it joins the I/O
// threads before destroying the context).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "bangdan/engine.h"
#include "bangdan/event_parser.h"
#include "ingest_writer.h"
#include "metrics.h"
#include "options.h"

namespace bangdan {

class StreamHub;

// A connection that shutdown can ask to finish: answer what it took in,
// then close.
class Connection {
 public:
  virtual ~Connection() = default;
  // Called from any thread; the connection posts to its own strand.
  virtual void BeginShutdown() = 0;
};

class ConnectionRegistry {
 public:
  uint64_t Add(std::weak_ptr<Connection> c);
  void Remove(uint64_t id);
  size_t size() const;
  // Asks every live connection to finish.
  void ShutdownAll();

 private:
  mutable std::mutex mu_;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, std::weak_ptr<Connection>> live_;
};

// Work that blocks for long (an admin snapshot's write) runs on a thread of
// its own, so that no I/O thread waits on it. Server::Shutdown calls JoinAll
// while the I/O threads still run, so a task can still post its answer.
class BlockingTasks {
 public:
  ~BlockingTasks() { JoinAll(); }
  void Run(std::function<void()> task);
  void JoinAll();

 private:
  struct Task {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::mutex mu_;
  std::list<Task> tasks_;
};

// Takes a snapshot now: the file name and the sequence it covers.
using SnapshotHandler = std::function<Status(std::string* file, uint64_t* seq)>;

struct ServerContext {
  const ServerOptions& options;
  Engine& engine;
  std::mutex& engine_mu;
  IngestWriter& writer;
  StreamHub& hub;
  ServerMetrics& metrics;
  ConnectionRegistry& registry;
  std::function<int64_t()> now_ms;  // UTC epoch ms
  SnapshotHandler snapshot;         // empty: durability not enabled
  // Appends series of parts outside the server (the log, snapshots) to /metrics.
  std::function<void(std::string*)> more_metrics;
  std::string title_html;           // --title, HTML-escaped
  std::atomic<bool> shutting_down{false};
  std::atomic<uint32_t> csv_downloads{0};  // answered now, at most --max-csv-downloads
  // To send a request, and to take each part of an answer (HttpSession);
  // tests shorten it (Server::SetHttpTimeout).
  std::chrono::milliseconds http_timeout{30'000};
  BlockingTasks blocking{};
};

// This thread's event parser: simdjson's buffers are reused across frames.
EventParser& ThreadEventParser(const ServerOptions& options);

// Wall clock, UTC epoch milliseconds.
int64_t SystemNowMs();

}  // namespace bangdan
