#include "wal_journal.h"

#include <future>

#include "log.h"

namespace bangdan {

WalJournal::WalJournal(std::unique_ptr<Wal> wal) : wal_(std::move(wal)) {
  thread_ = std::thread([this] { Run(); });
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
    jobs_.push_back(Job{&records, std::move(done), 0});
  }
  cv_.notify_one();
}

void WalJournal::DeleteSegmentsBefore(uint64_t seq) {
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(Job{nullptr, nullptr, seq});
  }
  cv_.notify_one();
}

Status WalJournal::SyncNow() {
  std::promise<Status> synced;
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(Job{nullptr, [&synced](Status s) { synced.set_value(s); }, 0, true});
  }
  cv_.notify_one();
  return synced.get_future().get();
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
    if (job.sync) {
      job.done(needs_rollback_ ? Status::IOError("log: not writable") : wal_->SyncNow());
      continue;
    }
    if (job.records == nullptr) {
      Status s = wal_->DeleteSegmentsBefore(job.delete_before);
      if (!s.ok()) LogWarn("log: cannot remove segments covered by a snapshot: " + s.message());
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
