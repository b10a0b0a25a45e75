// RankTree against the alternatives, in one binary: std::set (rank by
// walking, O(N)) and libstdc++'s order-statistic red-black tree
// (__gnu_pbds, rank in O(log N) from per-node subtree sizes).
//
// Keys: values uniform in [0, 1e9), seq and id unique, inserted in random
// order. Heap bytes per key come from jemalloc's per-thread counters, so they
// include allocator rounding.
#include <benchmark/benchmark.h>
#include <jemalloc/jemalloc.h>

#include <algorithm>
#include <cstdint>
#include <ext/pb_ds/assoc_container.hpp>
#include <ext/pb_ds/tree_policy.hpp>
#include <iterator>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <vector>

#include "rank_tree.h"

namespace bangdan {
namespace {

struct ByRank {
  bool operator()(const RankKey& a, const RankKey& b) const { return RankBefore(a, b); }
};

struct Tree {
  RankTree t;
  void Insert(const RankKey& k) { t.Insert(k); }
  bool Erase(const RankKey& k) { return t.Erase(k); }
  size_t Rank(const RankKey& k) const { return *t.Rank(k); }
  RankKey At(size_t r) const { return t.At(r); }
  uint64_t Top10() const {
    uint64_t sum = 0;
    t.ForEach(0, 10, [&](const RankKey& k) { sum += k.id; });
    return sum;
  }
};

struct Set {
  std::set<RankKey, ByRank> s;
  void Insert(const RankKey& k) { s.insert(k); }
  bool Erase(const RankKey& k) { return s.erase(k) != 0; }
  size_t Rank(const RankKey& k) const { return size_t(std::distance(s.begin(), s.find(k))); }
  RankKey At(size_t r) const { return *std::next(s.begin(), long(r)); }
  uint64_t Top10() const {
    uint64_t sum = 0;
    auto it = s.begin();
    for (int i = 0; i < 10 && it != s.end(); ++i, ++it) sum += it->id;
    return sum;
  }
};

struct Pbds {
  __gnu_pbds::tree<RankKey, __gnu_pbds::null_type, ByRank, __gnu_pbds::rb_tree_tag,
                   __gnu_pbds::tree_order_statistics_node_update>
      t;
  void Insert(const RankKey& k) { t.insert(k); }
  bool Erase(const RankKey& k) { return t.erase(k); }
  size_t Rank(const RankKey& k) const { return t.order_of_key(k); }
  RankKey At(size_t r) const { return *t.find_by_order(r); }
  uint64_t Top10() const {
    uint64_t sum = 0;
    auto it = t.begin();
    for (int i = 0; i < 10 && it != t.end(); ++i, ++it) sum += it->id;
    return sum;
  }
};

// Bytes this thread holds on the heap now.
int64_t HeapBytes() {
  uint64_t* allocated = nullptr;
  uint64_t* deallocated = nullptr;
  size_t len = sizeof(allocated);
  mallctl("thread.allocatedp", &allocated, &len, nullptr, 0);
  mallctl("thread.deallocatedp", &deallocated, &len, nullptr, 0);
  return int64_t(*allocated) - int64_t(*deallocated);
}

std::vector<RankKey> RandomKeys(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<RankKey> keys(n);
  for (size_t i = 0; i < n; ++i) keys[i] = {int64_t(rng() % 1000000000), i + 1, uint32_t(i)};
  return keys;
}

// A structure of n random keys, built once per type and size and shared by
// the benchmarks below; `keys` follows it through repositions.
template <typename S>
struct Built {
  S s;
  std::vector<RankKey> keys;
  uint64_t next_seq;
};

template <typename S>
Built<S>& Get(size_t n) {
  static std::map<size_t, std::unique_ptr<Built<S>>> cache;
  auto& slot = cache[n];
  if (!slot) {
    slot = std::make_unique<Built<S>>();
    slot->keys = RandomKeys(n, 42);
    for (const RankKey& k : slot->keys) slot->s.Insert(k);
    slot->next_seq = n + 1;
  }
  return *slot;
}

template <typename S>
void BM_Rank(benchmark::State& state) {
  Built<S>& b = Get<S>(size_t(state.range(0)));
  std::mt19937_64 rng(1);
  for (auto _ : state) {
    benchmark::DoNotOptimize(b.s.Rank(b.keys[rng() % b.keys.size()]));
  }
}

template <typename S>
void BM_At(benchmark::State& state) {
  Built<S>& b = Get<S>(size_t(state.range(0)));
  std::mt19937_64 rng(2);
  for (auto _ : state) {
    benchmark::DoNotOptimize(b.s.At(rng() % b.keys.size()));
  }
}

template <typename S>
void BM_Top10(benchmark::State& state) {
  Built<S>& b = Get<S>(size_t(state.range(0)));
  for (auto _ : state) {
    benchmark::DoNotOptimize(b.s.Top10());
  }
}

// Erase + insert of a random key with a higher value and the next seq: what a
// board does for each purchase.
template <typename S>
void BM_Reposition(benchmark::State& state) {
  Built<S>& b = Get<S>(size_t(state.range(0)));
  std::mt19937_64 rng(3);
  for (auto _ : state) {
    RankKey& k = b.keys[rng() % b.keys.size()];
    b.s.Erase(k);
    k = {k.value + int64_t(rng() % 1000), b.next_seq++, k.id};
    b.s.Insert(k);
  }
}

// Inserts n random keys into an empty structure; time and bytes per key.
template <typename S>
void BM_Insert(benchmark::State& state) {
  const size_t n = size_t(state.range(0));
  const std::vector<RankKey> keys = RandomKeys(n, 7);
  int64_t bytes = 0;
  for (auto _ : state) {
    const int64_t before = HeapBytes();
    auto s = std::make_unique<S>();
    for (const RankKey& k : keys) s->Insert(k);
    bytes = HeapBytes() - before;
    state.PauseTiming();
    s.reset();
    state.ResumeTiming();
  }
  state.counters["per_key"] =
      benchmark::Counter(double(n) * double(state.iterations()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["bytes_per_key"] = double(bytes) / double(n);
}

// Erases n keys, in random order, from a structure holding exactly them.
template <typename S>
void BM_Erase(benchmark::State& state) {
  const size_t n = size_t(state.range(0));
  std::vector<RankKey> keys = RandomKeys(n, 9);
  for (auto _ : state) {
    state.PauseTiming();
    auto s = std::make_unique<S>();
    for (const RankKey& k : keys) s->Insert(k);
    std::shuffle(keys.begin(), keys.end(), std::mt19937_64(state.iterations()));
    state.ResumeTiming();
    for (const RankKey& k : keys) s->Erase(k);
  }
  state.counters["per_key"] =
      benchmark::Counter(double(n) * double(state.iterations()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// A board read after d of its N = 1,000,000 entries changed: d old keys
// leave the tree and d new ones go in. Arg 0: N / d; arg 1: 1 =
// RankTree::Replace (sorted, one pass over the tree when d is large), 0 =
// Erase and Insert one by one, in order of change. Time per changed key.
void BM_Replace(benchmark::State& state) {
  constexpr size_t kN = 1'000'000;
  const size_t d = kN / size_t(state.range(0));
  const bool replace = state.range(1) != 0;
  std::vector<RankKey> keys = RandomKeys(kN, 5);
  std::sort(keys.begin(), keys.end(), RankBefore);
  // d distinct keys change, in random order.
  std::mt19937_64 rng(6);
  std::vector<RankKey> old_keys = keys;
  std::shuffle(old_keys.begin(), old_keys.end(), rng);
  old_keys.resize(d);
  std::vector<RankKey> new_keys(d);
  for (size_t i = 0; i < d; ++i) {
    new_keys[i] = {old_keys[i].value + int64_t(rng() % 1000), kN + 1 + i, old_keys[i].id};
  }
  for (auto _ : state) {
    state.PauseTiming();
    RankTree tree;
    tree.Assign(keys);
    std::vector<RankKey> erase = old_keys, insert = new_keys;
    state.ResumeTiming();
    if (replace) {
      tree.Replace(erase, insert);
    } else {
      for (const RankKey& k : erase) tree.Erase(k);
      for (const RankKey& k : insert) tree.Insert(k);
    }
    state.PauseTiming();
    tree.Clear();
    state.ResumeTiming();
  }
  state.counters["per_key"] =
      benchmark::Counter(double(old_keys.size()) * double(state.iterations()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_Replace)
    ->ArgsProduct({{1024, 256, 64, 32, 16, 4}, {0, 1}})
    ->Unit(benchmark::kMillisecond);

constexpr int64_t kSmall = 10000;
constexpr int64_t kLarge = 1000000;

BENCHMARK_TEMPLATE(BM_Rank, Tree)->Arg(kSmall)->Arg(kLarge);
BENCHMARK_TEMPLATE(BM_Rank, Pbds)->Arg(kSmall)->Arg(kLarge);
BENCHMARK_TEMPLATE(BM_Rank, Set)->Arg(kSmall)->Arg(kLarge)->Unit(benchmark::kMicrosecond);
BENCHMARK_TEMPLATE(BM_At, Tree)->Arg(kSmall)->Arg(kLarge);
BENCHMARK_TEMPLATE(BM_At, Pbds)->Arg(kSmall)->Arg(kLarge);
BENCHMARK_TEMPLATE(BM_Top10, Tree)->Arg(kLarge);
BENCHMARK_TEMPLATE(BM_Top10, Pbds)->Arg(kLarge);
BENCHMARK_TEMPLATE(BM_Top10, Set)->Arg(kLarge);
BENCHMARK_TEMPLATE(BM_Reposition, Tree)->Arg(kLarge);
BENCHMARK_TEMPLATE(BM_Reposition, Pbds)->Arg(kLarge);
BENCHMARK_TEMPLATE(BM_Reposition, Set)->Arg(kLarge);
BENCHMARK_TEMPLATE(BM_Insert, Tree)->Arg(kLarge)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Insert, Pbds)->Arg(kLarge)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Insert, Set)->Arg(kLarge)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Erase, Tree)->Arg(kLarge)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Erase, Pbds)->Arg(kLarge)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Erase, Set)->Arg(kLarge)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace bangdan

BENCHMARK_MAIN();
