// Report: the final figures of a run, as text for people and JSON (--report)
// for scripts.
#pragma once

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

  double accepted_per_s() const { return elapsed_s > 0 ? accepted / elapsed_s : 0; }
  bool paced() const { return rate_target > 0; }
  // accepted_per_s() / --rate; 0 without a rate. Below kRateReachedWell the
  // connections' windows held frames back: those were sent late, and the
  // wait is in the latencies (they count from when frames were due).
  double rate_reached() const { return rate_target > 0 ? accepted_per_s() / rate_target : 0; }
  static constexpr double kRateReachedWell = 0.95;
  bool rate_fell_short() const { return rate_target > 0 && rate_reached() < kRateReachedWell; }
  bool ok() const { return errors == 0 && ack_mismatches == 0 && (!verified || verify.ok); }
};

std::string FormatText(const Report& r);
std::string FormatJson(const Report& r);
Status WriteFile(const std::string& path, const std::string& text);

}  // namespace bangdan::loadgen
