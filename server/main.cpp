// bangdan-server: parses the command line (SPEC §9), starts the server, and
// turns SIGTERM, SIGINT and SIGHUP into a graceful shutdown.
#include <jemalloc/jemalloc.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <string>
#include <thread>

#include "durability.h"
#include "log.h"
#include "options.h"
#include "server.h"

// jemalloc's settings, read when it starts (the MALLOC_CONF environment
// variable still overrides them).
// - No transparent huge pages. A huge page is faulted in, and zeroed, 2 MiB
//   at once, on whichever thread first touches it — as the state grows,
//   often the engine's writer thread, with every producer's acks waiting: on
//   the measuring machine (a virtual machine, where fresh memory is dear)
//   each such fault stalled acks ~3–4 ms, and ack latency p99 at 330,000
//   events/s was 7.8–11.5 ms with huge pages, 2.5–3.9 ms (one run 8.2)
//   without. Ingest and replay kept their speed; the engine alone, applying
//   into a million users' entries, is 7–21 % faster on huge pages (TLB), which
//   end to end does not show (bench/RESULTS.md, "Huge pages and ack latency").
//   MALLOC_CONF=thp:always,metadata_thp:always puts them back.
// - Freed pages go back to the kernel over the ten seconds after they were
//   freed (jemalloc's default decay), returned by jemalloc's own background
//   thread. Returned inline (jemalloc's default), the madvise runs on
//   whichever thread allocates or frees at the time —
//   often the engine's, holding the lock ingest waits on: ack latency p99 at
//   180,000 events/s measured 12–19 ms, against 8–11 ms with no decay at all
//   (bench/RESULTS.md, "End to end"). But with no decay the pushes' frames,
//   freed as fast as they are made, were not reused either: one client
//   watching 128 top-1000 views grew the RSS by 100 MB a second, for good;
//   on the background thread it stays flat, and a ten-second decay cost the
//   ack tail less than a one-second one (bench/RESULTS.md, "Memory that
//   pushes free").
extern "C" {
const char* malloc_conf =
    "thp:never,metadata_thp:disabled,background_thread:true,dirty_decay_ms:10000,muzzy_decay_ms:0";
}

namespace {

// Once recovery is done, before anything is served: the memory it used and
// freed (replay's sums, up to ~0.5 GB; the notes of its batches) goes back
// to the kernel. With decay off (above) it would stay in the RSS for good;
// here, before the first connection, returning it costs no one a wait.
void ReturnFreedPages() {
  mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0);  // 4096: MALLCTL_ARENAS_ALL
}
static_assert(MALLCTL_ARENAS_ALL == 4096);

// Every connection holds a descriptor, and many systems start a process with
// a soft limit of 1,024 under a hard one far higher: the soft limit is
// raised to the hard one, as most servers do. What that still leaves short of
// --max-connections is said once, here, rather than by failing accepts later.
void RaiseDescriptorLimit(uint64_t needed, uint32_t max_connections) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur != limit.rlim_max) {
    rlimit raised = limit;
    // Linux refuses an infinite soft limit of descriptors (fs.nr_open caps it).
    raised.rlim_cur = limit.rlim_max != RLIM_INFINITY ? limit.rlim_max
                                                      : std::max<rlim_t>(needed, limit.rlim_cur);
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= needed) return;
  bangdan::LogWarn("the open-file limit (RLIMIT_NOFILE) is " + std::to_string(limit.rlim_cur) +
                   ", below the " + std::to_string(needed) + " descriptors that --max-connections " +
                   std::to_string(max_connections) +
                   " needs with the server's own: past the limit, new connections wait until others"
                   " close; raise it (ulimit -n, systemd's LimitNOFILE=) or lower --max-connections");
}

const char* SignalName(int sig) {
  return sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : sig == SIGHUP ? "SIGHUP" : "a signal";
}

// While the server stops: a second stop signal ends the wait for clients to
// finish their close handshakes (one that never answers its close frame would
// otherwise hold every stop for the full 10 s). The snapshot is still
// written; signals after the second are ignored.
class SecondSignal {
 public:
  SecondSignal(const sigset_t& signals, bangdan::Server& server)
      : thread_([this, signals, &server] { Watch(signals, server); }) {}
  ~SecondSignal() {
    done_ = true;
    thread_.join();
  }

 private:
  void Watch(sigset_t signals, bangdan::Server& server) {
    const timespec tick{0, 100'000'000};  // how soon the destructor is noticed
    while (!done_) {
      const int sig = sigtimedwait(&signals, nullptr, &tick);
      if (sig < 0) continue;  // the tick passed, or EINTR
      bangdan::LogInfo(std::string(SignalName(sig)) +
                       " received again: not waiting for connections to finish;"
                       " the snapshot is still written");
      server.StopDraining();
      return;
    }
  }

  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  using namespace bangdan;
  ServerOptions options;
  Action action = Action::kRun;
  Status s = ParseCommandLine(argc, argv, &options, &action);
  if (!s.ok()) {
    std::fprintf(stderr, "bangdan-server: %s\nTry 'bangdan-server --help'.\n", s.message().c_str());
    return 2;
  }
  if (action == Action::kHelp) {
    std::fputs(HelpText().c_str(), stdout);
    return 0;
  }
  if (action == Action::kVersion) {
    std::printf("bangdan-server %.*s\n", static_cast<int>(kVersion.size()), kVersion.data());
    return 0;
  }
  SetLogLevel(options.log_level);
  for (const std::string& flag : options.empty_tokens) {
    LogWarn("--" + flag + " is empty: " +
            (flag == "ingest-token"  ? "anyone may send events"
             : flag == "read-token" ? "anyone may read the boards and subscribe"
                                    : "the admin endpoints are refused"));
  }

  // Blocked here, before any thread starts, so that every thread inherits
  // the mask and the signals wait for sigwait below. SIGHUP too: a closed
  // terminal must not cost the final snapshot.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  Server server(options);
  RaiseDescriptorLimit(server.descriptors_needed(), options.max_connections);

  // The state first: the newest snapshot and the log after it. Nothing is
  // served before recovery is complete.
  Durability durability(options);
  RecoveryStats recovery;
  s = durability.Open(&server.engine(), &recovery);
  if (!s.ok()) {
    LogError("start-up stopped: " + s.message());
    return 1;
  }
  for (const std::string& w : recovery.warnings) LogWarn("recovery: " + w);
  LogInfo(RecoverySummary(options.data_dir, recovery));
  ReturnFreedPages();
  server.SetJournal(durability.journal());
  server.SetSnapshotHandler([&](std::string* file, uint64_t* seq) {
    return durability.Snapshot(server.engine(), server.engine_mu(), file, seq);
  });
  server.SetMetricsSource([&](std::string* out) { durability.AppendMetrics(out); });

  s = server.Start();
  if (!s.ok()) {
    LogError(s.message());
    return 1;
  }
  durability.StartPeriodic(server.engine(), server.engine_mu());

  int sig = 0;
  sigwait(&stop_signals, &sig);
  LogInfo(std::string(SignalName(sig)) + " received");
  SecondSignal second_signal(stop_signals, server);
  server.Shutdown();  // stops accepting, acks what is in flight

  std::string file;
  uint64_t seq = 0;
  s = durability.Snapshot(server.engine(), server.engine_mu(), &file, &seq);
  durability.Stop();
  if (s.ok()) {
    LogInfo("bye");  // the snapshot logged its own line
    return 0;
  }
  // A supervisor learns from the exit status that the stop was not clean.
  // The log segments a snapshot covers are removed only once it is written:
  // until then they stay, beside the snapshots before.
  std::string kept = "every acknowledged event is in the log or an earlier snapshot: the next start recovers them";
  if (!options.wal) kept = "--wal off: the events acknowledged since the last snapshot are lost";
  else if (options.fsync == FsyncMode::kNone) kept += " (--fsync none: the log's last ones written, maybe not synced)";
  LogError("final " + s.message() + "; " + kept);
  return 1;
}
