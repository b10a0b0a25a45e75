#include "wal_journal.h"

#include <future>

#include "log.h"
#include "thread_name.h"

namespace bangdan {

WalJournal::WalJournal(std::unique_ptr<Wal> wal, Env* env) : wal_(std::move(wal)), wal_env_(env) {
  thread_ = std::thread([this] {
    SetThreadName("log");
    Run();
  });
}

WalJournal::~WalJournal() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void WalJournal::Commit(const std::vector<JournalRecord>& records,
                        std::function<void(Status)> done) {
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(Job{&records, std::move(done), nullptr});
  }
  cv_.notify_one();
}

Status WalJournal::OnLogThread(std::function<Status(Wal&)> task) {
  std::promise<Status> finished;
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(Job{nullptr, [&finished](Status s) { finished.set_value(s); }, std::move(task)});
  }
  cv_.notify_one();
  return finished.get_future().get();
}

Status WalJournal::DeleteSegmentsBefore(uint64_t seq) {
  std::vector<std::string> paths;
  Status s = OnLogThread([this, seq, &paths](Wal& wal) {
    if (!needs_rollback_) {
      Status closed = wal.CloseSegmentIfCovered(seq);
      if (!closed.ok()) {
        // The log is failed as a failed group leaves it: the next group
        // rolls it back first.
        needs_rollback_ = true;
        return closed;
      }
    }
    return wal.CoveredSegments(seq, &paths);
  });
  for (const std::string& path : paths) {
    Status r = RemoveFileInSteps(wal_env_, path);
    if (!r.ok() && s.ok()) s = r;
  }
  if (!s.ok()) LogWarn("log: cannot remove segments covered by a snapshot: " + s.message());
  return s;
}

Status WalJournal::SyncNow() {
  return OnLogThread([this](Wal& wal) {
    return needs_rollback_ ? Status::IOError("log: not writable") : wal.SyncNow();
  });
}

void WalJournal::Run() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, and nothing left to do
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    if (job.records == nullptr) {
      job.done(job.task(*wal_));
      continue;
    }
    Status s = Write(*job.records);
    if (s.ok()) {
      KillPoint("after_fsync_before_ack");
    } else {
      failed_groups_++;
      LogError("log: group of " + std::to_string(job.records->size()) +
               " events not durable: " + s.message());
      needs_rollback_ = true;
      Status r = wal_->Rollback();
      if (r.ok()) {
        needs_rollback_ = false;
      } else {
        LogError("log: rollback failed, will retry before the next group: " + r.message());
      }
    }
    job.done(s);
  }
}

Status WalJournal::Write(const std::vector<JournalRecord>& records) {
  if (needs_rollback_) {
    Status r = wal_->Rollback();
    if (!r.ok()) return r;
    needs_rollback_ = false;
    LogInfo("log: writable again");
  }
  if (records.empty()) return Status::OK();
  for (const JournalRecord& rec : records) {
    Status s = wal_->Append(*rec.event, rec.admission.seq, rec.admission.recv_ms);
    if (!s.ok()) return s;
  }
  return wal_->Sync();
}

}  // namespace bangdan
