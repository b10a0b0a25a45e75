// Progress: the line a run prints on stderr once a second (--progress-interval)
// through every phase that takes time — dashboards subscribing, events
// flowing, the acks awaited after sending stops, the dashboards' last pushes,
// --verify — so that a long setup or check never looks like a hang.
//
// One Progress owns the clock, the cadence and the stream. Each phase ticks
// it from the loop it already waits in, with a function that formats its own
// figures; the function runs only when a line is due, since reading some
// figures has effects (the sending line takes the interval's histograms).
// Every line ends in a newline, terminal or not: a log keeps each one.
//
// Thread safety: one thread ticks (the run's own). Figures that I/O threads
// update are atomics, in RunContext and ThreadStats.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>

namespace bangdan::loadgen {

class Progress {
 public:
  // `out` null: no lines at all (--no-progress).
  Progress(std::FILE* out, double interval_s);

  // The lines' clock counts from `origin_ns` (NowNs), the first line one
  // interval after it: the dashboards' phase has its own clock, the run's
  // starts with the first send and goes on through verification.
  void Restart(int64_t origin_ns);

  // Prints "[  12.0s] " + line() if a line is due. A phase that held the
  // thread past several intervals gets one line, not a burst.
  void Tick(const std::function<std::string()>& line);

 private:
  std::FILE* out_;
  int64_t interval_ns_;
  int64_t origin_ns_ = 0, next_ns_ = 0;
};

// The phases' lines, without the clock.
std::string SendingLine(double accepted_per_s, uint64_t acks, double p99_ms, uint64_t pushes, uint64_t errors);
std::string DashboardsLine(uint32_t subscribed, uint32_t failed, uint32_t subscribers);
std::string AwaitingAcksLine(uint64_t unanswered, uint64_t acks, uint64_t errors);
std::string LastPushesLine(uint64_t pushes);
// Before anything is sent, every frame is built (--pool): seconds for
// millions of events, so a large pool says what it is doing, once before
// and once after.
std::string PoolBuildingLine(uint64_t events);
std::string PoolBuiltLine(uint64_t events, double seconds);

// How far --verify has got: it rebuilds the expected boards from the acked
// frames, then fetches and compares the server's boards one by one.
struct VerifyProgress {
  uint64_t frames_applied = 0, frames = 0;
  uint64_t boards_compared = 0, boards = 0;
  uint64_t differences = 0;
};
std::string VerifyLine(const VerifyProgress& p);

}  // namespace bangdan::loadgen
