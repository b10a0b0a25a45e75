// Replay of logged events into the engine, without the log's decoding
// (wal_bench measures that and CRC32C): Engine::ReplayBatch, event by event
// onto the boards as the server applies a frame, against ReplayPipeline,
// which sums per key first, on the caller's thread alone and with a helper
// thread — as recovery runs it.
//
// The workload of engine_apply_bench (bench/engine_workload.h): 2,000,000
// events over 300 cities, 10,000 firms, 100,000 teams, 1,000,000 users and
// 2,000 products, Zipf(1). Hierarchical: a user belongs to one team, a team
// to one firm and city (a campaign's shape, and what bangdan-loadgen
// generates); independent: each field drawn apart, so nearly every event has
// a (city, firm, team, user) of its own — the worst case for sums.
// "fresh": a log replayed into an empty engine (no snapshot); "exist": a
// snapshot's state holds the entities already and the log brings new events
// for them (the same draws under new ids).
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "bangdan/engine.h"
#include "bangdan/env.h"
#include "engine_workload.h"

// The allocator as bangdan-server sets it (server/main.cpp): recovery runs
// in the server.
extern "C" {
const char* malloc_conf = "thp:never,metadata_thp:disabled,dirty_decay_ms:-1,muzzy_decay_ms:-1";
}

namespace bangdan::bench {
namespace {

enum Mode { kReplayBatch, kPipelineOneThread, kPipelineTwoThreads };
constexpr size_t kBatch = 1024;  // as recovery (engine/src/storage/recovery.cpp)

std::vector<LoggedEvent> Logged(const std::vector<Event>& events, const std::vector<int64_t>& recv_ms,
                                uint64_t first_seq) {
  std::vector<LoggedEvent> out(events.size());
  for (size_t i = 0; i < events.size(); ++i) out[i] = LoggedEvent{events[i], first_seq + i, recv_ms[i]};
  return out;
}

bool Replay(Engine* engine, const std::vector<LoggedEvent>& log, Mode mode, Helper* helper) {
  size_t failed;
  if (mode == kReplayBatch) {
    for (size_t at = 0; at < log.size(); at += kBatch) {
      const size_t n = std::min(kBatch, log.size() - at);
      if (!engine->ReplayBatch(std::span(log).subspan(at, n), &failed).ok()) return false;
    }
    return true;
  }
  ReplayPipeline replay(engine, mode == kPipelineTwoThreads ? helper : nullptr);
  for (size_t at = 0; at < log.size(); at += kBatch) {
    const size_t n = std::min(kBatch, log.size() - at);
    if (!replay.Add(std::span(log).subspan(at, n), &failed).ok()) return false;
  }
  replay.Finish();
  return true;
}

// range(0): Mode; range(1): 1 hierarchical, 0 independent; range(2): 1 the
// entities exist.
void BM_Replay(benchmark::State& state) {
  const auto mode = static_cast<Mode>(state.range(0));
  const Workload& w = GetWorkload(state.range(1) ? Shape::kHierarchical : Shape::kIndependent);
  const bool exist = state.range(2) != 0;
  static const std::unique_ptr<Helper> helper = Env::Default()->NewHelper();
  const std::vector<LoggedEvent> first = Logged(w.events, w.recv_ms, 1);
  const std::vector<LoggedEvent> again = Logged(w.events_again, w.recv_ms_again, 1 + first.size());
  for (auto _ : state) {
    state.PauseTiming();
    auto engine = std::make_unique<Engine>();
    if (exist && !Replay(engine.get(), first, kPipelineTwoThreads, helper.get())) {
      state.SkipWithError("setting up failed");
    }
    state.ResumeTiming();
    if (!Replay(engine.get(), exist ? again : first, mode, helper.get())) {
      state.SkipWithError("replay failed");
    }
    state.PauseTiming();
    engine.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kEvents));
}
BENCHMARK(BM_Replay)
    ->ArgNames({"mode", "hierarchical", "exist"})
    ->ArgsProduct({{kReplayBatch, kPipelineOneThread, kPipelineTwoThreads}, {1, 0}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);

}  // namespace
}  // namespace bangdan::bench

BENCHMARK_MAIN();
