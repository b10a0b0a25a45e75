#include "wal_journal.h"

#include <chrono>
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
    Status r = Wal::RemoveSegment(wal_env_, path);
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
    const auto started = std::chrono::steady_clock::now();
    Status s = Write(*job.records);
    if (s.ok()) {
      KillPoint("after_fsync_before_ack");
      if (failed_in_a_row_ > 0) {
        LogInfo("log: groups durable again, after " + std::to_string(failed_in_a_row_) + " failed");
        failed_in_a_row_ = 0;
        failure_log_.Reset();
        rollback_log_.Reset();
      }
      if (!job.records->empty()) {  // an empty group writes nothing
        const auto took = std::chrono::steady_clock::now() - started;
        group_latency_.Record(
            static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(took).count()));
        durable_groups_.fetch_add(1, std::memory_order_relaxed);
        durable_bytes_.store(wal_->durable_bytes(), std::memory_order_relaxed);
      }
    } else {
      failed_groups_++;
      failed_in_a_row_++;
      if (uint64_t n = failure_log_.Note(started); n > 0) {
        std::string line = "log: group of " + std::to_string(job.records->size()) +
                           " events not durable: " + s.message();
        if (n > 1) line += " (" + std::to_string(n) + " groups failed since the last such line)";
        LogError(line);
      }
      needs_rollback_ = true;
      Status r = wal_->Rollback();
      if (r.ok()) {
        needs_rollback_ = false;
      } else if (uint64_t n = rollback_log_.Note(started); n > 0) {
        std::string line = "log: rollback failed, will retry before the next group: " + r.message();
        if (n > 1) line += " (" + std::to_string(n) + " rollbacks failed since the last such line)";
        LogError(line);
      }
    }
    job.done(s);
  }
}

namespace {

void AppendLogSeries(std::string* out, uint64_t groups, uint64_t failed, uint64_t bytes,
                     const LatencyHistogram& latency) {
  AppendMetric(out, "bangdan_log_groups_total", "counter",
               "Groups of events made durable in the write-ahead log (one write and one fsync each).",
               groups);
  AppendMetric(out, "bangdan_log_group_failures_total", "counter",
               "Groups the log could not make durable (their frames were answered with an error).",
               failed);
  AppendMetric(out, "bangdan_log_bytes_total", "counter",
               "Bytes of log records made durable, framing included.", bytes);
  AppendHistogram(out, "bangdan_log_group_seconds",
                  "Time the log took to write and sync one group.", latency);
}

}  // namespace

void WalJournal::AppendMetrics(std::string* out) const {
  AppendLogSeries(out, durable_groups_.load(std::memory_order_relaxed),
                  failed_groups_.load(std::memory_order_relaxed),
                  durable_bytes_.load(std::memory_order_relaxed), group_latency_);
}

void WalJournal::AppendNoMetrics(std::string* out) {
  AppendLogSeries(out, 0, 0, 0, LatencyHistogram());
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
