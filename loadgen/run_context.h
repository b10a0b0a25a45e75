// RunContext: what every connection of one run shares, and the per-thread
// tallies they write into.
//
// Thread safety: RunContext is read-only after the run starts, except for the
// atomics. Each I/O thread owns one ThreadStats; its counters are atomics so
// the progress line can read them, and the rest sits behind `mu` because the
// progress line also swaps out the interval histogram.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "histogram.h"
#include "options.h"
#include "pacing.h"
#include "workload.h"

namespace bangdan::loadgen {

class RedisFrames;

inline int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch()).count();
}

// What one acked frame tells: its last accepted event's seq and how many it
// accepted. Kept for --verify and for mapping pushes to send times.
struct FrameRecord {
  uint64_t seq;
  uint64_t k;         // frame number on its connection, from 0
  int64_t send_ns;
  int64_t origin_ns;  // what its latencies count from: when it was due (pacing.h)
  uint32_t conn;
  uint32_t accepted;
};

// A totals push that first showed events up to `first_new_seq` and beyond.
struct PushObservation {
  int64_t recv_ns;
  uint64_t first_new_seq;
};

struct RejectedSlot {
  uint32_t conn;
  uint64_t k;
  uint32_t index;
};

struct ThreadStats {
  std::atomic<uint64_t> frames_sent{0}, events_sent{0}, acks{0}, accepted{0}, duplicates{0},
      rejected{0}, errors{0}, ack_mismatches{0}, pushes{0};
  // Frames the server answered, with an ack or an error: what was sent and
  // never answered is an error of the run (Report::unanswered).
  std::atomic<uint64_t> answers{0};
  std::atomic<int64_t> last_send_ns{0};  // the latest send of this thread's connections
  // Paced frames sent late (pacing.h, Classify): held by the connection
  // (window full, write not done) or by the generator's own thread.
  std::atomic<uint64_t> frames_late_held{0}, frames_late_generator{0};

  std::mutex mu;  // guards everything below
  Histogram ack_latency;           // whole timed phase, from when each frame was due
  Histogram ack_latency_from_send;  // the same from each frame's actual send
  Histogram ack_latency_interval;  // since the last progress line
  std::vector<FrameRecord> frames;
  std::vector<RejectedSlot> rejected_slots;
  std::vector<PushObservation> push_observations;
  std::vector<std::string> problems;  // first few, for the report

  void Problem(std::string text) {
    std::lock_guard<std::mutex> lock(mu);
    if (problems.size() < 20) problems.push_back(std::move(text));
  }
};

inline void CountLateness(ThreadStats& stats, Pacing::Lateness late) {
  if (late == Pacing::Lateness::kHeld) stats.frames_late_held.fetch_add(1, std::memory_order_relaxed);
  if (late == Pacing::Lateness::kGenerator) stats.frames_late_generator.fetch_add(1, std::memory_order_relaxed);
}

struct RunContext {
  const Options* options = nullptr;
  const FramePool* pool = nullptr;
  const RedisFrames* redis = nullptr;  // --target redis only
  std::string host;
  uint16_t port = 0;
  bool keep_frames = false;          // --verify or --subscribers: keep FrameRecords
  double frame_interval_ns = 0;      // per connection, from --rate; 0: no pacing (pacing.h)
  std::atomic<int64_t> start_ns{0};  // when sending began
  // --duration's end: no frame due at or after it is sent. A paced
  // connection waiting for its next frame checks it, so that it does not
  // sleep past the end; stop_sending tells the others (and an interrupt).
  std::atomic<int64_t> deadline_ns{INT64_MAX};
  std::atomic<bool> stop_sending{false};
  std::atomic<uint32_t> ingest_done{0};       // connections that finished (acked all or failed)
  std::atomic<uint32_t> subscribers_ready{0}; // got their first view
  std::atomic<uint32_t> subscribers_failed{0};  // failed or refused before their first view
  std::atomic<bool> sending{false};           // pushes count only while events flow
  std::atomic<bool> stop_subscribers{false};  // subscribers close at their next message
};

}  // namespace bangdan::loadgen
