// Wal: the write-ahead log — one record per accepted event, in segment files
// `wal-<first seq, 20 digits>.log` of the data directory (docs/format.md).
//
// Life cycle: Recover() (recovery.h) brings an Engine up to the end of the
// log; Wal::Open then starts a fresh segment after it, and the log thread
//   Append()s the events of a group, Sync()s once, acks the group;
//   on any error: Rollback(), Engine::Unadmit(wal->durable_seq()), nack.
//
// Durability: after Sync() returns OK, every record appended so far is
// durable under the mode (kAlways: fsynced; kNone: written to the kernel,
// which survives a crash of the process but not of the machine).
//
// Failure handling: a failed Append or Sync leaves the Wal refusing further
// writes until Rollback() cuts the log back to the last durable record, so no
// record that was never acknowledged is replayed later. An fsync error is
// never retried on the same file (a second fsync may "succeed" after the
// kernel dropped the dirty pages): that segment is closed and a new one is
// started, named after the first sequence number it will hold; recovery
// ignores what an older segment holds at or beyond its successor's first
// sequence number.
//
// Thread safety: none; one thread (the log thread) owns the Wal.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>
#include <string_view>

#include "bangdan/env.h"
#include "bangdan/event.h"
#include "bangdan/status.h"

namespace bangdan {

enum class FsyncMode : uint8_t {
  kAlways,  // Sync() = write + fdatasync (--fsync always)
  kNone,    // Sync() = write only (--fsync none)
};

struct WalOptions {
  FsyncMode fsync = FsyncMode::kAlways;
  // A segment that has reached this size is closed before the next group
  // starts (a group is never split over two segments).
  uint64_t segment_bytes = 64ull << 20;
  // Appended bytes are written early once this many are buffered, so a big
  // group does not hold it all in memory.
  size_t write_buffer_bytes = 1 << 20;
};

class Wal {
 public:
  // Starts a fresh segment `wal-<last_seq + 1>.log` in `dir` for appending.
  // REQUIRES: the log in `dir` ends at `last_seq` (Recover() was run and the
  // engine's applied_seq() is passed here).
  static Status Open(Env* env, std::string dir, WalOptions options, uint64_t last_seq,
                     std::unique_ptr<Wal>* result);
  ~Wal();
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // Buffers the record of an accepted event (writing early when the buffer
  // is full). REQUIRES: seq == appended_seq() + 1.
  Status Append(const Event& e, uint64_t seq, int64_t recv_ms);
  // Writes what is buffered and, under kAlways, fsyncs it.
  Status Sync();
  // Between groups: makes everything written so far durable, whatever the
  // fsync mode (under kNone: one fsync of the current segment; finished
  // segments were synced when they were closed). For snapshots, which may
  // rely on the log up to the last applied event.
  Status SyncNow();
  // After a failed Append or Sync: forgets every record after durable_seq()
  // (truncating the segment, or closing it and starting a new one after an
  // fsync error). May itself fail (e.g. the disk is still full); then the
  // Wal keeps refusing writes and Rollback can be called again later.
  Status Rollback();
  // Between groups, after a snapshot at `seq` is on disk: if the current
  // segment holds records and none after `seq`, closes it (synced) and
  // starts the next, so that the snapshot covers it whole and it can go —
  // else a server that is idle after a snapshot, or stopped with one, would
  // keep a log the snapshot makes useless until the next snapshot.
  Status CloseSegmentIfCovered(uint64_t seq);
  // Removes the segments whose records all have seq <= `seq` (covered by a
  // snapshot at `seq`). The current segment is never removed. Large files
  // go in steps (RemoveFileInSteps).
  Status DeleteSegmentsBefore(uint64_t seq);
  // The paths of those segments, for removal elsewhere: removing hundreds of
  // MiB takes a while, and the log's own thread has groups to commit.
  Status CoveredSegments(uint64_t seq, std::vector<std::string>* paths) const;
  // Removes one such segment, in steps, and the bytes recovery kept from its
  // torn tail (<path>.torn), if any.
  static Status RemoveSegment(Env* env, const std::string& path);

  uint64_t durable_seq() const;   // last record made durable by Sync
  uint64_t appended_seq() const;  // last record given to Append
  // Bytes of the log (framing included) made durable by Sync over this
  // Wal's life, in every segment: what the disk took.
  uint64_t durable_bytes() const;
  const std::string& segment_name() const;  // the segment being written

 private:
  struct Impl;
  explicit Wal(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Crash testing: when the environment variable BANGDAN_KILL_POINT is
// "<name>:<n>" (n defaults to 1), the n-th call of KillPoint("<name>") in this
// process kills it with SIGKILL, as `kill -9` would. Otherwise a no-op costing
// one comparison. Points in storage: "after_write_before_fsync",
// "mid_segment_rotation", "mid_snapshot_rename", "after_snapshot_rename";
// the server adds its own (e.g. "after_fsync_before_ack"). The snapshot
// points fire in whichever process writes the snapshot file (the server).
void KillPoint(std::string_view name);

}  // namespace bangdan
