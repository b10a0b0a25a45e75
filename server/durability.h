// Durability: the data directory behind a running server (SPEC §6).
//
//   Open()      recovers the engine (newest snapshot, then the log after it)
//               and opens the log for appending;
//   journal()   the Journal the engine writer commits groups to: one thread
//               that appends a group's records, fsyncs once (group commit)
//               and only then reports the group durable;
//   Snapshot()  writes the whole state beside the live one and lets the log
//               segments it covers go (unless the newest snapshot already
//               holds the state);
//   StartPeriodic() takes one every --snapshot-interval when the state
//               changed since the newest snapshot, whoever took it.
//
// --wal off (benchmarks only): Open() still locks the directory and recovers
// what it holds, but opens no log; journal() is a NullJournal that reports
// every group durable at once and writes nothing. Snapshots are taken as
// usual but in one step, holding the engine lock throughout (with no log to
// replay, a state written in steps could not be made exact); they are then
// the only thing kept: a crash loses every event after the newest one. Log segments left by earlier runs are not deleted.
//
// Snapshots without stopping ingest: the state is written in steps of about
// 1 MiB, each under the engine lock (~1 ms), with ingest going on between
// them (bangdan/state_writer.h). The result is "fuzzy" — each part as it was
// when written — and named after the sequence number at which writing began;
// recovery replays the log from there and each entry takes only the events it
// lacks, which makes the state exact. So before the file is written the log
// is synced up to the last event the writer may have seen (under --fsync
// none too), and the segments before the starting point are the only ones
// let go.
//
// Thread safety: Snapshot may be called from any thread (one at a time is
// taken; others wait). journal() is used by the engine writer only.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "bangdan/engine.h"
#include "bangdan/env.h"
#include "bangdan/recovery.h"
#include "bangdan/status.h"
#include "journal.h"
#include "options.h"

namespace bangdan {

class WalJournal;

class Durability {
 public:
  explicit Durability(const ServerOptions& options, Env* env = Env::Default());
  ~Durability();  // Stop()s
  Durability(const Durability&) = delete;
  Durability& operator=(const Durability&) = delete;

  // Recovers *engine from the data directory and opens the log after it.
  // Corruption (naming file and offset) or IOError stop start-up.
  Status Open(Engine* engine, RecoveryStats* stats);

  // REQUIRES: Open() succeeded. Lives as long as this object. With --wal off
  // a NullJournal.
  Journal* journal();

  // Takes a snapshot of `engine` (guarded by `engine_mu`) now. Returns the
  // file name within the data directory and the sequence number it covers.
  // Logs one INFO line per snapshot written: how many steps, how long the
  // engine lock was held (longest step, all steps) and how long it all took.
  // When nothing was applied since the newest snapshot (taken or recovered)
  // and its file is still there, that one is returned and nothing written:
  // it holds the same state.
  Status Snapshot(Engine& engine, std::mutex& engine_mu, std::string* file, uint64_t* seq);

  // Takes a snapshot every --snapshot-interval on a thread of its own.
  void StartPeriodic(Engine& engine, std::mutex& engine_mu);
  // Stops the periodic snapshots and the log thread (after its last group).
  void Stop();

  // Longest time the engine lock was held by one snapshot step (µs, not the
  // wait for the lock), and the number of snapshots written: for /metrics
  // and the benchmarks.
  uint64_t longest_snapshot_stall_us() const { return longest_stall_us_; }
  uint64_t snapshots_written() const { return snapshots_written_; }

  // Appends the snapshots' and the log's series to a /metrics text
  // (docs/operations.md, "Metrics"). Any thread.
  void AppendMetrics(std::string* out) const;

 private:
  Status SnapshotLocked(Engine& engine, std::mutex& engine_mu, std::string* file, uint64_t* seq);
  // The periodic snapshot: none when nothing was applied since the newest.
  Status SnapshotIfChanged(Engine& engine, std::mutex& engine_mu);

  ServerOptions options_;
  Env* env_;
  int lock_fd_ = -1;  // flock()ed LOCK file of the data directory
  bool open_ = false;
  std::unique_ptr<WalJournal> journal_;  // null with --wal off
  NullJournal null_journal_;             // the journal with --wal off

  std::mutex snapshot_mu_;  // one snapshot at a time
  // The newest snapshot, written or recovered ("" and 0: none, and the
  // empty state needs none). Guarded by snapshot_mu_.
  std::string newest_snapshot_file_;
  // Written under snapshot_mu_; atomic so that /metrics reads it without.
  std::atomic<uint64_t> newest_snapshot_seq_{0};
  std::atomic<uint64_t> longest_stall_us_{0};
  std::atomic<uint64_t> snapshots_written_{0};
  // For /metrics, readable without snapshot_mu_ (held while one is written).
  std::atomic<uint64_t> snapshot_failures_{0};
  std::atomic<uint64_t> last_written_unix_us_{0};  // 0: none written by this process
  std::atomic<uint64_t> last_duration_us_{0};

  std::mutex periodic_mu_;
  std::condition_variable periodic_cv_;
  bool stopping_ = false;
  std::thread periodic_;
  std::thread cleanup_;  // removes the segments a snapshot found at start-up covers
};

// One log line on what recovery did: "recovered seq 1234 from … in 12 ms".
std::string RecoverySummary(const std::string& data_dir, const RecoveryStats& stats);
// The line logged every few seconds while a long recovery runs.
std::string RecoveryProgressLine(const std::string& data_dir, const RecoveryStats& r,
                                 size_t segments_done, size_t segments);

}  // namespace bangdan
