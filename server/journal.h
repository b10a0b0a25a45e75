// Journal: the seam where durability sits between "admitted" and "applied".
//
// The engine writer admits the events of many frames from many connections
// (dedup, sequence numbers), hands them to the journal as one group, and only
// when the journal reports them durable applies them to the boards and acks
// them — so that queries, pushes and acks never show what a crash could take
// back (SPEC §3, §6). One Commit is one group commit: one write, one fsync.
//
// Pipelining: Commit runs on the journal's own thread (or inline) while the
// writer admits the next group and applies the one before; the writer issues
// the next Commit only after the previous one's `done` reported success (after
// a failure, the next group is admitted again first).
//
// Failure: `done(error)` means none of the group is durable. The writer then
// takes the admissions back (Engine::Unadmit) and every frame of the group
// gets {"type":"error","batch":…,"error":"not durable: <message>"}.
#pragma once

#include <functional>
#include <vector>

#include "bangdan/engine.h"
#include "bangdan/event.h"
#include "bangdan/status.h"

namespace bangdan {

// An accepted event: its event stays valid until `done` has been called; its
// admission holds seq, ts_ms and recv_ms. The engine applies these as they are.
using JournalRecord = AdmittedEvent;

class Journal {
 public:
  virtual ~Journal() = default;

  // Makes `records` durable, in order. Their sequence numbers are contiguous
  // and follow those of the previous Commit. `records` stays valid and
  // unchanged until `done` is called. `done` is called exactly once, on any
  // thread, possibly before Commit returns. An empty group is valid (frames
  // that accepted nothing still wait for the groups before them).
  virtual void Commit(const std::vector<JournalRecord>& records,
                      std::function<void(Status)> done) = 0;
};

// No log at all: an event is "durable" once admitted. For tests, for a
// Server without a data directory, and for --wal off (benchmarks only).
class NullJournal final : public Journal {
 public:
  void Commit(const std::vector<JournalRecord>&, std::function<void(Status)> done) override {
    done(Status::OK());
  }
};

}  // namespace bangdan
