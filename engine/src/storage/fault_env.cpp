// FaultEnv: see fault_env.h. An inode is shared by every name that refers to
// it (a rename keeps the durable name pointing at the same inode until the
// directory is synced), which is how a crash can bring back an old name.
#include "storage/fault_env.h"

#include <chrono>
#include <thread>

namespace bangdan {

struct FaultEnv::Inode {
  std::string data;    // what reads see now (the page cache)
  std::string synced;  // what survives a crash
  bool sync_failed = false;
};

class FaultEnv::File final : public WritableFile {
 public:
  File(FaultEnv* env, std::string path, std::shared_ptr<Inode> inode)
      : env_(env), path_(std::move(path)), inode_(std::move(inode)) {}

  Status Append(std::string_view data) override {
    std::lock_guard<std::mutex> lock(env_->mu_);
    if (closed_) return Status::IOError(path_ + ": write after close");
    size_t partial = 0;
    Status s = env_->WriteFault(path_, data.size(), &partial);
    if (!s.ok()) {
      inode_->data.append(data.substr(0, partial));
      return s;
    }
    inode_->data.append(data);
    return Status::OK();
  }

  Status Sync() override {
    int64_t delay;
    {
      std::lock_guard<std::mutex> lock(env_->mu_);
      delay = env_->sync_delay_micros_;
    }
    if (delay > 0) std::this_thread::sleep_for(std::chrono::microseconds(delay));
    std::lock_guard<std::mutex> lock(env_->mu_);
    if (closed_) return Status::IOError(path_ + ": sync after close");
    Status s = env_->SyncFault(path_, inode_.get());
    if (s.ok()) inode_->synced = inode_->data;
    return s;
  }

  Status Truncate(uint64_t size) override {
    std::lock_guard<std::mutex> lock(env_->mu_);
    if (closed_) return Status::IOError(path_ + ": truncate after close");
    inode_->data.resize(size);
    return Status::OK();
  }

  Status Close() override {
    std::lock_guard<std::mutex> lock(env_->mu_);
    closed_ = true;
    return Status::OK();
  }

  uint64_t Size() const override {
    std::lock_guard<std::mutex> lock(env_->mu_);
    return inode_->data.size();
  }

 private:
  FaultEnv* const env_;
  const std::string path_;
  std::shared_ptr<Inode> inode_;
  bool closed_ = false;
};

class FaultEnv::Lock final : public FileLock {
 public:
  Lock(FaultEnv* env, std::string path) : env_(env), path_(std::move(path)) {}
  ~Lock() override {
    std::lock_guard<std::mutex> lock(env_->mu_);
    env_->locked_.erase(path_);
  }

 private:
  FaultEnv* const env_;
  const std::string path_;
};

FaultEnv::FaultEnv() = default;
FaultEnv::~FaultEnv() = default;

Status FaultEnv::WriteFault(const std::string& path, size_t size, size_t* partial) {
  if (write_failures_ == 0) return Status::OK();
  if (write_skip_ > 0) {
    --write_skip_;
    return Status::OK();
  }
  --write_failures_;
  *partial = std::min(write_partial_, size);
  if (write_no_space_) return Status::NoSpace(path + ": write: No space left on device");
  return Status::IOError(path + ": write: Input/output error");
}

Status FaultEnv::SyncFault(const std::string& path, Inode* inode) {
  ++file_syncs_;
  if (inode->sync_failed) ++syncs_after_failed_sync_;
  if (sync_failures_ == 0) return Status::OK();
  if (sync_skip_ > 0) {
    --sync_skip_;
    return Status::OK();
  }
  --sync_failures_;
  inode->sync_failed = true;
  return Status::IOError(path + ": fdatasync: Input/output error");
}

Status FaultEnv::NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* result) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = live_.find(path);
  std::shared_ptr<Inode> inode;
  if (it != live_.end()) {
    inode = it->second;  // O_TRUNC keeps the inode, empties it
    inode->data.clear();
  } else {
    inode = std::make_shared<Inode>();
    live_[path] = inode;
  }
  *result = std::make_unique<File>(this, path, std::move(inode));
  return Status::OK();
}

Status FaultEnv::ReadFile(const std::string& path, std::string* out) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = live_.find(path);
  if (it == live_.end()) return Status::IOError(path + ": open: No such file or directory");
  *out = it->second->data;
  return Status::OK();
}

Status FaultEnv::FileSize(const std::string& path, uint64_t* size) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = live_.find(path);
  if (it == live_.end()) return Status::IOError(path + ": stat: No such file or directory");
  *size = it->second->data.size();
  return Status::OK();
}

bool FaultEnv::FileExists(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  return live_.count(path) != 0 || dirs_.count(path) != 0;
}

Status FaultEnv::TruncateFile(const std::string& path, uint64_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = live_.find(path);
  if (it == live_.end()) return Status::IOError(path + ": open: No such file or directory");
  Status s = SyncFault(path, it->second.get());
  it->second->data.resize(size);
  if (s.ok()) it->second->synced = it->second->data;
  return s;
}

Status FaultEnv::RenameFile(const std::string& from, const std::string& to) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = live_.find(from);
  if (it == live_.end()) {
    return Status::IOError("rename " + from + " to " + to + ": No such file or directory");
  }
  live_[to] = it->second;
  live_.erase(from);
  return Status::OK();
}

Status FaultEnv::RemoveFile(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (live_.erase(path) == 0) return Status::IOError(path + ": unlink: No such file or directory");
  return Status::OK();
}

static bool IsChildOf(const std::string& path, const std::string& dir) {
  std::string prefix = dir.empty() || dir.back() == '/' ? dir : dir + "/";
  return path.size() > prefix.size() && path.compare(0, prefix.size(), prefix) == 0 &&
         path.find('/', prefix.size()) == std::string::npos;
}

Status FaultEnv::GetChildren(const std::string& dir, std::vector<std::string>* names) {
  std::lock_guard<std::mutex> lock(mu_);
  names->clear();
  if (dirs_.count(dir) == 0) return Status::IOError(dir + ": opendir: No such file or directory");
  size_t prefix = dir.size() + (dir.back() == '/' ? 0 : 1);
  for (const auto& [path, inode] : live_) {
    if (IsChildOf(path, dir)) names->push_back(path.substr(prefix));
  }
  return Status::OK();
}

Status FaultEnv::CreateDir(const std::string& dir) {
  std::lock_guard<std::mutex> lock(mu_);
  dirs_.insert(dir);  // directories themselves are taken to be durable
  return Status::OK();
}

Status FaultEnv::SyncDir(const std::string& dir) {
  std::lock_guard<std::mutex> lock(mu_);
  if (dir_sync_failures_ > 0) {
    --dir_sync_failures_;
    return Status::IOError(dir + ": fsync: Input/output error");
  }
  for (auto it = durable_.begin(); it != durable_.end();) {
    it = IsChildOf(it->first, dir) ? durable_.erase(it) : std::next(it);
  }
  for (const auto& [path, inode] : live_) {
    if (IsChildOf(path, dir)) durable_[path] = inode;
  }
  return Status::OK();
}

Status FaultEnv::LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) {
  std::lock_guard<std::mutex> guard(mu_);
  if (!locked_.insert(path).second) {
    return Status::IOError(path + ": locked by another process using the data directory");
  }
  if (live_.count(path) == 0) live_[path] = std::make_shared<Inode>();
  *lock = std::make_unique<Lock>(this, path);
  return Status::OK();
}

void FaultEnv::FailWrites(bool no_space, size_t partial_bytes, int count, int skip) {
  std::lock_guard<std::mutex> lock(mu_);
  write_no_space_ = no_space;
  write_partial_ = partial_bytes;
  write_failures_ = count;
  write_skip_ = skip;
}

void FaultEnv::FailSyncs(int count, int skip) {
  std::lock_guard<std::mutex> lock(mu_);
  sync_failures_ = count;
  sync_skip_ = skip;
}

void FaultEnv::FailDirSyncs(int count) {
  std::lock_guard<std::mutex> lock(mu_);
  dir_sync_failures_ = count;
}

void FaultEnv::SetSyncDelayMicros(int64_t micros) {
  std::lock_guard<std::mutex> lock(mu_);
  sync_delay_micros_ = micros;
}

void FaultEnv::SimulateCrash() {
  std::lock_guard<std::mutex> lock(mu_);
  live_ = durable_;
  for (auto& [path, inode] : live_) {
    inode->data = inode->synced;
    inode->sync_failed = false;
  }
}

void FaultEnv::PutDurableFile(const std::string& path, const std::string& data) {
  std::lock_guard<std::mutex> lock(mu_);
  auto inode = std::make_shared<Inode>();
  inode->data = data;
  inode->synced = data;
  live_[path] = inode;
  durable_[path] = inode;
}

int FaultEnv::file_syncs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return file_syncs_;
}

int FaultEnv::syncs_after_failed_sync() const {
  std::lock_guard<std::mutex> lock(mu_);
  return syncs_after_failed_sync_;
}

}  // namespace bangdan
