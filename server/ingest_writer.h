// IngestWriter: the single thread that feeds the engine.
//
// I/O threads parse and validate frames and Submit them; the writer takes
// every frame waiting (from all connections), admits their events under the
// engine lock, hands the group to the Journal, and when the group is durable
// applies it under the lock and answers each frame — in submission order, so
// that a connection's acks come in the order of its frames. While one group
// is being committed, the next is admitted; once it is durable, the next goes
// to the journal before it is applied, so that the disk and the engine work
// at the same time.
//
// Thread safety: Submit may be called from any thread; `respond` callbacks run
// on the writer thread (or the journal's) and must only post work elsewhere.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bangdan/engine.h"
#include "bangdan/event_parser.h"
#include "journal.h"
#include "metrics.h"

namespace bangdan {

struct IngestFrame {
  ParsedFrame parsed;
  // The `batch` value to echo, as JSON: the client's, or the frame number.
  std::string batch_json;
  // Non-empty: the frame was refused before the engine (bad JSON or shape,
  // too many events); it is answered with this error, in its turn.
  std::string error;
  int64_t recv_ms = 0;
  std::chrono::steady_clock::time_point received;
  // Receives the answer: an ack or an error object; `ok` is false for errors.
  std::function<void(std::string answer, bool ok)> respond;
};

class IngestWriter {
 public:
  IngestWriter(Engine& engine, std::mutex& engine_mu, Journal& journal, ServerMetrics& metrics);
  ~IngestWriter();  // Stop()s
  IngestWriter(const IngestWriter&) = delete;
  IngestWriter& operator=(const IngestWriter&) = delete;

  void Start();
  // Answers every frame already submitted, then ends the thread.
  void Stop();

  // False once Stop() has begun: the frame was not taken.
  bool Submit(std::unique_ptr<IngestFrame> frame);

  // Frames waiting for the writer (the engine queue depth).
  size_t queued() const;

 private:
  struct Group;

  void Run();
  void Admit(Group* g);
  void Finish(Group* g, const Status& durable, Group* next);

  Engine& engine_;
  std::mutex& engine_mu_;
  Journal& journal_;
  ServerMetrics& metrics_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<IngestFrame>> queue_;
  bool stopping_ = false;
  bool exited_ = false;  // the thread has ended: Submit refuses
  bool commit_done_ = false;
  // The writer sleeps with nothing admitted: a new frame must wake it.
  bool writer_wants_frames_ = false;
  Status commit_status_;
  std::thread thread_;
};

// The ack of SPEC §3 for a frame whose accepted events are durable.
std::string FormatAck(std::string_view batch_json, uint32_t accepted, uint32_t duplicates,
                      const std::vector<Rejection>& rejected, uint64_t seq);
// {"type":"error","batch":…,"error":"…"}.
std::string FormatIngestError(std::string_view batch_json, std::string_view error);

}  // namespace bangdan
