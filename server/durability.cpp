#include "durability.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "bangdan/snapshot.h"
#include "bangdan/wal.h"
#include "log.h"
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

// Writes all of `s` to `fd`, ignoring errors: the parent reads what arrives.
bool WriteAll(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = ::write(fd, s.data(), s.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    s.remove_prefix(static_cast<size_t>(n));
  }
  return true;
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
  s = Recover(env_, options_.data_dir, engine, stats);
  if (!s.ok()) return s;
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
  journal_ = std::make_unique<WalJournal>(std::move(wal));
  // A crash between a snapshot's rename and the deletion of the segments it
  // covers leaves them behind: they go now, so that they are not read at every
  // start — once the directory is synced, so that the snapshot's name is on
  // disk before the segments it replaces leave it.
  if (stats->snapshot_seq > 0 && env_->SyncDir(options_.data_dir).ok()) {
    journal_->DeleteSegmentsBefore(stats->snapshot_seq);
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
  return SnapshotLocked(engine, engine_mu, file, seq);
}

Status Durability::SnapshotLocked(Engine& engine, std::mutex& engine_mu, std::string* file,
                                  uint64_t* seq) {
  if (!open_) return Status::IOError("snapshot: the data directory is not open");
  // The child only serializes, into `memfd` (memory it shares with us), and
  // exits: while it lives, each page the engine writes to is copied first
  // (copy-on-write), which slows ingest down. Writing the file and syncing it
  // take longer than serializing; they happen here, in this thread, after the
  // child is gone.
  const int memfd = ::memfd_create("bangdan-snapshot", MFD_CLOEXEC);
  if (memfd < 0) return Status::IOError(std::string("snapshot: memfd_create: ") + strerror(errno));
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) {
    ::close(memfd);
    return Status::IOError(std::string("snapshot: pipe: ") + strerror(errno));
  }

  uint64_t at_seq = 0;
  const pid_t parent = ::getpid();
  pid_t pid;
  uint64_t fork_us = 0, held_us = 0;  // the stall ingest sees: the engine lock held
  {
    std::lock_guard lock(engine_mu);
    auto held_from = std::chrono::steady_clock::now();
    at_seq = engine.applied_seq();
    auto fork_from = std::chrono::steady_clock::now();
    pid = ::fork();
    if (pid != 0) {
      fork_us = MicrosSince(fork_from);
      held_us = MicrosSince(held_from);
      if (held_us > longest_stall_us_) longest_stall_us_ = held_us;
    }
  }
  const auto started = std::chrono::steady_clock::now();
  if (pid == 0) {
    // The child: a frozen copy of the engine at `at_seq`. Only this thread
    // exists here; it takes no lock that another thread might have held.
    // Die with the server: a child left after a kill -9 of its parent must
    // not hold the data directory's lock against the restarted server.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
    if (lock_fd_ >= 0) ::close(lock_fd_);
    ::close(pipe_fds[0]);
    std::string payload;
    engine.Serialize(&payload);
    const bool ok = WriteAll(memfd, payload);
    WriteAll(pipe_fds[1], ok ? "ok " + std::to_string(payload.size())
                             : std::string("error writing to memory: ") + strerror(errno));
    ::_exit(ok ? 0 : 1);
  }
  ::close(pipe_fds[1]);
  if (pid < 0) {
    ::close(pipe_fds[0]);
    ::close(memfd);
    return Status::IOError(std::string("snapshot: fork: ") + strerror(errno));
  }

  std::string reply;
  char buf[512];
  for (;;) {
    ssize_t n = ::read(pipe_fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    reply.append(buf, static_cast<size_t>(n));
  }
  ::close(pipe_fds[0]);
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  const uint64_t serialized_us = MicrosSince(started);
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0 || reply.rfind("ok ", 0) != 0) {
    ::close(memfd);
    if (reply.rfind("error ", 0) == 0) return Status::IOError("snapshot: " + reply.substr(6));
    return Status::IOError("snapshot: the serializing process died (status " +
                           std::to_string(wstatus) + ")");
  }
  const size_t size = std::strtoull(reply.c_str() + 3, nullptr, 10);
  void* map = size == 0 ? nullptr : ::mmap(nullptr, size, PROT_READ, MAP_SHARED, memfd, 0);
  ::close(memfd);  // the mapping keeps the memory
  if (map == MAP_FAILED) return Status::IOError(std::string("snapshot: mmap: ") + strerror(errno));
  std::string name;
  Status written = WriteSnapshot(env_, options_.data_dir, at_seq,
                                 std::string_view(static_cast<const char*>(map), size), &name);
  if (map != nullptr) ::munmap(map, size);
  if (!written.ok()) return Status::IOError("snapshot: " + written.ToString());
  snapshots_written_++;
  if (journal_ != nullptr) journal_->DeleteSegmentsBefore(at_seq);
  // One line per snapshot; bench/durability/run_snapshot_stall.sh reads it.
  LogInfo("snapshot " + name + " at seq " + std::to_string(at_seq) + ": fork " +
          Millis(fork_us) + " ms (engine lock held " + Millis(held_us) + " ms), serialized in " +
          Millis(serialized_us) + " ms, written in " + Millis(MicrosSince(started)) + " ms");
  if (file != nullptr) *file = name;
  if (seq != nullptr) *seq = at_seq;
  return Status::OK();
}

void Durability::StartPeriodic(Engine& engine, std::mutex& engine_mu) {
  if (options_.snapshot_interval_ms <= 0 || periodic_.joinable()) return;
  periodic_ = std::thread([this, &engine, &engine_mu] {
    uint64_t last_seq = 0;
    std::unique_lock lock(periodic_mu_);
    for (;;) {
      periodic_cv_.wait_for(lock, std::chrono::milliseconds(options_.snapshot_interval_ms),
                            [&] { return stopping_; });
      if (stopping_) return;
      {
        std::lock_guard engine_lock(engine_mu);
        if (engine.applied_seq() == last_seq) continue;  // nothing new to keep
      }
      lock.unlock();
      std::string file;
      uint64_t seq = 0;
      Status s = Snapshot(engine, engine_mu, &file, &seq);  // logs its own line
      if (s.ok()) {
        last_seq = seq;
      } else {
        LogError(s.message());
      }
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
  journal_.reset();  // finishes the queued groups, stops the log thread
  open_ = false;
  if (lock_fd_ >= 0) {
    ::close(lock_fd_);
    lock_fd_ = -1;
  }
}

}  // namespace bangdan
