// The do-nothing baseline of apply: what this machine allows a design that
// touches L random cache lines per event, with no bangdan code involved.
//
// Applying an event is bound by memory (docs/engine.md, "Applying"): it
// changes ~20 board entries, each a cache line somewhere in a state of
// gigabytes, plus lookup slots, names and the dedup window. Here "an event"
// is L random 64-byte lines of an anonymous mapping of the engine's size
// (transparent huge pages, as the server runs), each read and written once
// (an entry update is a read-modify-write), the lines of event i + D
// prefetched while event i is handled (D = 0: no prefetch, the core's own
// out-of-order window overlaps what it can). Nothing else happens, so
// events/s here is a ceiling for any engine that touches L cold lines per
// event: the ratio of bangdan's apply to it says what is ours.
//
//   build/bin/memory_ceiling_bench --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true
//
// Args: working set in MiB, lines per event, prefetch distance in events.
#include <benchmark/benchmark.h>
#include <sys/mman.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

namespace {

constexpr size_t kEvents = 2'000'000;

class Mapping {
 public:
  explicit Mapping(size_t bytes) : bytes_(bytes) {
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    data_ = p == MAP_FAILED ? nullptr : static_cast<char*>(p);
    if (data_ != nullptr) {
      madvise(data_, bytes, MADV_HUGEPAGE);
      std::memset(data_, 1, bytes);  // faulted in before timing
    }
  }
  ~Mapping() {
    if (data_ != nullptr) munmap(data_, bytes_);
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  char* data() const { return data_; }

 private:
  size_t bytes_;
  char* data_;
};

void BM_RandomLinesPerEvent(benchmark::State& state) {
  const size_t bytes = static_cast<size_t>(state.range(0)) << 20;
  const size_t per_event = static_cast<size_t>(state.range(1));
  const size_t distance = static_cast<size_t>(state.range(2));
  Mapping memory(bytes);
  if (memory.data() == nullptr) {
    state.SkipWithError("mmap failed");
    return;
  }
  const size_t lines = bytes / 64;
  std::vector<uint32_t> line(kEvents * per_event);
  std::mt19937_64 rng(1);
  for (uint32_t& l : line) l = static_cast<uint32_t>(rng() % lines);
  auto at = [&](size_t k) { return reinterpret_cast<uint64_t*>(memory.data() + size_t{line[k]} * 64); };
  uint64_t sum = 0;
  for (auto _ : state) {
    for (size_t e = 0; e < kEvents; ++e) {
      if (distance > 0 && e + distance < kEvents) {
        for (size_t j = 0; j < per_event; ++j) __builtin_prefetch(at((e + distance) * per_event + j), 1);
      }
      for (size_t j = 0; j < per_event; ++j) {
        uint64_t* p = at(e * per_event + j);
        sum += *p;
        *p += 1;
      }
    }
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kEvents));
  state.counters["ns_per_line"] = benchmark::Counter(
      static_cast<double>(state.iterations() * kEvents * per_event),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
// 2 GiB: the engine's state after the apply benchmark's 4,000,000 events
// (~1.8 GiB RSS); 256 MiB for contrast. 10, 20, 30 lines: an event's entries
// in the total window alone, in both windows, and with their lookups.
BENCHMARK(BM_RandomLinesPerEvent)
    ->ArgNames({"MiB", "lines", "ahead"})
    ->Args({2048, 20, 0})
    ->Args({2048, 20, 4})
    ->Args({2048, 10, 4})
    ->Args({2048, 30, 4})
    ->Args({256, 20, 4})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
