// The durable path: appending to the log (fsync none, fsync per 1000
// records), the latency of one fsync on this disk, and replay — decoding
// alone, then decoding plus Engine::ReplayBatch, as recovery does. And the
// checksum of both, CRC32C, on a log record's size and a snapshot's (one
// chain of crc32 instructions against the three-stripe path).
//
// Files go to $BANGDAN_BENCH_DIR, else ./wal-bench-data: the current
// directory's disk is the one whose fsync matters (the temporary directory
// may be in RAM).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <deque>
#include <filesystem>
#include <string>
#include <vector>

#include "bangdan/engine.h"
#include "bangdan/wal.h"
#include "storage/crc32c.h"
#include "storage/log_format.h"
#include "storage/log_reader.h"
#include "storage/log_writer.h"
#include "storage/record_codec.h"

namespace bangdan {
namespace {

constexpr int64_t kRecvMs = 1'795'363'200'000;  // 2026-11-23T00:00+08:00

std::string BenchDir() {
  const char* dir = std::getenv("BANGDAN_BENCH_DIR");
  return dir != nullptr ? dir : "wal-bench-data";
}

// Strings with a realistic shape: Chinese names, numbered ids.
struct EventText {
  std::string id, city, firm, team, user, product;
};

// prefix + n (a function: GCC 12 warns falsely on "literal" + std::string).
std::string Name(const char* prefix, uint64_t n) {
  std::string s = prefix;
  s += std::to_string(n);
  return s;
}

EventText TextFor(uint64_t n) {
  EventText t;
  t.id = Name("ord-20261123-", 1'000'000'000 + n);
  t.city = Name("城市", n % 300);
  t.firm = Name("物业公司", (n * 7) % 10'000);
  t.team = Name("志愿战队", (n * 13) % 20'000);
  t.user = Name("u", (n * 31) % 200'000);
  t.product = Name("农产品", n % 500);
  return t;
}

Event View(const EventText& t, uint64_t n) {
  Event e;
  e.id = t.id;
  e.city = t.city;
  e.firm = t.firm;
  e.team = t.team;
  e.user = t.user;
  e.product = t.product;
  e.weight_g = static_cast<int64_t>(500 + n % 5000);
  e.amount_fen = static_cast<int64_t>(1000 + n % 90'000);
  return e;
}

// Appends records, Sync()ing every `group` of them, in the given mode.
void AppendBench(benchmark::State& state, FsyncMode mode) {
  const uint64_t group = static_cast<uint64_t>(state.range(0));
  const std::string dir = BenchDir();
  std::filesystem::remove_all(dir);
  WalOptions options;
  options.fsync = mode;
  std::unique_ptr<Wal> wal;
  if (!Wal::Open(Env::Default(), dir, options, 0, &wal).ok()) {
    state.SkipWithError("cannot open the log");
    return;
  }
  std::vector<EventText> texts;
  for (uint64_t i = 0; i < 4096; ++i) texts.push_back(TextFor(i));
  uint64_t seq = 0;
  uint64_t bytes = 0;
  for (auto _ : state) {
    ++seq;
    const EventText& t = texts[seq % texts.size()];
    Event e = View(t, seq);
    bytes += log::kEventHeaderSize + t.id.size() + t.city.size() + t.firm.size() +
             t.team.size() + t.user.size() + t.product.size() + log::kHeaderSize;
    if (!wal->Append(e, seq, kRecvMs).ok()) state.SkipWithError("append failed");
    if (seq % group == 0 && !wal->Sync().ok()) state.SkipWithError("sync failed");
  }
  if (!wal->Sync().ok()) state.SkipWithError("sync failed");
  state.SetItemsProcessed(static_cast<int64_t>(seq));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  wal.reset();
  std::filesystem::remove_all(dir);
}

void BM_AppendFsyncNone(benchmark::State& state) { AppendBench(state, FsyncMode::kNone); }
void BM_AppendFsyncAlways(benchmark::State& state) { AppendBench(state, FsyncMode::kAlways); }
BENCHMARK(BM_AppendFsyncNone)->Arg(1000)->UseRealTime();
BENCHMARK(BM_AppendFsyncAlways)->Arg(1000)->UseRealTime();
// One record per fsync: the latency of one group commit on this disk.
BENCHMARK(BM_AppendFsyncAlways)->Name("BM_FsyncLatency")->Arg(1)->UseRealTime()->MinTime(2.0);

// A segment of events first … first + n - 1, in memory, framed as the log
// writer frames them.
std::string BuildSegment(uint64_t first, uint64_t n) {
  std::string data;
  log::Writer writer;
  std::string record;
  for (uint64_t i = first; i < first + n; ++i) {
    EventText t = TextFor(i);
    record.clear();
    log::EncodeEvent(View(t, i), i, kRecvMs, &record);
    writer.AddRecord(record, &data);
  }
  return data;
}

const std::string& Segment(uint64_t n) {
  static std::string data;
  static uint64_t built = 0;
  if (built != n) {
    data = BuildSegment(1, n);
    built = n;
  }
  return data;
}

// Replays `data` into *engine as recovery does (engine/src/storage/recovery.cpp):
// in batches of 256 through Engine::ReplayBatch. False if anything fails.
bool ReplayInto(const std::string& data, Engine* engine) {
  log::Reader reader(data);
  std::string scratch;
  std::string_view record;
  uint64_t offset = 0;
  std::vector<LoggedEvent> batch;
  std::deque<std::string> copies;  // records that spanned blocks
  auto flush = [&] {
    size_t failed;
    const bool ok = engine->ReplayBatch(batch, &failed).ok();
    batch.clear();
    copies.clear();
    return ok;
  };
  while (reader.ReadRecord(&record, &scratch, &offset)) {
    if (record.data() < data.data() || record.data() >= data.data() + data.size()) {
      record = copies.emplace_back(record);
    }
    LoggedEvent& logged = batch.emplace_back();
    if (!log::DecodeEvent(record, &logged.event, &logged.seq, &logged.recv_ms).ok()) return false;
    if (batch.size() == 256 && !flush()) return false;
  }
  return flush() && reader.end() == log::Reader::End::kClean;
}

void BM_ReplayDecodeOnly(benchmark::State& state) {
  const uint64_t n = static_cast<uint64_t>(state.range(0));
  const std::string& data = Segment(n);
  for (auto _ : state) {
    log::Reader reader(data);
    std::string scratch;
    std::string_view record;
    uint64_t offset = 0, seq = 0, count = 0;
    int64_t recv_ms = 0, weight = 0;
    Event e;
    while (reader.ReadRecord(&record, &scratch, &offset)) {
      if (!log::DecodeEvent(record, &e, &seq, &recv_ms).ok()) state.SkipWithError("decode");
      weight += e.weight_g;
      ++count;
    }
    if (count != n) state.SkipWithError("lost records");
    benchmark::DoNotOptimize(weight);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(data.size()));
}
BENCHMARK(BM_ReplayDecodeOnly)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->UseRealTime();

// Into a fresh engine: nearly every event creates entries (users, teams).
void BM_ReplayDecodeAndApply(benchmark::State& state) {
  const uint64_t n = static_cast<uint64_t>(state.range(0));
  const std::string& data = Segment(n);
  for (auto _ : state) {
    state.PauseTiming();
    auto engine = std::make_unique<Engine>();
    state.ResumeTiming();
    if (!ReplayInto(data, engine.get()) || engine->applied_seq() != n) {
      state.SkipWithError("replay failed");
    }
    state.PauseTiming();
    engine.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
}
BENCHMARK(BM_ReplayDecodeAndApply)->Arg(200'000)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// The usual recovery: the snapshot already holds the entities, and the log
// after it brings new events for them (same cities … users, new ids).
void BM_ReplayDecodeAndApplyWarm(benchmark::State& state) {
  const uint64_t n = static_cast<uint64_t>(state.range(0));
  std::string snapshot;
  {
    Engine engine;
    if (!ReplayInto(Segment(n), &engine)) state.SkipWithError("setup failed");
    engine.Serialize(&snapshot);
  }
  const std::string tail = BuildSegment(n + 1, n);
  for (auto _ : state) {
    state.PauseTiming();
    auto engine = std::make_unique<Engine>();
    if (!engine->Deserialize(snapshot).ok()) state.SkipWithError("deserialize failed");
    state.ResumeTiming();
    if (!ReplayInto(tail, engine.get()) || engine->applied_seq() != 2 * n) {
      state.SkipWithError("replay failed");
    }
    state.PauseTiming();
    engine.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
}
BENCHMARK(BM_ReplayDecodeAndApplyWarm)->Arg(200'000)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// Bytes per second of CRC32C over a buffer of state.range(0) bytes: the
// portable table, and Extend (hardware; three stripes from 12 KiB on).
void CrcBench(benchmark::State& state, uint32_t (*extend)(uint32_t, const char*, size_t)) {
  std::string data(static_cast<size_t>(state.range(0)), '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 2654435761u >> 24);
  uint32_t crc = 0;
  for (auto _ : state) {
    crc = extend(crc, data.data(), data.size());
    benchmark::DoNotOptimize(crc);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
void BM_Crc32c(benchmark::State& state) { CrcBench(state, &crc32c::Extend); }
void BM_Crc32cPortable(benchmark::State& state) { CrcBench(state, &crc32c::ExtendPortable); }
BENCHMARK(BM_Crc32c)->Arg(4096)->Arg(12288)->Arg(1 << 20)->Arg(256 << 20);
BENCHMARK(BM_Crc32cPortable)->Arg(1 << 20)->Arg(256 << 20);

}  // namespace
}  // namespace bangdan

BENCHMARK_MAIN();
