// WalJournal: the Journal of a server with a data directory — group commit
// on a thread of its own.
//
// The engine writer hands over one group at a time (all the frames it admitted
// while the previous group was being synced); this thread appends their
// records, fsyncs once, and reports the group durable. A failed write or fsync
// rolls the log back to its last durable record and fails the whole group: no
// ack is sent for what is not durable, and no fsync is ever retried as if it
// had worked. The next group tries again, so ingest resumes by itself once
// the disk recovers (e.g. space was freed).
//
// Thread safety: Commit and DeleteSegmentsBefore may be called from any
// thread; the Wal itself is touched by the journal's thread only.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bangdan/env.h"
#include "bangdan/wal.h"
#include "journal.h"
#include "log.h"
#include "metrics.h"

namespace bangdan {

class WalJournal final : public Journal {
 public:
  // `env` is the Wal's: covered segments are removed through it.
  WalJournal(std::unique_ptr<Wal> wal, Env* env);
  ~WalJournal() override;  // finishes queued work, then stops

  void Commit(const std::vector<JournalRecord>& records,
              std::function<void(Status)> done) override;

  // Removes the segments covered by a snapshot at `seq`: the journal's
  // thread lists them between two groups, the calling thread removes them
  // (in steps: RemoveFileInSteps), so group commit never waits for it.
  Status DeleteSegmentsBefore(uint64_t seq);
  // Makes every group committed so far durable whatever the fsync mode
  // (Wal::SyncNow on the journal's thread, between groups); waits for it.
  Status SyncNow();

  // Failed groups so far (for /metrics and tests).
  uint64_t failed_groups() const { return failed_groups_; }
  // Appends the log's series to a /metrics text: groups made durable and
  // failed, bytes made durable, and the time each group took to write and
  // sync (docs/operations.md, "Metrics").
  void AppendMetrics(std::string* out) const;
  // The same series, all zero: a server without a log (--wal off).
  static void AppendNoMetrics(std::string* out);

 private:
  struct Job {
    const std::vector<JournalRecord>* records = nullptr;  // null: `task`
    std::function<void(Status)> done;
    std::function<Status(Wal&)> task;  // run between two groups
  };
  void Run();
  // Runs `task` on the journal's thread between two groups; waits for it.
  Status OnLogThread(std::function<Status(Wal&)> task);
  Status Write(const std::vector<JournalRecord>& records);

  std::unique_ptr<Wal> wal_;
  Env* wal_env_;
  bool needs_rollback_ = false;
  // A full or failing disk fails every group, hundreds a second: their
  // ERROR lines are throttled, and one line says when groups last again.
  LogThrottle failure_log_;
  LogThrottle rollback_log_;
  uint64_t failed_in_a_row_ = 0;
  std::atomic<uint64_t> failed_groups_{0};
  std::atomic<uint64_t> durable_groups_{0};
  std::atomic<uint64_t> durable_bytes_{0};  // the Wal's, copied after each group
  LatencyHistogram group_latency_;          // write + sync of one group

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace bangdan
