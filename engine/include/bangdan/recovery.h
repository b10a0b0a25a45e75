// Recovery: bringing an Engine back to the state the data directory holds.
//
//   1. removes the *.tmp files of interrupted snapshots;
//   2. loads the newest snapshot (if any) with Engine::Deserialize;
//   3. replays, in order, every logged event after the snapshot's sequence
//      number with Engine::Replay.
// A torn record at the end of the last segment (the writer died mid-write)
// is cut off the file, with a warning. Anything else — a checksum failure
// elsewhere, a gap in the sequence, an unreadable newest snapshot — stops
// recovery with Corruption naming the file and the offset: never a silent
// loss.
//
// Start-up, in full:
//   LockDataDir(env, dir, &lock)      // held until exit
//   Recover(env, dir, &engine, &stats)
//   Wal::Open(env, dir, options, engine.applied_seq(), &wal)
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bangdan/engine.h"
#include "bangdan/env.h"
#include "bangdan/status.h"

namespace bangdan {

// Creates `dir` if needed and locks its file LOCK, so that no second process
// writes the same log; IOError naming the file if another one holds it.
Status LockDataDir(Env* env, const std::string& dir, std::unique_ptr<FileLock>* lock);

struct RecoveryStats {
  std::string snapshot_file;    // empty: started from an empty engine
  uint64_t snapshot_seq = 0;
  uint64_t last_seq = 0;        // the engine's applied_seq() at the end
  uint64_t events_replayed = 0;
  uint64_t bytes_read = 0;      // log bytes read (segments after the snapshot)
  uint64_t segments_read = 0;
  uint64_t torn_bytes_dropped = 0;  // cut off the last segment's tail
  uint64_t elapsed_us = 0;
  // The log's keys hardly repeated, so from some point its events went
  // straight onto the board entries instead of being summed first
  // (ReplayPipeline, docs/engine.md): the reason when replay is slower.
  bool replayed_without_sums = false;
  std::vector<std::string> warnings;  // one line each, for the log
};

// Told, during a long recovery, how far it got: after the snapshot is loaded
// (segments_done 0) and after each log segment is replayed. `so_far` holds
// the figures up to then, elapsed_us included.
using RecoveryProgress =
    std::function<void(const RecoveryStats& so_far, size_t segments_done, size_t segments)>;

// REQUIRES: `engine` is freshly constructed (with the server's options).
// Creates `dir` if it does not exist. `progress` may be empty.
Status Recover(Env* env, const std::string& dir, Engine* engine, RecoveryStats* stats,
               const RecoveryProgress& progress = {});

}  // namespace bangdan
