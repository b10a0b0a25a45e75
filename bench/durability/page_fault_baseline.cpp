// page_fault_baseline: what this machine charges for the memory operations a
// snapshot depends on, with no bangdan code involved — the do-nothing baseline
// for bench/durability/run_snapshot_stall.sh (bench/RESULTS.md, "Durability").
//
//   page_fault_baseline [MiB]        (default 1024)
//
// For anonymous memory of MiB mebibytes, once with 4 KiB pages and once with
// transparent huge pages (madvise), it measures:
//   - first touch: one write per 4 KiB page of fresh memory (page faults that
//     zero the memory), in ms and µs per 4 KiB;
//   - fork(): the time the parent spends in the call (page tables copied);
//   - copy-on-write: while the child (which only sleeps) lives, the parent
//     writes once to every 4 KiB page — each write copies a page the child
//     still shares — in ms and µs per 4 KiB.
// A server that forks to snapshot pays the fork time as a stall, and the
// copy-on-write cost for every page it writes while the child lives.
// Last, the latency of a random load from that memory: one chain of
// dependent loads, then 20 chains interleaved (what prefetching can reach).
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <random>
#include <vector>

namespace {

constexpr size_t kPage = 4096;
constexpr size_t kHuge = 2 << 20;

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

void Measure(size_t bytes, bool huge) {
  // Aligned to 2 MiB so that huge pages can back all of it.
  void* raw = mmap(nullptr, bytes + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
  if (raw == MAP_FAILED) {
    std::perror("mmap");
    std::exit(1);
  }
  char* p = reinterpret_cast<char*>((reinterpret_cast<uintptr_t>(raw) + kHuge - 1) & ~(kHuge - 1));
  madvise(p, bytes, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
  const size_t pages = bytes / kPage;

  auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < bytes; i += kPage) p[i] = 1;
  const double touch_ms = MsSince(t0);

  t0 = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    sleep(600);  // killed below
    _exit(0);
  }
  const double fork_ms = MsSince(t0);

  t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < bytes; i += kPage) p[i] = 2;
  const double cow_ms = MsSince(t0);
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);

  std::printf("%-14s first touch %8.0f ms (%5.2f µs/4 KiB)   fork %7.2f ms   "
              "copy-on-write %8.0f ms (%5.2f µs/4 KiB)\n",
              huge ? "huge pages" : "4 KiB pages", touch_ms, touch_ms * 1000 / pages, fork_ms,
              cow_ms, cow_ms * 1000 / pages);
  munmap(raw, bytes + kHuge);
}

// ns per load, following `chains` random cycles through a permutation of
// one 8-byte slot per 64-byte line of `bytes` bytes.
double RandomLoadNs(size_t bytes, int chains) {
  const size_t lines = bytes / 64;
  std::vector<uint64_t> order(lines);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937_64(1));
  std::vector<uint64_t> next(lines * 8);
  for (size_t i = 0; i < lines; ++i) next[order[i] * 8] = order[(i + 1) % lines];
  std::vector<uint64_t> at(chains);
  for (int c = 0; c < chains; ++c) at[c] = order[(lines / chains) * c];
  constexpr size_t kLoads = 20'000'000;
  const auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < kLoads / chains; ++i) {
    for (int c = 0; c < chains; ++c) at[c] = next[at[c] * 8];
  }
  const double ms = MsSince(t0);
  uint64_t sink = 0;
  for (uint64_t a : at) sink += a;
  if (sink == 42) std::puts("");  // keeps the loads
  return ms * 1e6 / kLoads;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t mib = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1024;
  std::printf("anonymous memory: %zu MiB\n", mib);
  Measure(mib << 20, false);
  Measure(mib << 20, true);
  std::printf("random load from %zu MiB: %.1f ns with 1 chain, %.1f ns each with 20 in flight\n",
              mib, RandomLoadNs(mib << 20, 1), RandomLoadNs(mib << 20, 20));
  return 0;
}
