#include "progress.h"

#include <cstdarg>

#include "run_context.h"

namespace bangdan::loadgen {
namespace {

__attribute__((format(printf, 1, 2))) std::string Printf(const char* format, ...) {
  char buf[256];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buf, sizeof buf, format, args);
  va_end(args);
  return buf;
}

unsigned long long Ull(uint64_t v) { return static_cast<unsigned long long>(v); }

}  // namespace

Progress::Progress(std::FILE* out, double interval_s)
    : out_(out), interval_ns_(static_cast<int64_t>(interval_s * 1e9)) {}

void Progress::Restart(int64_t origin_ns) {
  origin_ns_ = origin_ns;
  next_ns_ = origin_ns + interval_ns_;
}

void Progress::Tick(const std::function<std::string()>& line) {
  if (out_ == nullptr) return;
  const int64_t now = NowNs();
  if (now < next_ns_) return;
  next_ns_ += interval_ns_;
  if (next_ns_ <= now) next_ns_ = now + interval_ns_;
  std::fprintf(out_, "[%6.1fs] %s\n", static_cast<double>(now - origin_ns_) / 1e9, line().c_str());
}

std::string SendingLine(double accepted_per_s, uint64_t acks, double p99_ms, uint64_t pushes, uint64_t errors) {
  return Printf("%10.0f events/s accepted, %llu acks, p99 %.2f ms, pushes %llu, errors %llu", accepted_per_s,
                Ull(acks), p99_ms, Ull(pushes), Ull(errors));
}

std::string DashboardsLine(uint32_t subscribed, uint32_t failed, uint32_t subscribers) {
  return Printf("dashboards: %u/%u subscribed, %u failed", subscribed, subscribers, failed);
}

std::string AwaitingAcksLine(uint64_t unanswered, uint64_t acks, uint64_t errors) {
  return Printf("sending stopped: %llu frames awaiting an answer, %llu acks, errors %llu", Ull(unanswered), Ull(acks),
                Ull(errors));
}

std::string LastPushesLine(uint64_t pushes) {
  return Printf("dashboards: waiting for the last pushes, pushes %llu", Ull(pushes));
}

std::string PoolBuildingLine(uint64_t events) {
  return Printf("building the frames of %llu events", Ull(events));
}

std::string PoolBuiltLine(uint64_t events, double seconds) {
  return Printf("built the frames of %llu events in %.1f s", Ull(events), seconds);
}

std::string VerifyLine(const VerifyProgress& p) {
  if (p.frames_applied < p.frames) {
    return Printf("verify: expected boards from %llu/%llu acked frames", Ull(p.frames_applied), Ull(p.frames));
  }
  return Printf("verify: %llu/%llu boards compared, %llu differences", Ull(p.boards_compared), Ull(p.boards),
                Ull(p.differences));
}

}  // namespace bangdan::loadgen
