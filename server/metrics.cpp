#include "metrics.h"

#include <unistd.h>

#include <cstdio>

namespace bangdan {
namespace {

// Microseconds as decimal seconds, exactly ("0.000250").
std::string Seconds(uint64_t us) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%llu.%06llu", static_cast<unsigned long long>(us / 1'000'000),
                static_cast<unsigned long long>(us % 1'000'000));
  return buf;
}

}  // namespace

void LatencyHistogram::Record(uint64_t us) {
  size_t i = 0;
  while (i < kBoundsUs.size() && us > kBoundsUs[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(us, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

void LatencyHistogram::Append(std::string* out, const std::string& name) const {
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= kBoundsUs.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    std::string le = i < kBoundsUs.size() ? Seconds(kBoundsUs[i]) : "+Inf";
    *out += name + "_bucket{le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
  }
  *out += name + "_sum " + Seconds(sum_us_.load(std::memory_order_relaxed)) + "\n";
  *out += name + "_count " + std::to_string(count_.load(std::memory_order_relaxed)) + "\n";
}

namespace {

// The "# HELP" and "# TYPE" lines every series starts with.
void AppendHeader(std::string* out, const char* name, const char* type, const char* help) {
  *out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

void AppendMetric(std::string* out, const char* name, const char* type, const char* help,
                  uint64_t value, const char* labels) {
  AppendHeader(out, name, type, help);
  *out += std::string(name) + labels + " " + std::to_string(value) + "\n";
}

void AppendSecondsMetric(std::string* out, const char* name, const char* type, const char* help,
                         uint64_t us) {
  AppendHeader(out, name, type, help);
  *out += std::string(name) + " " + Seconds(us) + "\n";
}

void AppendHistogram(std::string* out, const char* name, const char* help,
                     const LatencyHistogram& histogram) {
  AppendHeader(out, name, "histogram", help);
  histogram.Append(out, name);
}

void ServerMetrics::Append(std::string* out) const {
  auto get = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  AppendMetric(out, "bangdan_events_accepted_total", "counter", "Events accepted (given a sequence number).",
               get(events_accepted));
  AppendMetric(out, "bangdan_events_duplicate_total", "counter", "Events acknowledged as duplicates.",
               get(events_duplicate));
  AppendMetric(out, "bangdan_events_rejected_total", "counter", "Events rejected: invalid, or their sums would overflow.",
               get(events_rejected));
  AppendMetric(out, "bangdan_ingest_frames_acked_total", "counter", "Ingest frames answered with an ack.",
               get(frames_acked));
  AppendMetric(out, "bangdan_ingest_frames_refused_total", "counter",
               "Ingest frames answered with an error.", get(frames_refused));
  AppendMetric(out, "bangdan_http_requests_total", "counter", "HTTP requests served.", get(http_requests));
  AppendMetric(out, "bangdan_connections_refused_total", "counter",
               "Connections refused over --max-connections.", get(connections_refused));
  AppendHistogram(out, "bangdan_ack_latency_seconds",
                  "Time from receiving an ingest frame to sending its answer.", ack_latency);
}

uint64_t ProcessRssBytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long long size = 0, resident = 0;
  int n = std::fscanf(f, "%llu %llu", &size, &resident);
  std::fclose(f);
  if (n != 2) return 0;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace bangdan
