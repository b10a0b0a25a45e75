// Metrics: the server's counters, rendered in the Prometheus text format for
// GET /metrics. Counters are relaxed atomics: exact totals, no ordering
// promises between them.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace bangdan {

// Latency histogram with fixed buckets, integer microseconds inside; the
// bounds are printed in seconds because that is Prometheus' convention.
class LatencyHistogram {
 public:
  static constexpr std::array<uint64_t, 16> kBoundsUs = {
      100, 250, 500, 1'000, 2'500, 5'000, 10'000, 25'000, 50'000, 100'000,
      250'000, 500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000};

  void Record(uint64_t us);
  // Appends the _bucket, _sum and _count lines of metric `name`.
  void Append(std::string* out, const std::string& name) const;

 private:
  std::array<std::atomic<uint64_t>, kBoundsUs.size() + 1> buckets_{};  // last: +Inf
  std::atomic<uint64_t> sum_us_{0};
  std::atomic<uint64_t> count_{0};
};

struct ServerMetrics {
  std::atomic<uint64_t> events_accepted{0};
  std::atomic<uint64_t> events_duplicate{0};
  std::atomic<uint64_t> events_rejected{0};
  std::atomic<uint64_t> frames_acked{0};
  std::atomic<uint64_t> frames_refused{0};  // error answers: bad JSON, shape, count, not durable
  std::atomic<uint64_t> http_requests{0};
  std::atomic<uint64_t> connections_refused{0};
  std::atomic<int64_t> http_connections{0};
  std::atomic<int64_t> ingest_connections{0};
  LatencyHistogram ack_latency;

  // Appends the server's own series; the caller adds the engine's and the
  // stream hub's.
  void Append(std::string* out) const;
};

// Resident set size of this process in bytes (0 if unknown).
uint64_t ProcessRssBytes();

// Appends "# HELP", "# TYPE" and one sample line.
void AppendMetric(std::string* out, const char* name, const char* type, const char* help,
                  uint64_t value, const char* labels = "");
// The same for a value in microseconds, printed as seconds ("0.000250").
void AppendSecondsMetric(std::string* out, const char* name, const char* type, const char* help,
                         uint64_t us);
// Appends "# HELP", "# TYPE" and the histogram's lines.
void AppendHistogram(std::string* out, const char* name, const char* help,
                     const LatencyHistogram& histogram);

}  // namespace bangdan
