// bangdan-server: parses the command line (SPEC §9), starts the server, and
// turns SIGTERM/SIGINT into a graceful shutdown.
#include <jemalloc/jemalloc.h>
#include <signal.h>

#include <cstdio>

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
// - Freed pages go back to the kernel a second after they were freed, by
//   jemalloc's own background thread. Returned inline (jemalloc's default),
//   the madvise runs on whichever thread allocates or frees at the time —
//   often the engine's, holding the lock ingest waits on: ack latency p99 at
//   180,000 events/s measured 12–19 ms, against 8–11 ms with no decay at all
//   (bench/RESULTS.md, "End to end"). But with no decay the pushes' frames,
//   freed as fast as they are made, were not reused either: one client
//   watching 128 top-1000 views grew the RSS by 100 MB a second, for good
//   (bench/RESULTS.md, "Memory that pushes free").
extern "C" {
const char* malloc_conf =
    "thp:never,metadata_thp:disabled,background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0";
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
  // the mask and the signals wait for sigwait below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  Server server(options);

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
  LogInfo(sig == SIGTERM ? "SIGTERM received" : "SIGINT received");
  server.Shutdown();  // stops accepting, acks what is in flight

  std::string file;
  uint64_t seq = 0;
  s = durability.Snapshot(server.engine(), server.engine_mu(), &file, &seq);
  if (s.ok()) {
    LogInfo("bye");  // the snapshot logged its own line
  } else {
    // With the log, nothing is lost; with --wal off, what came after the
    // last snapshot is.
    LogError(options.wal ? s.message()
                         : s.message() + " (--wal off: the events since the last snapshot are lost)");
  }
  durability.Stop();
  return 0;
}
