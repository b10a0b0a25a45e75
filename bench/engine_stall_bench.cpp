// The longest the engine holds up ingest: a fresh engine takes the workload
// of engine_apply_bench (2,000,000 events, 1,000,000 users) in frames of 100,
// as the server does — AdmitBatch, then ApplyBatch — and each frame's time is
// measured on its own. While a frame is in the engine, the server's ingest
// waits (the engine is behind one lock), so the slowest frames are ack
// latency that no group commit can hide. They are where tables grow: a hash
// table that doubles all at once moves every slot and faults in the new
// table inside one frame.
//
// Each frame is timed in the thread's CPU time (CLOCK_THREAD_CPUTIME_ID,
// which includes the page faults the thread takes) so that another process
// taking the core does not count; wall time is reported beside it.
//
//   build/bin/engine_stall_bench
//
// A second benchmark fills the dedup window alone to the default --dedup-max.
#include <benchmark/benchmark.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <string_view>
#include <chrono>
#include <memory>
#include <utility>
#include <vector>

#include "dedup.h"
#include "engine_workload.h"

extern "C" {
// As bangdan-server sets it (server/main.cpp): the heap on huge pages.
const char* malloc_conf = "thp:always,metadata_thp:always,dirty_decay_ms:-1,muzzy_decay_ms:-1";
}

namespace bangdan {
namespace {

double ThreadCpuMs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double WallMs() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The frames' CPU times as counters: median, p99.9, the slowest five, and
// how many took over 5 ms.
void ReportFrames(benchmark::State& state, std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  const auto at = [&ms](double q) {
    return ms[std::min(ms.size() - 1, static_cast<size_t>(q * static_cast<double>(ms.size())))];
  };
  state.counters["cpu_p50_ms"] = at(0.5);
  state.counters["cpu_p999_ms"] = at(0.999);
  state.counters["cpu_max_ms"] = ms.back();
  state.counters["cpu_2nd_ms"] = ms[ms.size() - 2];
  state.counters["cpu_5th_ms"] = ms[ms.size() - 5];
  state.counters["frames_over_5ms"] =
      static_cast<double>(ms.end() - std::upper_bound(ms.begin(), ms.end(), 5.0));
}

void BM_LongestFrame(benchmark::State& state) {
  const bench::Workload& w = bench::GetWorkload();
  constexpr size_t kFrame = 100;
  std::vector<double> cpu, wall;
  for (auto _ : state) {
    state.PauseTiming();
    auto engine = std::make_unique<Engine>();
    cpu.clear();
    wall.clear();
    state.ResumeTiming();
    for (size_t i = 0; i < bench::kEvents; i += kFrame) {
      const double c0 = ThreadCpuMs(), w0 = WallMs();
      bench::Feed(*engine, w, i, std::min(bench::kEvents, i + kFrame), kFrame);
      cpu.push_back(ThreadCpuMs() - c0);
      wall.push_back(WallMs() - w0);
    }
    state.PauseTiming();
    engine.reset();
    state.ResumeTiming();
  }
  ReportFrames(state, std::move(cpu));
  state.counters["wall_max_ms"] = *std::max_element(wall.begin(), wall.end());
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * bench::kEvents));
}
BENCHMARK(BM_LongestFrame)->Unit(benchmark::kMillisecond)->Iterations(1);

// The dedup window alone filled to the default --dedup-max (50,000,000 ids),
// 100 ids at a time as a frame admits them: the slowest of those steps is the
// largest shard growth of the id set, the one a long campaign meets last.
void BM_DedupLongestFrameToFiftyMillionIds(benchmark::State& state) {
  constexpr uint64_t kIds = 50'000'000;
  constexpr size_t kFrame = 100;
  std::vector<double> cpu;
  for (auto _ : state) {
    state.PauseTiming();
    auto dedup = std::make_unique<Dedup>(3'600'000, kIds);
    cpu.clear();
    cpu.reserve(kIds / kFrame);
    state.ResumeTiming();
    uint64_t seq = 0;
    char id[32];
    for (uint64_t i = 0; i < kIds; i += kFrame) {
      const double c0 = ThreadCpuMs();
      for (size_t k = 0; k < kFrame; ++k) {
        // Ids as producers make them: the shards fill as a hash spreads real
        // strings, not in the lockstep a mix of consecutive integers gives.
        const int n = std::snprintf(id, sizeof id, "order-%llu", static_cast<unsigned long long>(i + k));
        const Fingerprint fp = FingerprintOf(std::string_view(id, static_cast<size_t>(n)));
        if (!dedup->Contains(fp, 0, seq + 1)) dedup->Push(fp, 0, ++seq);
      }
      cpu.push_back(ThreadCpuMs() - c0);
    }
    state.PauseTiming();
    dedup.reset();
    state.ResumeTiming();
  }
  ReportFrames(state, std::move(cpu));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kIds));
}
BENCHMARK(BM_DedupLongestFrameToFiftyMillionIds)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace bangdan

BENCHMARK_MAIN();
