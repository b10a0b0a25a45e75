// Engine benchmarks: Admit + Apply throughput, queries, memory per entry,
// Serialize, on the workload of engine_workload.h.
//
//   build/bin/engine_apply_bench --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true   (one line)
#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bangdan/board.h"
#include "bangdan/engine.h"
#include "bangdan/event.h"
#include "board_set.h"
#include "engine_workload.h"

// The allocator as bangdan-server sets it (server/main.cpp): transparent huge
// pages for the heap. On the measuring machine a 4 KiB page fault costs ~13 µs,
// and fresh entries take a fault per page without them.
extern "C" {
const char* malloc_conf = "thp:always,metadata_thp:always,dirty_decay_ms:-1,muzzy_decay_ms:-1";
}

namespace bangdan {
namespace {

using bench::Feed;
using bench::GetWorkload;
using bench::kEvents;
using bench::kStartMs;
using bench::Zipf;
using bench::Workload;

BoardRef Ref(Dimension dim, ScopeKind scope, std::string_view key, WindowSpec window) {
  BoardRef r;
  r.dim = dim;
  r.scope = scope;
  r.scope_key = std::string(key);
  r.window = window;
  return r;
}

// A random board that the event `e` touched: any family, total or today.
BoardRef RandomBoard(std::mt19937_64& rng, const Event& e) {
  const WindowSpec window = rng() % 2 ? WindowSpec::Total() : WindowSpec::Today();
  switch (rng() % 10) {
    case 0: return Ref(Dimension::kCity, ScopeKind::kNone, "", window);
    case 1: return Ref(Dimension::kFirm, ScopeKind::kNone, "", window);
    case 2: return Ref(Dimension::kFirm, ScopeKind::kCity, e.city, window);
    case 3: return Ref(Dimension::kTeam, ScopeKind::kNone, "", window);
    case 4: return Ref(Dimension::kTeam, ScopeKind::kCity, e.city, window);
    case 5: return Ref(Dimension::kTeam, ScopeKind::kFirm, e.firm, window);
    case 6: return Ref(Dimension::kUser, ScopeKind::kNone, "", window);
    case 7: return Ref(Dimension::kUser, ScopeKind::kTeam, e.team, window);
    case 8: return Ref(Dimension::kProduct, ScopeKind::kNone, "", window);
    default: return Ref(Dimension::kProduct, ScopeKind::kCity, e.city, window);
  }
}

// Times admitting and applying the workload's 2,000,000 events in frames of
// `frame` (1 = Admit + Apply one at a time, else AdmitBatch + ApplyBatch), to a
// fresh engine, or, with `existing`, to one that took the same draws before
// (untimed), so that the work is updating entries, not creating them.
void AdmitApply(benchmark::State& state, const Workload& w, bool existing, size_t frame) {
  for (auto _ : state) {
    state.PauseTiming();
    auto engine = std::make_unique<Engine>();
    // The first draws go in as a server puts them, through ApplyBatch (so
    // that the key caches hold what such a server's would).
    if (existing) Feed(*engine, w, 0, kEvents, 100);
    state.ResumeTiming();
    if (existing) {
      Feed(*engine, w.events_again, w.recv_ms_again, 0, kEvents, frame);
    } else {
      Feed(*engine, w, 0, kEvents, frame);
    }
    state.PauseTiming();
    engine.reset();  // freeing millions of entries is not part of applying
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kEvents));
}

void BM_AdmitApply(benchmark::State& state) {
  AdmitApply(state, GetWorkload(), false, static_cast<size_t>(state.range(0)));
}
// Arg: events per frame; 1 = Apply one at a time, else ApplyBatch per frame.
BENCHMARK(BM_AdmitApply)->Arg(1)->Arg(100)->Unit(benchmark::kMillisecond)->Iterations(1);

// The second 2,000,000 events of a campaign: the same draws, so most entries
// already exist and the work is updating, not creating.
void BM_AdmitApplyExistingEntities(benchmark::State& state) {
  AdmitApply(state, GetWorkload(), true, static_cast<size_t>(state.range(0)));
}
BENCHMARK(BM_AdmitApplyExistingEntities)
    ->Arg(1)
    ->Arg(100)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

// Both, in 100-event frames, on the hierarchical workload (engine_workload.h):
// users in fixed teams, teams in fixed firms and cities, as bangdan-loadgen
// and a real campaign send them.
void BM_AdmitApplyHierarchical(benchmark::State& state) {
  AdmitApply(state, GetWorkload(bench::Shape::kHierarchical), state.range(0) != 0, 100);
}
// Arg: 0 = a fresh engine, 1 = the entities exist already.
BENCHMARK(BM_AdmitApplyHierarchical)
    ->ArgName("existing")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

// Lazy against eager ordering on one board of 100,000 Zipf-drawn entities:
// eager re-sorts the changed entry at every event (erase + insert of its
// three keys), lazy only when the board is read — here every 1,000 events.
void BoardSetUpdates(benchmark::State& state, uint32_t read_every) {
  std::mt19937_64 rng(11);
  Zipf zipf(100'000);
  std::vector<uint32_t> entities(1'000'000);
  for (uint32_t& e : entities) e = zipf(rng);
  const int64_t delta[kMetricCount] = {500, 990, 1};
  for (auto _ : state) {
    BoardSet set(false);
    uint64_t seq = 0;
    for (uint32_t e : entities) {
      set.Add(0, e, delta, ++seq);
      if (seq % read_every == 0) benchmark::DoNotOptimize(set.PrepareBoard(0, Metric::kWeight));
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * entities.size()));
}
void BM_BoardLazyReadEvery1000(benchmark::State& state) { BoardSetUpdates(state, 1000); }
void BM_BoardLazyReadEvery100000(benchmark::State& state) { BoardSetUpdates(state, 100'000); }
void BM_BoardEager(benchmark::State& state) { BoardSetUpdates(state, 1); }
BENCHMARK(BM_BoardLazyReadEvery1000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BoardLazyReadEvery100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BoardEager)->Unit(benchmark::kMillisecond);

void BM_AdmitApplyWithTop10Every1000(benchmark::State& state) {
  const Workload& w = GetWorkload();
  std::mt19937_64 rng(7);
  const int64_t now = w.recv_ms.back();
  for (auto _ : state) {
    state.PauseTiming();
    auto engine = std::make_unique<Engine>();
    state.ResumeTiming();
    BoardPage page;
    for (size_t i = 0; i < kEvents; i += 1000) {
      Feed(*engine, w, i, i + 1000);
      engine->Top(RandomBoard(rng, w.events[i + 999]), Metric::kWeight, 0, 10, now, &page);
      benchmark::DoNotOptimize(page.rows.data());
    }
    state.PauseTiming();
    engine.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kEvents));
}
BENCHMARK(BM_AdmitApplyWithTop10Every1000)->Unit(benchmark::kMillisecond)->Iterations(1);

// A busy server's life: the hierarchical workload's second 2,000,000 events
// (the entities exist) in 100-event frames, and after every 10 frames the top
// 10 of a random board the last event touched — a thousand reads a second at
// 1 M events/s, from dashboards and queries. Every read puts the board's
// changed entries back in order, so this counts what keeping the boards
// ordered costs. Arg: 0 = every read by weight (the dashboards' metric, the
// default), 1 = a random metric per read.
void BM_AdmitApplyHierarchicalWithReads(benchmark::State& state) {
  const Workload& w = GetWorkload(bench::Shape::kHierarchical);
  const bool random_metric = state.range(0) != 0;
  std::mt19937_64 rng(7);
  for (auto _ : state) {
    state.PauseTiming();
    auto engine = std::make_unique<Engine>();
    Feed(*engine, w, 0, kEvents);
    state.ResumeTiming();
    BoardPage page;
    for (size_t i = 0; i < kEvents; i += 1000) {
      Feed(*engine, w.events_again, w.recv_ms_again, i, i + 1000, 100);
      const Metric metric = random_metric ? static_cast<Metric>(rng() % kMetricCount)
                                          : Metric::kWeight;
      engine->Top(RandomBoard(rng, w.events_again[i + 999]), metric, 0, 10,
                  w.recv_ms_again[i + 999], &page);
      benchmark::DoNotOptimize(page.rows.data());
    }
    state.PauseTiming();
    engine.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kEvents));
}
BENCHMARK(BM_AdmitApplyHierarchicalWithReads)
    ->ArgName("random_metric")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

// The full state after the workload, every ordering brought up to date.
Engine& FullEngine() {
  static Engine* engine = [] {
    const Workload& w = GetWorkload();
    auto* e = new Engine();
    Feed(*e, w, 0, kEvents, 100);  // through ApplyBatch, as the server: its key caches count
    return e;
  }();
  return *engine;
}

// Reads every board once by `metric` (building that ordering) and counts
// the entries.
uint64_t PrepareAllBoards(Engine& engine, int64_t now, Metric metric) {
  const Workload& w = GetWorkload();
  uint64_t entries = 0;
  BoardPage page;
  for (WindowSpec window : {WindowSpec::Total(), WindowSpec::Today()}) {
    for (int d = 0; d < kDimensionCount; ++d) {
      engine.Top(Ref(static_cast<Dimension>(d), ScopeKind::kNone, "", window), metric, 0,
                 1, now, &page);
      entries += page.count;
    }
    for (const std::string& city : w.names[0]) {
      for (Dimension d : {Dimension::kFirm, Dimension::kTeam, Dimension::kProduct}) {
        engine.Top(Ref(d, ScopeKind::kCity, city, window), metric, 0, 1, now, &page);
        entries += page.count;
      }
    }
    for (const std::string& firm : w.names[1]) {
      engine.Top(Ref(Dimension::kTeam, ScopeKind::kFirm, firm, window), metric, 0, 1,
                 now, &page);
      entries += page.count;
    }
    for (const std::string& team : w.names[2]) {
      engine.Top(Ref(Dimension::kUser, ScopeKind::kTeam, team, window), metric, 0, 1,
                 now, &page);
      entries += page.count;
    }
  }
  return entries;
}

// Arg: the metrics every board has been read by — 1: weight only (a board
// keeps a tree for each metric read, and dashboards read by weight), 3: all
// three (the most a board holds). Run in this order: the engine is shared.
void BM_MemoryPerEntry(benchmark::State& state) {
  Engine& engine = FullEngine();
  const int64_t now = GetWorkload().recv_ms.back();
  uint64_t entries = 0;
  for (auto _ : state) {
    for (int m = 0; m < state.range(0); ++m) {
      entries = PrepareAllBoards(engine, now, static_cast<Metric>(m));
    }
  }
  state.counters["entries"] = static_cast<double>(entries);
  state.counters["memory_MiB"] = static_cast<double>(engine.MemoryBytes()) / (1 << 20);
  state.counters["bytes_per_entry"] =
      static_cast<double>(engine.MemoryBytes()) / static_cast<double>(entries);
}
BENCHMARK(BM_MemoryPerEntry)
    ->ArgName("metrics_read")
    ->Arg(1)
    ->Arg(3)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

// Boards read once, then changed without being read again: memory per entry
// after the second 2,000,000 events (the same draws), every board having
// been read by weight after the first.
void BM_MemoryAfterChangesUnread(benchmark::State& state) {
  const Workload& w = GetWorkload();
  const int64_t now = w.recv_ms_again.back();
  uint64_t entries = 0;
  size_t bytes = 0;
  for (auto _ : state) {
    Engine engine;
    Feed(engine, w, 0, kEvents);
    entries = PrepareAllBoards(engine, now, Metric::kWeight);
    Feed(engine, w.events_again, w.recv_ms_again, 0, kEvents, 100);
    bytes = engine.MemoryBytes();
  }
  state.counters["entries"] = static_cast<double>(entries);
  state.counters["memory_MiB"] = static_cast<double>(bytes) / (1 << 20);
  state.counters["bytes_per_entry"] = static_cast<double>(bytes) / static_cast<double>(entries);
}
BENCHMARK(BM_MemoryAfterChangesUnread)->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_Top10(benchmark::State& state) {
  Engine& engine = FullEngine();
  const int64_t now = GetWorkload().recv_ms.back();
  const auto dim = static_cast<Dimension>(state.range(0));
  const BoardRef ref = Ref(dim, ScopeKind::kNone, "", WindowSpec::Total());
  BoardPage page;
  engine.Top(ref, Metric::kAmount, 0, 10, now, &page);  // orderings up to date
  for (auto _ : state) {
    engine.Top(ref, Metric::kAmount, 0, 10, now, &page);
    benchmark::DoNotOptimize(page.rows.data());
  }
  state.counters["board_entries"] = static_cast<double>(page.count);
}
BENCHMARK(BM_Top10)->Arg(0)->Arg(2)->Arg(3);  // city, team, user

void BM_EntryRankOnUserBoard(benchmark::State& state) {
  Engine& engine = FullEngine();
  const Workload& w = GetWorkload();
  const int64_t now = w.recv_ms.back();
  const BoardRef ref = Ref(Dimension::kUser, ScopeKind::kNone, "", WindowSpec::Total());
  EntryResult entry;
  engine.Entry(ref, Metric::kWeight, w.events[0].user, 0, now, &entry);
  std::mt19937_64 rng(3);
  size_t i = 0;
  for (auto _ : state) {
    // A user that is on the board: one of the events' users, in random order.
    i = (i + rng()) % kEvents;
    Status st = engine.Entry(ref, Metric::kWeight, w.events[i].user, 0, now, &entry);
    benchmark::DoNotOptimize(st);
  }
  state.counters["board_entries"] = static_cast<double>(engine.Count(ref, now));
}
BENCHMARK(BM_EntryRankOnUserBoard);

// The first read of the national user board (343 k entries) by a metric:
// the board builds its ordering by that metric then (BoardSet::Order), under
// the engine's lock, once.
void BM_FirstReadOfUserBoard(benchmark::State& state) {
  const Workload& w = GetWorkload();
  const int64_t now = w.recv_ms.back();
  const BoardRef ref = Ref(Dimension::kUser, ScopeKind::kNone, "", WindowSpec::Total());
  BoardPage page;
  for (auto _ : state) {
    state.PauseTiming();
    auto engine = std::make_unique<Engine>();
    Feed(*engine, w, 0, kEvents);
    state.ResumeTiming();
    engine->Top(ref, Metric::kWeight, 0, 10, now, &page);
    benchmark::DoNotOptimize(page.rows.data());
    state.PauseTiming();
    engine.reset();
    state.ResumeTiming();
  }
  state.counters["board_entries"] = static_cast<double>(page.count);
}
BENCHMARK(BM_FirstReadOfUserBoard)->Unit(benchmark::kMillisecond)->Iterations(3);

// The whole user board (343 k entries), as a CSV download asks for it under
// the engine's lock: how long ingest waits for one.
void BM_WholeUserBoard(benchmark::State& state) {
  Engine& engine = FullEngine();
  const int64_t now = GetWorkload().recv_ms.back();
  const BoardRef ref = Ref(Dimension::kUser, ScopeKind::kNone, "", WindowSpec::Total());
  BoardPage page;
  for (auto _ : state) {
    engine.Top(ref, Metric::kWeight, 0, engine.Count(ref, now), now, &page);
    benchmark::DoNotOptimize(page.rows.data());
  }
  state.counters["rows"] = static_cast<double>(page.rows.size());
}
BENCHMARK(BM_WholeUserBoard)->Unit(benchmark::kMillisecond);

// A key's rank on a board of exactly 1,000,000 entries (issue target: ≤ 2 µs):
// 1,000,000 distinct users, one event each, random weights.
void BM_EntryRankOnMillionEntryBoard(benchmark::State& state) {
  constexpr size_t kUsers = 1'000'000;
  static const std::vector<std::string>* users = [] {
    auto* u = new std::vector<std::string>;
    for (size_t i = 0; i < kUsers; ++i) {
      std::string name = "用户";  // (a literal + std::string trips GCC 12's -Wrestrict)
      name += std::to_string(i);
      u->push_back(std::move(name));
    }
    return u;
  }();
  static Engine* engine = [] {
    auto* e = new Engine;
    std::mt19937_64 rng(5);
    for (size_t i = 0; i < kUsers; ++i) {
      std::string id = "m";
      id += std::to_string(i);
      Event ev;
      ev.id = id;
      ev.city = "合肥";
      ev.firm = "万科物业";
      ev.user = (*users)[i];
      ev.weight_g = 500 * static_cast<int64_t>(1 + rng() % 1000);
      ev.amount_fen = 100;
      const Admission a = e->Admit(ev, kStartMs);
      e->Apply(ev, a);
    }
    return e;
  }();
  const BoardRef ref = Ref(Dimension::kUser, ScopeKind::kNone, "", WindowSpec::Total());
  EntryResult entry;
  engine->Entry(ref, Metric::kWeight, (*users)[0], 0, kStartMs, &entry);  // orderings built
  std::mt19937_64 rng(3);
  // The key is formatted into a buffer, as a server parses it from a request:
  // in cache, unlike a random element of a table of a million strings.
  std::string key = "用户";
  const size_t prefix = key.size();
  for (auto _ : state) {
    key.resize(prefix);
    key += std::to_string(rng() % kUsers);
    Status st = engine->Entry(ref, Metric::kWeight, key, 0, kStartMs, &entry);
    benchmark::DoNotOptimize(st);
  }
  state.counters["board_entries"] = static_cast<double>(engine->Count(ref, kStartMs));
}
BENCHMARK(BM_EntryRankOnMillionEntryBoard);

void BM_Serialize(benchmark::State& state) {
  Engine& engine = FullEngine();
  std::string out;
  for (auto _ : state) {
    out.clear();
    engine.Serialize(&out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["MiB"] = static_cast<double>(out.size()) / (1 << 20);
}
BENCHMARK(BM_Serialize)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace bangdan

BENCHMARK_MAIN();
