// EventParser throughput on realistic frames: Chinese city, firm and team
// names, user and product ids, ts; items/s counts events.
//
//   build/bin/event_parser_bench --benchmark_repetitions=3
//
// Target (bench/RESULTS.md, "Event parser"): ≥ 8,000,000 events/s on one
// core from 100-event array frames.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "bangdan/event_parser.h"

namespace bangdan {
namespace {

constexpr int64_t kNowMs = 1'795'392'000'000;  // 2026-11-23T00:00:00Z

const char* const kCities[] = {"合肥市", "芜湖市", "蚌埠市", "淮南市", "马鞍山市", "淮北市",
                               "铜陵市", "安庆市", "黄山市", "滁州市", "阜阳市", "宿州市",
                               "六安市", "亳州市", "池州市", "宣城市", "北京市", "上海市"};
const char* const kFirmPrefixes[] = {"安徽新华", "绿城", "万科", "碧桂园", "保利", "中海",
                                     "华润", "金地", "龙湖", "招商局"};
const char* const kFirmSuffixes[] = {"物业服务有限公司", "物业管理有限公司", "生活服务集团"};
const char* const kTeamDistricts[] = {"包河区", "蜀山区", "庐阳区", "瑶海区", "经开区"};

// One frame of `events` events, as a client would send it: compact JSON.
std::string MakeFrame(std::mt19937_64& rng, int events, bool batch_object) {
  auto pick = [&rng](auto& table) {
    return table[rng() % (sizeof(table) / sizeof(table[0]))];
  };
  std::string s = batch_object ? R"({"batch":)" + std::to_string(rng() % 100000) + R"(,"events":[)"
                               : "[";
  for (int i = 0; i < events; ++i) {
    if (i) s += ',';
    s += R"({"id":"ord-)" + std::to_string(100000000 + rng() % 900000000) + "-" +
         std::to_string(i) + R"(","city":")" + pick(kCities) + R"(","firm":")" +
         pick(kFirmPrefixes) + pick(kFirmSuffixes) + R"(","team":")" + pick(kTeamDistricts) +
         "第" + std::to_string(1 + rng() % 40) + R"(志愿服务队","user":"u-)" +
         std::to_string(rng() % 10'000'000) + R"(","product":"p-)" +
         std::to_string(rng() % 5000) + R"(","weight_g":)" + std::to_string(250 + rng() % 5000) +
         R"(,"amount_fen":)" + std::to_string(100 + rng() % 50000) + R"(,"ts":)" +
         std::to_string(kNowMs - static_cast<int64_t>(rng() % 3'600'000)) + "}";
  }
  s += batch_object ? "]}" : "]";
  return s;
}

std::vector<std::string> MakeFrames(int frames, int events, bool batch_object) {
  std::mt19937_64 rng(20261123);
  std::vector<std::string> out;
  for (int i = 0; i < frames; ++i) out.push_back(MakeFrame(rng, events, batch_object));
  return out;
}

void RunFrames(benchmark::State& state, const std::vector<std::string>& frames) {
  EventParser parser;
  ParsedFrame parsed;
  int64_t events = 0, bytes = 0;
  size_t next = 0;
  for (auto _ : state) {
    const std::string& frame = frames[next];
    next = next + 1 == frames.size() ? 0 : next + 1;
    const Status s = parser.Parse(frame, kNowMs, &parsed);
    if (!s.ok() || !parsed.rejected.empty()) {
      state.SkipWithError("a benchmark frame was refused or had rejections");
      break;
    }
    benchmark::DoNotOptimize(parsed.events.data());
    events += parsed.total;
    bytes += static_cast<int64_t>(frame.size());
  }
  state.SetItemsProcessed(events);
  state.SetBytesProcessed(bytes);
}

// The target's workload: arrays of events, the ParsedFrame reused.
void BM_ParseArrayFrame(benchmark::State& state) {
  const auto frames = MakeFrames(64, static_cast<int>(state.range(0)), false);
  RunFrames(state, frames);
}
BENCHMARK(BM_ParseArrayFrame)->Arg(1)->Arg(10)->Arg(100)->Arg(1000);

void BM_ParseBatchObjectFrame(benchmark::State& state) {
  const auto frames = MakeFrames(64, static_cast<int>(state.range(0)), true);
  RunFrames(state, frames);
}
BENCHMARK(BM_ParseBatchObjectFrame)->Arg(100);

// A single event object per frame (the two-pass path of object frames).
void BM_ParseSingleEventFrame(benchmark::State& state) {
  auto frames = MakeFrames(64, 1, false);
  for (std::string& f : frames) f = f.substr(1, f.size() - 2);
  RunFrames(state, frames);
}
BENCHMARK(BM_ParseSingleEventFrame);

// As the server uses it: a fresh ParsedFrame per frame, moved away after.
void BM_ParseArrayFrameFreshResult(benchmark::State& state) {
  const auto frames = MakeFrames(64, 100, false);
  EventParser parser;
  int64_t events = 0;
  size_t next = 0;
  for (auto _ : state) {
    ParsedFrame parsed;
    (void)parser.Parse(frames[next], kNowMs, &parsed);
    next = (next + 1) % frames.size();
    events += parsed.total;
    ParsedFrame handed_off = std::move(parsed);
    benchmark::DoNotOptimize(handed_off.events.data());
  }
  state.SetItemsProcessed(events);
}
BENCHMARK(BM_ParseArrayFrameFreshResult);

}  // namespace
}  // namespace bangdan

BENCHMARK_MAIN();
