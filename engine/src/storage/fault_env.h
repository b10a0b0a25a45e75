// FaultEnv: an in-memory file system that fails on request and can "crash".
//
// Models what the log must survive:
//   - writes failing with ENOSPC or EIO, after writing part of the data
//     (a short write) or none of it;
//   - fsync failing (and counts any later fsync of that same file, which a
//     correct log never does: the kernel may have dropped the dirty pages, so
//     a second fsync's success proves nothing — "fsyncgate");
//   - slow fsync;
//   - a crash of the machine: every file goes back to what its last
//     successful Sync made durable, every directory to its last SyncDir
//     (files created or renamed since then vanish or revert).
// It is the strict POSIX model: nothing is durable unless synced.
//
// Thread safety: all methods may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "bangdan/env.h"

namespace bangdan {

class FaultEnv final : public Env {
 public:
  FaultEnv();
  ~FaultEnv() override;

  // ---- Env ----
  Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* result) override;
  Status ReadFile(const std::string& path, std::string* out) override;
  Status FileSize(const std::string& path, uint64_t* size) override;
  bool FileExists(const std::string& path) override;
  Status TruncateFile(const std::string& path, uint64_t size) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status RemoveFile(const std::string& path) override;
  Status GetChildren(const std::string& dir, std::vector<std::string>* names) override;
  Status CreateDir(const std::string& dir) override;
  Status SyncDir(const std::string& dir) override;
  Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) override;
  // A real thread (the default Env's): recovery under test runs its replay
  // pipeline as the server does.
  std::unique_ptr<Helper> NewHelper() override { return Env::Default()->NewHelper(); }

  // ---- Faults ----

  // The next `count` appends (after `skip` good ones) fail: with NoSpace
  // (ENOSPC) when no_space, else IOError (EIO); the first `partial_bytes`
  // bytes of each land in the file first.
  void FailWrites(bool no_space, size_t partial_bytes = 0, int count = 1, int skip = 0);
  // The next `count` file syncs (after `skip` good ones) fail with EIO.
  void FailSyncs(int count = 1, int skip = 0);
  // The next `count` directory syncs fail with EIO.
  void FailDirSyncs(int count = 1);
  // Every file sync sleeps this long first.
  void SetSyncDelayMicros(int64_t micros);

  // A crash of the machine: only synced data and synced names survive.
  void SimulateCrash();

  // Writes `data` as a file that is already durable (name and contents):
  // for tests that craft or corrupt files.
  void PutDurableFile(const std::string& path, const std::string& data);

  // ---- Observations ----
  int file_syncs() const;
  // Syncs issued on a file whose earlier sync had failed (must stay 0).
  int syncs_after_failed_sync() const;

 private:
  struct Inode;
  class File;
  class Lock;
  friend class File;
  friend class Lock;

  Status WriteFault(const std::string& path, size_t size, size_t* partial);
  Status SyncFault(const std::string& path, Inode* inode);

  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Inode>> live_;     // path → file, as seen now
  std::map<std::string, std::shared_ptr<Inode>> durable_;  // as of the last SyncDir
  std::set<std::string> dirs_;
  std::set<std::string> locked_;
  // Faults pending.
  int write_skip_ = 0, write_failures_ = 0;
  bool write_no_space_ = false;
  size_t write_partial_ = 0;
  int sync_skip_ = 0, sync_failures_ = 0;
  int dir_sync_failures_ = 0;
  int64_t sync_delay_micros_ = 0;
  // Counters.
  int file_syncs_ = 0;
  int syncs_after_failed_sync_ = 0;
};

}  // namespace bangdan
