// PosixEnv: the Env of the real file system.
//
// Writes go straight to write(2)/pwrite(2): the Wal does its own buffering,
// in groups, so a second buffer here would only add a copy. Sync is
// fdatasync: the log needs the data and the file size, not the timestamps.
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "bangdan/env.h"

namespace bangdan {
namespace {

class StringContents final : public FileContents {
 public:
  std::string bytes;
  std::string_view data() const override { return bytes; }
};

class MappedContents final : public FileContents {
 public:
  MappedContents(void* base, size_t size) : base_(base), size_(size) {}
  ~MappedContents() override {
    if (size_ > 0) ::munmap(base_, size_);
  }
  std::string_view data() const override { return {static_cast<const char*>(base_), size_}; }

 private:
  void* base_;
  size_t size_;
};

Status PosixError(const std::string& context, int err) {
  std::string msg = context + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) return Status::NoSpace(std::move(msg));
  return Status::IOError(std::move(msg));
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Append(std::string_view data) override {
    const char* p = data.data();
    size_t left = data.size();
    while (left > 0) {
      ssize_t n = ::pwrite(fd_, p, left, static_cast<off_t>(size_));
      if (n < 0) {
        if (errno == EINTR) continue;
        return PosixError(path_ + ": write", errno);
      }
      // A short write is not an error by itself; the next pwrite reports why.
      p += n;
      left -= static_cast<size_t>(n);
      size_ += static_cast<uint64_t>(n);
    }
    return Status::OK();
  }

  Status Sync() override {
    if (::fdatasync(fd_) != 0) return PosixError(path_ + ": fdatasync", errno);
    return Status::OK();
  }

  Status Truncate(uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      return PosixError(path_ + ": ftruncate", errno);
    }
    size_ = size;
    return Status::OK();
  }

  Status Close() override {
    int fd = fd_;
    fd_ = -1;
    if (fd >= 0 && ::close(fd) != 0) return PosixError(path_ + ": close", errno);
    return Status::OK();
  }

  uint64_t Size() const override { return size_; }

 private:
  const std::string path_;
  int fd_;
  uint64_t size_ = 0;
};

// flock(2) rather than fcntl locks: an flock lock belongs to the open file,
// so a second LockFile in the same process fails too (as it should), and
// closing an unrelated descriptor of the file does not drop it.
class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override { ::close(fd_); }  // releases the lock

 private:
  const int fd_;
};

class PosixEnv final : public Env {
 public:
  Status NewWritableFile(const std::string& path,
                         std::unique_ptr<WritableFile>* result) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return PosixError(path + ": open", errno);
    *result = std::make_unique<PosixWritableFile>(path, fd);
    return Status::OK();
  }

  // Opens `path` read-only; *size is its size now.
  static Status OpenForReading(const std::string& path, int* fd, size_t* size) {
    *fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (*fd < 0) return PosixError(path + ": open", errno);
    struct stat st;
    if (::fstat(*fd, &st) != 0) {
      int err = errno;
      ::close(*fd);
      return PosixError(path + ": fstat", err);
    }
    *size = static_cast<size_t>(st.st_size);
    return Status::OK();
  }

  Status ReadFile(const std::string& path, std::string* out) override {
    out->clear();
    int fd = -1;
    size_t size = 0;
    Status s = OpenForReading(path, &fd, &size);
    if (!s.ok()) return s;
    out->resize(size);
    size_t done = 0;
    while (done < out->size()) {
      ssize_t n = ::pread(fd, out->data() + done, out->size() - done, static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        int err = errno;
        ::close(fd);
        return PosixError(path + ": read", err);
      }
      if (n == 0) break;  // shrank while we read: keep what was there
      done += static_cast<size_t>(n);
    }
    out->resize(done);
    ::close(fd);
    return Status::OK();
  }

  // Mapped, with its pages mapped at once (MAP_POPULATE): a file in the page
  // cache is then neither zero-filled nor copied, and the reader takes no
  // page fault per 4 KiB.
  Status ReadFileContents(const std::string& path,
                          std::unique_ptr<FileContents>* out) override {
    int fd = -1;
    size_t size = 0;
    Status s = OpenForReading(path, &fd, &size);
    if (!s.ok()) return s;
    void* base = nullptr;
    if (size > 0) {
      base = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
      if (base == MAP_FAILED) {
        int err = errno;
        ::close(fd);
        return PosixError(path + ": mmap", err);
      }
    }
    ::close(fd);  // the mapping keeps the file
    *out = std::make_unique<MappedContents>(base, size);
    return Status::OK();
  }

  Status FileSize(const std::string& path, uint64_t* size) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return PosixError(path + ": stat", errno);
    *size = static_cast<uint64_t>(st.st_size);
    return Status::OK();
  }

  bool FileExists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

  Status TruncateFile(const std::string& path, uint64_t size) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return PosixError(path + ": open", errno);
    Status s;
    if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
      s = PosixError(path + ": ftruncate", errno);
    } else if (::fsync(fd) != 0) {
      s = PosixError(path + ": fsync", errno);
    }
    ::close(fd);
    return s;
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return PosixError("rename " + from + " to " + to, errno);
    }
    return Status::OK();
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return PosixError(path + ": unlink", errno);
    return Status::OK();
  }

  Status GetChildren(const std::string& dir, std::vector<std::string>* names) override {
    names->clear();
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return PosixError(dir + ": opendir", errno);
    while (struct dirent* entry = ::readdir(d)) {
      std::string_view name = entry->d_name;
      if (name == "." || name == "..") continue;
      names->emplace_back(name);
    }
    ::closedir(d);
    return Status::OK();
  }

  Status CreateDir(const std::string& dir) override {
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      return PosixError(dir + ": mkdir", errno);
    }
    return Status::OK();
  }

  Status SyncDir(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return PosixError(dir + ": open", errno);
    Status s;
    if (::fsync(fd) != 0) s = PosixError(dir + ": fsync", errno);
    ::close(fd);
    return s;
  }

  Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) override {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return PosixError(path + ": open", errno);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK) {
        return Status::IOError(path + ": locked by another process using the data directory");
      }
      return PosixError(path + ": flock", err);
    }
    *lock = std::make_unique<PosixFileLock>(fd);
    return Status::OK();
  }

  std::unique_ptr<Helper> NewHelper() override;
};

// One thread, started with the helper and joined when it is destroyed, that
// runs one piece of work at a time.
//
// Replay hands it a batch every few hundred microseconds and waits for it as
// often. Both sides spin a little before they sleep: on a virtual machine,
// waking a thread that sleeps costs tens of microseconds (the idle CPU must
// be scheduled again), which at that rate was a fifth of replay's time.
class ThreadHelper final : public Helper {
 public:
  ThreadHelper() : thread_([this] { Run(); }) {}
  ~ThreadHelper() override {
    {
      std::lock_guard lock(mu_);
      quit_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void Start(std::function<void()> work) override {
    {
      std::lock_guard lock(mu_);
      work_ = std::move(work);
      busy_ = true;
      busy_spin_.store(true, std::memory_order_relaxed);
      has_work_.store(true, std::memory_order_release);
    }
    cv_.notify_all();
  }
  void Wait() override {
    SpinWhile([this] { return busy_spin_.load(std::memory_order_acquire); });
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return !busy_; });
  }

 private:
  // Spins while busy() holds, for at most kSpin.
  template <typename Busy>
  static void SpinWhile(Busy busy) {
    constexpr auto kSpin = std::chrono::microseconds(100);
    const auto until = std::chrono::steady_clock::now() + kSpin;
    for (int i = 0; busy(); ++i) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();  // lets the other hyperthread run, saves power
#endif
      if (i % 64 == 63 && std::chrono::steady_clock::now() > until) return;
    }
  }

  void Run() {
    std::unique_lock lock(mu_);
    for (;;) {
      if (work_ == nullptr && !quit_) {
        lock.unlock();
        SpinWhile([this] { return !has_work_.load(std::memory_order_acquire); });
        lock.lock();
      }
      cv_.wait(lock, [this] { return quit_ || work_ != nullptr; });
      if (work_ == nullptr) return;  // quit, nothing left to do
      std::function<void()> work = std::move(work_);
      work_ = nullptr;
      has_work_.store(false, std::memory_order_relaxed);
      lock.unlock();
      work();
      lock.lock();
      busy_ = false;
      busy_spin_.store(false, std::memory_order_release);
      cv_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::function<void()> work_;  // guarded by mu_; null: none waiting
  bool busy_ = false;           // guarded by mu_: started and not done
  bool quit_ = false;           // guarded by mu_
  // Mirrors of work_ != nullptr and of busy_ for the spinning side; mu_ and
  // the fields it guards stay what decides.
  std::atomic<bool> has_work_{false};
  std::atomic<bool> busy_spin_{false};
  std::thread thread_;  // last: starts once the rest is ready
};

}  // namespace

std::unique_ptr<Helper> PosixEnv::NewHelper() { return std::make_unique<ThreadHelper>(); }

WritableFile::~WritableFile() = default;
FileContents::~FileContents() = default;

Status Env::ReadFileContents(const std::string& path, std::unique_ptr<FileContents>* out) {
  auto contents = std::make_unique<StringContents>();
  Status s = ReadFile(path, &contents->bytes);
  if (s.ok()) *out = std::move(contents);
  return s;
}
FileLock::~FileLock() = default;
Env::~Env() = default;

std::unique_ptr<Helper> Env::NewHelper() { return nullptr; }

Env* Env::Default() {
  static PosixEnv* env = new PosixEnv();  // never deleted: used until exit
  return env;
}

Status RemoveFileInSteps(Env* env, const std::string& path) {
  constexpr uint64_t kStep = uint64_t{32} << 20;
  uint64_t size = 0;
  if (env->FileSize(path, &size).ok()) {
    // Each cut is synced (TruncateFile): a short transaction of its own.
    while (size > kStep && env->TruncateFile(path, size - kStep).ok()) size -= kStep;
  }
  return env->RemoveFile(path);
}

Status WriteStringToFileSync(Env* env, std::string_view data, const std::string& path) {
  std::unique_ptr<WritableFile> file;
  Status s = env->NewWritableFile(path, &file);
  if (!s.ok()) return s;
  s = file->Append(data);
  if (s.ok()) s = file->Sync();
  Status c = file->Close();
  if (s.ok()) s = c;
  return s;
}

}  // namespace bangdan
