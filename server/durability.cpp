#include "durability.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "bangdan/snapshot.h"
#include "bangdan/state_writer.h"
#include "bangdan/wal.h"
#include "log.h"
#include "metrics.h"
#include "thread_name.h"
#include "wal_journal.h"

namespace bangdan {
namespace {

uint64_t MicrosSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                               t0)
      .count();
}

// Microseconds as milliseconds with three decimals ("1.234").
std::string Millis(uint64_t us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(us) / 1000.0);
  return buf;
}

uint64_t AppliedSeq(Engine& engine, std::mutex& engine_mu) {
  std::lock_guard lock(engine_mu);
  return engine.applied_seq();
}

}  // namespace

std::string RecoverySummary(const std::string& data_dir, const RecoveryStats& r) {
  std::string line = "recovered " + data_dir + " to seq " + std::to_string(r.last_seq) + " in " +
                     std::to_string(r.elapsed_us / 1000) + " ms: ";
  line += r.snapshot_file.empty() ? std::string("no snapshot")
                                  : "snapshot " + r.snapshot_file + " (seq " +
                                        std::to_string(r.snapshot_seq) + ")";
  line += ", " + std::to_string(r.events_replayed) + " events replayed from " +
          std::to_string(r.segments_read) + " log segment(s)";
  if (r.events_replayed > 0 && r.elapsed_us > 0) {
    line += " (" + std::to_string(r.events_replayed * 1'000'000 / r.elapsed_us) + " events/s)";
  }
  if (r.replayed_without_sums) line += ", not summed: its keys hardly repeat";
  return line;
}

std::string RecoveryProgressLine(const std::string& data_dir, const RecoveryStats& r,
                                 size_t segments_done, size_t segments) {
  std::string line = "recovering " + data_dir + ": ";
  line += r.snapshot_file.empty() ? std::string("no snapshot")
                                  : "snapshot " + r.snapshot_file + " loaded";
  line += ", " + std::to_string(segments_done) + " of " + std::to_string(segments) +
          " log segment(s) replayed, " + std::to_string(r.events_replayed) + " events";
  if (r.events_replayed > 0 && r.elapsed_us > 0) {
    line += " (" + std::to_string(r.events_replayed * 1'000'000 / r.elapsed_us) + " events/s)";
  }
  line += ", " + std::to_string(r.elapsed_us / 1'000'000) + " s so far";
  return line;
}

Durability::Durability(const ServerOptions& options, Env* env) : options_(options), env_(env) {}

Durability::~Durability() { Stop(); }

Status Durability::Open(Engine* engine, RecoveryStats* stats) {
  // Two servers on one data directory would interleave their logs: the
  // second one is refused while the first holds the lock.
  Status s = env_->CreateDir(options_.data_dir);
  if (!s.ok()) return s;
  std::string lock_path = JoinPath(options_.data_dir, "LOCK");
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) return Status::IOError(lock_path + ": " + strerror(errno));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return Status::IOError(options_.data_dir + " is in use by another bangdan-server (" +
                           lock_path + " is locked)");
  }
  // A replay of millions of events takes tens of seconds: a line every 5 s
  // says how far it is (the summary line follows at the end).
  uint64_t next_line_us = 5'000'000;
  const std::string& dir = options_.data_dir;
  auto progress = [&](const RecoveryStats& r, size_t done, size_t segments) {
    if (done == segments || r.elapsed_us < next_line_us) return;
    next_line_us = r.elapsed_us + 5'000'000;
    LogInfo(RecoveryProgressLine(dir, r, done, segments));
  };
  s = Recover(env_, options_.data_dir, engine, stats, progress);
  if (!s.ok()) return s;
  {
    std::lock_guard lock(snapshot_mu_);
    newest_snapshot_file_ = stats->snapshot_file;
    newest_snapshot_seq_ = stats->snapshot_seq;
  }
  if (!options_.wal) {
    // Benchmarks only: measures the server without its log. Nothing is
    // written per event; what the newest snapshot does not hold is lost at
    // the next crash.
    LogWarn("--wal off: no log is written and acks are NOT durable: a crash loses every event "
            "since the last snapshot (for benchmarks only)");
    open_ = true;
    return Status::OK();
  }
  WalOptions wal_options;
  wal_options.fsync = options_.fsync;
  // Crash tests shrink segments so that rotations (and their kill point)
  // happen every few hundred events instead of every 64 MiB.
  if (const char* bytes = std::getenv("BANGDAN_TEST_SEGMENT_BYTES")) {
    wal_options.segment_bytes = std::strtoull(bytes, nullptr, 10);
  }
  std::unique_ptr<Wal> wal;
  s = Wal::Open(env_, options_.data_dir, wal_options, engine->applied_seq(), &wal);
  if (!s.ok()) return s;
  journal_ = std::make_unique<WalJournal>(std::move(wal), env_);
  // A crash between a snapshot's rename and the deletion of the segments it
  // covers leaves them behind: they go now, so that they are not read at every
  // start — once the directory is synced, so that the snapshot's name is on
  // disk before the segments it replaces leave it.
  // On a thread of its own: removing gigabytes of log takes seconds, and the
  // server need not wait for it to start serving.
  if (stats->snapshot_seq > 0 && env_->SyncDir(options_.data_dir).ok()) {
    cleanup_ = std::thread(
        [journal = journal_.get(), seq = stats->snapshot_seq] {
          SetThreadName("log-cleanup");
          journal->DeleteSegmentsBefore(seq);
        });
  }
  open_ = true;
  return Status::OK();
}

Journal* Durability::journal() {
  if (journal_ != nullptr) return journal_.get();
  return open_ ? &null_journal_ : nullptr;
}

Status Durability::Snapshot(Engine& engine, std::mutex& engine_mu, std::string* file,
                            uint64_t* seq) {
  std::lock_guard one_at_a_time(snapshot_mu_);
  if (open_ && !newest_snapshot_file_.empty() && AppliedSeq(engine, engine_mu) == newest_snapshot_seq_ &&
      env_->FileExists(JoinPath(options_.data_dir, newest_snapshot_file_))) {
    // Rewriting it would take as long as the first time, for the same state.
    LogInfo("snapshot not rewritten: " + newest_snapshot_file_ + " already holds seq " +
            std::to_string(newest_snapshot_seq_.load()));
    if (file != nullptr) *file = newest_snapshot_file_;
    if (seq != nullptr) *seq = newest_snapshot_seq_;
    return Status::OK();
  }
  Status s = SnapshotLocked(engine, engine_mu, file, seq);
  if (!s.ok()) snapshot_failures_++;
  return s;
}

Status Durability::SnapshotIfChanged(Engine& engine, std::mutex& engine_mu) {
  std::lock_guard one_at_a_time(snapshot_mu_);
  if (AppliedSeq(engine, engine_mu) == newest_snapshot_seq_) return Status::OK();  // nothing new
  Status s = SnapshotLocked(engine, engine_mu, nullptr, nullptr);
  if (!s.ok()) snapshot_failures_++;
  return s;
}

Status Durability::SnapshotLocked(Engine& engine, std::mutex& engine_mu, std::string* file,
                                  uint64_t* seq) {
  if (!open_) return Status::IOError("snapshot: the data directory is not open");
  // The state is written in steps of about kStepBytes, each under the engine
  // lock, with ingest running between them (StateWriter): a step holds the
  // lock ~1 ms. The memory a step writes is allocated and touched before it
  // takes the lock. Without a log (--wal off) nothing could make a state
  // written in steps exact again, so it is written in one step.
  constexpr size_t kStepBytes = size_t{1} << 20;
  const bool in_steps = journal_ != nullptr;
  const auto started = std::chrono::steady_clock::now();
  uint64_t longest_us = 0, held_total_us = 0, steps = 0;
  auto held = [&](std::chrono::steady_clock::time_point from) {
    const uint64_t us = MicrosSince(from);
    longest_us = std::max(longest_us, us);
    held_total_us += us;
    return us;
  };
  // Made and its memory reserved without the lock: the writer reads the
  // engine only in its steps. (An admin snapshot runs on a thread of its own,
  // whose first allocations came from a fresh allocator arena: up to 40 ms
  // of page faults, bench/RESULTS.md "Snapshot stall", once under the lock.)
  auto writer = std::make_unique<StateWriter>(engine);
  // Steps finish as long as each writes more than ingest adds meanwhile
  // (by far, at 1 MiB a step). Should ingest ever outpace them, the rest is
  // written in one step after kMaxStepping rather than chased for ever.
  constexpr auto kMaxStepping = std::chrono::seconds(60);
  bool warned = false;
  for (bool done = false; !done;) {
    writer->Reserve(kStepBytes + kStepBytes / 4);
    const bool overdue = std::chrono::steady_clock::now() - started > kMaxStepping;
    if (overdue && in_steps && !warned) {
      LogWarn("snapshot: still writing after 60 s of steps; writing the rest in one step");
      warned = true;
    }
    uint64_t step_us;
    {
      std::lock_guard lock(engine_mu);
      const auto from = std::chrono::steady_clock::now();
      done = writer->Step(in_steps && !overdue ? kStepBytes : SIZE_MAX);
      step_us = held(from);
    }
    ++steps;
    // Ingest gets the lock at least as long as a step held it: a snapshot
    // takes at most half of the engine's time (the lock is not fair).
    if (!done) std::this_thread::sleep_for(std::chrono::microseconds(std::max<uint64_t>(step_us, 200)));
  }
  if (longest_us > longest_stall_us_) longest_stall_us_ = longest_us;
  const uint64_t serialized_us = MicrosSince(started);
  const uint64_t at_seq = writer->begin_seq();
  // Replay from at_seq + 1 up to end_seq makes the state exact: the log must
  // hold those events on disk before the snapshot may stand in for it.
  if (journal_ != nullptr) {
    Status synced = journal_->SyncNow();
    if (!synced.ok()) return Status::IOError("snapshot: syncing the log: " + synced.message());
  }
  std::string name;
  Status written = WriteSnapshot(env_, options_.data_dir, at_seq, writer->Pieces(), &name);
  if (!written.ok()) return Status::IOError("snapshot: " + written.ToString());
  snapshots_written_++;
  newest_snapshot_file_ = name;
  newest_snapshot_seq_ = at_seq;
  last_duration_us_ = MicrosSince(started);
  last_written_unix_us_ = std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  if (journal_ != nullptr) journal_->DeleteSegmentsBefore(at_seq);
  // One line per snapshot; bench/durability/run_snapshot_stall.sh reads it.
  LogInfo("snapshot " + name + " at seq " + std::to_string(at_seq) + " (up to seq " +
          std::to_string(writer->end_seq()) + " in part): " + std::to_string(steps) +
          " steps, engine lock held " + Millis(longest_us) + " ms at most (" +
          Millis(held_total_us) + " ms in all), serialized in " + Millis(serialized_us) +
          " ms, written in " + Millis(last_duration_us_) + " ms");
  if (file != nullptr) *file = name;
  if (seq != nullptr) *seq = at_seq;
  return Status::OK();
}

void Durability::AppendMetrics(std::string* out) const {
  AppendMetric(out, "bangdan_snapshots_written_total", "counter", "Snapshots written.",
               snapshots_written_);
  AppendMetric(out, "bangdan_snapshot_failures_total", "counter",
               "Snapshots that could not be written (each logged as an ERROR).", snapshot_failures_);
  AppendMetric(out, "bangdan_snapshot_seq", "gauge",
               "Sequence number the newest snapshot in the data directory covers (0: none); "
               "a restart replays the log after it.",
               newest_snapshot_seq_);
  AppendSecondsMetric(out, "bangdan_snapshot_last_written_timestamp_seconds", "gauge",
                      "Unix time the newest snapshot written by this process was written (0: none yet).",
                      last_written_unix_us_);
  AppendSecondsMetric(out, "bangdan_snapshot_last_duration_seconds", "gauge",
                      "How long writing the newest snapshot took, from its first step to its rename.",
                      last_duration_us_);
  AppendSecondsMetric(out, "bangdan_snapshot_lock_held_max_seconds", "gauge",
                      "Longest time one snapshot step held the engine lock (ingest waits that long).",
                      longest_stall_us_);
  if (journal_ != nullptr) {
    journal_->AppendMetrics(out);
  } else {
    WalJournal::AppendNoMetrics(out);
  }
}

void Durability::StartPeriodic(Engine& engine, std::mutex& engine_mu) {
  if (options_.snapshot_interval_ms <= 0 || periodic_.joinable()) return;
  periodic_ = std::thread([this, &engine, &engine_mu] {
    SetThreadName("snapshot");
    std::unique_lock lock(periodic_mu_);
    for (;;) {
      periodic_cv_.wait_for(lock, std::chrono::milliseconds(options_.snapshot_interval_ms),
                            [&] { return stopping_; });
      if (stopping_) return;
      lock.unlock();
      Status s = SnapshotIfChanged(engine, engine_mu);  // a snapshot written logs its own line
      if (!s.ok()) LogError(s.message());
      lock.lock();
    }
  });
}

void Durability::Stop() {
  {
    std::lock_guard lock(periodic_mu_);
    stopping_ = true;
  }
  periodic_cv_.notify_all();
  if (periodic_.joinable()) periodic_.join();
  if (cleanup_.joinable()) cleanup_.join();
  journal_.reset();  // finishes the queued groups, stops the log thread
  open_ = false;
  if (lock_fd_ >= 0) {
    ::close(lock_fd_);
    lock_fd_ = -1;
  }
}

}  // namespace bangdan
