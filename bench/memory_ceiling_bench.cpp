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
// Args: working set in MiB, lines per event, prefetch distance in events,
// how many adjacent lines each touch spans (1, or 2: a 128-byte-aligned
// pair, as a record of two lines would be), and how many decoys each event
// prefetches: lines never read, the price of a prefetch that guessed wrong.
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
  const size_t span = static_cast<size_t>(state.range(3));  // lines per touch
  const size_t touches = per_event / span;
  const size_t decoys = static_cast<size_t>(state.range(4));
  Mapping memory(bytes);
  if (memory.data() == nullptr) {
    state.SkipWithError("mmap failed");
    return;
  }
  const size_t records = bytes / (64 * span);
  std::vector<uint32_t> record(kEvents * touches);
  std::mt19937_64 rng(1);
  for (uint32_t& r : record) r = static_cast<uint32_t>(rng() % records);
  auto at = [&](size_t k) {
    return reinterpret_cast<uint64_t*>(memory.data() + size_t{record[k]} * 64 * span);
  };
  uint64_t sum = 0;
  for (auto _ : state) {
    for (size_t e = 0; e < kEvents; ++e) {
      if (distance > 0 && e + distance < kEvents) {
        for (size_t j = 0; j < touches; ++j) {
          for (size_t l = 0; l < span; ++l) __builtin_prefetch(at((e + distance) * touches + j) + 8 * l, 1);
        }
        for (size_t j = 0; j < decoys; ++j) {
          const size_t decoy = (e * 7919 + j * 104729) % records;  // scattered, never read
          __builtin_prefetch(memory.data() + decoy * 64 * span);
        }
      }
      for (size_t j = 0; j < touches; ++j) {
        for (size_t l = 0; l < span; ++l) {
          uint64_t* p = at(e * touches + j) + 8 * l;
          sum += *p;
          *p += 1;
        }
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
    ->ArgNames({"MiB", "lines", "ahead", "span", "decoys"})
    ->Args({2048, 20, 0, 1, 0})
    ->Args({2048, 20, 4, 1, 0})
    ->Args({2048, 10, 4, 1, 0})
    ->Args({2048, 30, 4, 1, 0})
    ->Args({256, 20, 4, 1, 0})
    // 20 lines as 10 pairs: is the second line of a pair cheaper than a
    // line of its own (adjacent-line prefetch, one page walk)?
    ->Args({2048, 20, 4, 2, 0})
    // Does a prefetched line that is never used cost as much as a used one?
    ->Args({2048, 20, 4, 1, 20})
    ->Args({2048, 20, 4, 1, 40})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
