#include "report.h"

#include <cstdio>
#include <fstream>

namespace bangdan::loadgen {
namespace {

std::string Ms(uint64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(ns) / 1e6);
  return buf;
}

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') { out.push_back('\\'); out.push_back(static_cast<char>(c)); }
    else if (c < 0x20) { char buf[8]; std::snprintf(buf, sizeof buf, "\\u%04x", c); out += buf; }
    else out.push_back(static_cast<char>(c));
  }
  return out + "\"";
}

std::string LatencyJson(const Histogram& h) {
  // No samples: no figures, rather than zeros that read as "instant".
  if (h.count() == 0) {
    return "{\"count\":0,\"min_ms\":null,\"mean_ms\":null,\"p50_ms\":null,\"p99_ms\":null,"
           "\"p999_ms\":null,\"max_ms\":null}";
  }
  return "{\"count\":" + std::to_string(h.count()) + ",\"min_ms\":" + Ms(h.min()) + ",\"mean_ms\":" +
         Fixed(h.mean() / 1e6, 3) + ",\"p50_ms\":" + Ms(h.Quantile(0.5)) + ",\"p99_ms\":" + Ms(h.Quantile(0.99)) +
         ",\"p999_ms\":" + Ms(h.Quantile(0.999)) + ",\"max_ms\":" + Ms(h.max()) + "}";
}

std::string LatencyText(const Histogram& h) {
  if (h.count() == 0) return "none (0 samples)";
  return "p50 " + Ms(h.Quantile(0.5)) + " ms, p99 " + Ms(h.Quantile(0.99)) + " ms, p999 " + Ms(h.Quantile(0.999)) +
         " ms, max " + Ms(h.max()) + " ms (" + std::to_string(h.count()) + " samples)";
}

}  // namespace

std::string FormatText(const Report& r) {
  std::string s;
  s += "target          " + r.target + ": " + std::to_string(r.connections) + " connections, " +
       std::to_string(r.batch) + " events/frame, " + std::to_string(r.threads) + " threads, rate " +
       (r.rate_target ? std::to_string(r.rate_target) + "/s" : "unlimited") + "\n";
  s += "pool            " + std::to_string(r.pool_events) + " events pre-built in " + Fixed(r.pool_build_s, 2) + " s\n";
  s += "sent            " + std::to_string(r.events_sent) + " events in " + std::to_string(r.frames_sent) +
       " frames over " + Fixed(r.elapsed_s, 3) + " s\n";
  s += "acked           " + std::to_string(r.acks) + " frames: " + std::to_string(r.accepted) + " accepted, " +
       std::to_string(r.duplicates) + " duplicates, " + std::to_string(r.rejected) + " rejected\n";
  s += "throughput      " + Fixed(r.accepted_per_s(), 0) + " accepted events/s";
  if (r.rate_target > 0) s += "; sent at " + Fixed(100 * r.rate_reached(), 0) + "% of --rate";
  s += "\n";
  if (r.rate_fell_short()) {
    s += "  below --rate: frames went late (see late sends); the latencies below count from when\n"
         "  each frame was due, so that wait is in them (\"from the send\" leaves it out)\n";
  }
  if (r.paced()) {
    const uint64_t late = r.frames_late_held + r.frames_late_generator;
    s += "late sends      " + std::to_string(late) + " of " + std::to_string(r.frames_sent) +
         " frames went 1 ms or more after they were due: " + std::to_string(r.frames_late_held) +
         " held by their connection (window full or a write not done: the server's pace), " +
         std::to_string(r.frames_late_generator) + " by the generator's own thread\n";
  }
  s += "ack latency     " + LatencyText(r.ack_latency) + "\n";
  if (r.paced()) s += "  from the send " + LatencyText(r.ack_latency_from_send) + "\n";
  double wall = r.elapsed_s > 0 ? r.elapsed_s : 1;
  s += "generator cpu   " + Fixed(r.cpu_user_s, 2) + " s user + " + Fixed(r.cpu_sys_s, 2) + " s sys (" +
       Fixed(100 * (r.cpu_user_s + r.cpu_sys_s) / wall, 0) + "% of one core)\n";
  if (r.subscribers > 0) {
    s += "subscribers     " + std::to_string(r.subscribers) + " on " + std::to_string(r.views) + " views: " +
         std::to_string(r.subscribers_ready) + " got a view, " + std::to_string(r.subscriber_errors) +
         " errors; updates per subscriber min " + std::to_string(r.updates_min) + " avg " + Fixed(r.updates_avg, 1) +
         " max " + std::to_string(r.updates_max) + "; starved " + std::to_string(r.starved) + "\n";
    s += "push latency    " + LatencyText(r.push_latency) + "\n";
    if (r.paced()) s += "  from the send " + LatencyText(r.push_latency_from_send) + "\n";
  }
  s += "errors          " + std::to_string(r.errors) + " (ack mismatches " + std::to_string(r.ack_mismatches) +
       ", frames never answered " + std::to_string(r.unanswered) + ")\n";
  for (const std::string& p : r.problems) s += "  " + p + "\n";
  if (r.verified) {
    s += "verify          " + std::string(r.verify.ok ? "OK" : "FAILED") + ": " + std::to_string(r.verify.boards) +
         " boards, " + std::to_string(r.verify.rows) + " rows, " + std::to_string(r.verify.differences) +
         " differences; order " + (r.verify.exact_order ? "exact (ties included)" : "by value only (seqs interleaved)") +
         "\n";
    for (const std::string& d : r.verify.first_differences) s += "  " + d + "\n";
  }
  return s;
}

std::string FormatJson(const Report& r) {
  std::string s = "{";
  s += "\"target\":" + JsonString(r.target);
  s += ",\"connections\":" + std::to_string(r.connections) + ",\"batch\":" + std::to_string(r.batch) +
       ",\"threads\":" + std::to_string(r.threads) + ",\"rate_target\":" + std::to_string(r.rate_target);
  s += ",\"pool_events\":" + std::to_string(r.pool_events) + ",\"pool_build_s\":" + Fixed(r.pool_build_s, 3);
  s += ",\"elapsed_s\":" + Fixed(r.elapsed_s, 3) + ",\"frames_sent\":" + std::to_string(r.frames_sent) +
       ",\"events_sent\":" + std::to_string(r.events_sent) + ",\"acks\":" + std::to_string(r.acks) +
       ",\"accepted\":" + std::to_string(r.accepted) + ",\"duplicates\":" + std::to_string(r.duplicates) +
       ",\"rejected\":" + std::to_string(r.rejected);
  s += ",\"accepted_per_s\":" + Fixed(r.accepted_per_s(), 1);
  s += ",\"rate_reached\":" + Fixed(r.rate_reached(), 3);
  s += ",\"late_frames\":{\"held\":" + std::to_string(r.frames_late_held) +
       ",\"generator\":" + std::to_string(r.frames_late_generator) + "}";
  s += ",\"latency_from\":" + std::string(r.paced() ? "\"due\"" : "\"send\"");
  s += ",\"ack_latency\":" + LatencyJson(r.ack_latency);
  s += ",\"ack_latency_from_send\":" + LatencyJson(r.ack_latency_from_send);
  s += ",\"cpu\":{\"user_s\":" + Fixed(r.cpu_user_s, 3) + ",\"sys_s\":" + Fixed(r.cpu_sys_s, 3) + "}";
  s += ",\"subscribers\":{\"count\":" + std::to_string(r.subscribers) + ",\"views\":" + std::to_string(r.views) +
       ",\"ready\":" + std::to_string(r.subscribers_ready) + ",\"errors\":" + std::to_string(r.subscriber_errors) +
       ",\"updates_min\":" + std::to_string(r.updates_min) + ",\"updates_avg\":" + Fixed(r.updates_avg, 2) +
       ",\"updates_max\":" + std::to_string(r.updates_max) + ",\"starved\":" + std::to_string(r.starved) +
       ",\"push_latency\":" + LatencyJson(r.push_latency) +
       ",\"push_latency_from_send\":" + LatencyJson(r.push_latency_from_send) + "}";
  s += ",\"errors\":" + std::to_string(r.errors) + ",\"ack_mismatches\":" + std::to_string(r.ack_mismatches) +
       ",\"unanswered\":" + std::to_string(r.unanswered);
  s += ",\"problems\":[";
  for (size_t i = 0; i < r.problems.size(); ++i) {
    if (i) s += ",";
    s += JsonString(r.problems[i]);
  }
  s += "]";
  if (r.verified) {
    s += ",\"verify\":{\"ok\":" + std::string(r.verify.ok ? "true" : "false") +
         ",\"exact_order\":" + (r.verify.exact_order ? "true" : "false") +
         ",\"boards\":" + std::to_string(r.verify.boards) + ",\"rows\":" + std::to_string(r.verify.rows) +
         ",\"differences\":" + std::to_string(r.verify.differences) + ",\"first_differences\":[";
    for (size_t i = 0; i < r.verify.first_differences.size(); ++i) {
      if (i) s += ",";
      s += JsonString(r.verify.first_differences[i]);
    }
    s += "]}";
  }
  s += ",\"ok\":" + std::string(r.ok() ? "true" : "false") + "}\n";
  return s;
}

Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Status::IOError("cannot write " + path);
  return Status::OK();
}

}  // namespace bangdan::loadgen
