// Report: the final figures of a run, as text for people and JSON (--report)
// for scripts.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "bangdan/status.h"
#include "histogram.h"
#include "verifier.h"

namespace bangdan::loadgen {

struct Report {
  std::string target = "bangdan";
  // Setup.
  uint32_t connections = 0, batch = 0, threads = 0;
  uint64_t rate_target = 0;
  uint64_t pool_events = 0;
  double pool_build_s = 0;
  // Ingest.
  double elapsed_s = 0;  // first send to last ack
  uint64_t frames_sent = 0, events_sent = 0, acks = 0, accepted = 0, duplicates = 0, rejected = 0;
  uint64_t errors = 0, ack_mismatches = 0;
  uint64_t unanswered = 0;  // frames sent that got neither an ack nor an error
  // Paced runs: when the last frame went, and the time between two frames
  // of the whole run (--batch / --rate), for rate_reached().
  double last_send_s = 0, frame_interval_s = 0;
  // Paced frames sent ≥ 1 ms after they were due: held by their connection
  // (window full or a write not done: the server's pace) or by the generator.
  uint64_t frames_late_held = 0, frames_late_generator = 0;
  // Latencies count from when each frame was due under --rate (pacing.h:
  // what a producer that does not wait would see), or from its send when
  // unpaced; *_from_send always from the send.
  Histogram ack_latency;  // ns
  Histogram ack_latency_from_send;
  double cpu_user_s = 0, cpu_sys_s = 0;  // this process, timed phase
  // Dashboards.
  uint32_t subscribers = 0, views = 0, subscribers_ready = 0, starved = 0, subscriber_errors = 0;
  uint64_t updates_min = 0, updates_max = 0;
  double updates_avg = 0;
  Histogram push_latency;  // ns
  Histogram push_latency_from_send;
  uint64_t push_samples_unmatched = 0;
  // Verification.
  bool verified = false;
  VerifyResult verify;
  std::vector<std::string> problems;

  // Over the run's time, which for a paced run is at least its frames'
  // turns: 5 frames of one a second take 5 s though the last ack came at 4.
  double accepted_per_s() const {
    const double span = std::max(elapsed_s, turns_s());
    return span > 0 ? accepted / span : 0;
  }
  bool paced() const { return rate_target > 0; }
  // The rate events were sent at (retries included: --rate paces sends)
  // over --rate; 0 without a rate. N frames on time occupy N turns of
  // frame_interval_s, the last beginning at last_send_s. Below
  // kRateReachedWell frames went late — held back by the connections'
  // windows or by the generator — and the wait is in the latencies (they
  // count from when frames were due).
  double rate_reached() const {
    return rate_target > 0 && turns_s() > 0 ? events_sent / turns_s() / rate_target : 0;
  }
  // The frames' turns up to the end of the last one sent; unpaced, the last send.
  double turns_s() const { return last_send_s + frame_interval_s; }
  static constexpr double kRateReachedWell = 0.95;
  bool rate_fell_short() const { return rate_target > 0 && rate_reached() < kRateReachedWell; }
  // A run fails on any error, ack that differs from what was sent, frame
  // never answered, dashboard that failed, or verify difference; and if it
  // sent nothing at all.
  bool ok() const {
    return errors == 0 && ack_mismatches == 0 && unanswered == 0 && frames_sent > 0 &&
           subscriber_errors == 0 && (!verified || verify.ok);
  }
};

std::string FormatText(const Report& r);
std::string FormatJson(const Report& r);
Status WriteFile(const std::string& path, const std::string& text);

}  // namespace bangdan::loadgen
