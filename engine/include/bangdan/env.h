// Env: every file operation the storage layer performs, behind one interface.
//
// The log, snapshots and recovery touch the disk only through an Env, so tests
// can swap in an in-memory file system that injects faults (ENOSPC, EIO, short
// writes, failing or slow fsync) and simulates a machine crash by dropping
// whatever was never synced (see storage/fault_env.h).
//
// Errors come back as Status values naming the file: IOError, or NoSpace when
// the device is full (ENOSPC, EDQUOT), so the server can say which it was.
//
// Paths are plain strings; "dir/name" is built with JoinPath.
//
// Thread safety: an Env may be used from several threads at once; a
// WritableFile from one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bangdan/helper.h"
#include "bangdan/status.h"

namespace bangdan {

// A file being written at its end. Nothing is buffered in user space: Append
// hands the bytes to the kernel (write(2)) before it returns, so a crash of
// the process loses nothing that Append accepted; Sync makes it survive a
// crash of the machine.
class WritableFile {
 public:
  WritableFile() = default;
  virtual ~WritableFile();
  WritableFile(const WritableFile&) = delete;
  WritableFile& operator=(const WritableFile&) = delete;

  // Writes all of `data` at the end. On error some prefix of it may have
  // been written: callers cut the file back with Truncate.
  virtual Status Append(std::string_view data) = 0;
  // Makes every appended byte durable (fdatasync). After a failed Sync the
  // file's durable contents are unknown and a later Sync proves nothing
  // (the kernel may have dropped the dirty pages): callers must not retry.
  virtual Status Sync() = 0;
  // Cuts the file to `size` bytes; the next Append writes at `size`.
  virtual Status Truncate(uint64_t size) = 0;
  virtual Status Close() = 0;
  // Bytes in the file as this handle sees them (after the last Append).
  virtual uint64_t Size() const = 0;
};

// An exclusive lock on a file, held until this object is destroyed (or the
// process dies: the kernel then releases it).
class FileLock {
 public:
  FileLock() = default;
  virtual ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
};

// A whole file's bytes, read-only, valid while this object lives. The real
// file system maps the file rather than copying it: a snapshot of hundreds of
// MiB then costs no fresh memory to hold and no copy to read.
class FileContents {
 public:
  FileContents() = default;
  virtual ~FileContents();
  FileContents(const FileContents&) = delete;
  FileContents& operator=(const FileContents&) = delete;
  virtual std::string_view data() const = 0;
};

class Env {
 public:
  Env() = default;
  virtual ~Env();
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  // The real file system (POSIX). Never deleted.
  static Env* Default();

  // Creates `path` (or empties it if it exists) for writing.
  virtual Status NewWritableFile(const std::string& path,
                                 std::unique_ptr<WritableFile>* result) = 0;
  // Reads the whole file into *out.
  virtual Status ReadFile(const std::string& path, std::string* out) = 0;
  // The same without a copy where the Env can (PosixEnv maps the file; the
  // file must not shrink while *out lives). The default reads it with
  // ReadFile.
  virtual Status ReadFileContents(const std::string& path, std::unique_ptr<FileContents>* out);
  virtual Status FileSize(const std::string& path, uint64_t* size) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  // Cuts `path` to `size` bytes and syncs it.
  virtual Status TruncateFile(const std::string& path, uint64_t size) = 0;
  // Atomically replaces `to` with `from` (rename(2)).
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  // Names (not paths) of the entries of `dir`, without "." and "..".
  virtual Status GetChildren(const std::string& dir, std::vector<std::string>* names) = 0;
  // Creates `dir`; OK if it already exists.
  virtual Status CreateDir(const std::string& dir) = 0;
  // Makes the directory's entries (creations, renames, removals) durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  // Takes an exclusive lock on `path` (created if missing), so that two
  // processes never write one data directory; IOError naming the file if
  // another holder has it.
  virtual Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) = 0;
  // A thread for work beside the caller's (bangdan/helper.h), or nullptr
  // (the default) where the Env has none to give.
  virtual std::unique_ptr<Helper> NewHelper();
};

// Writes `data` to a new file at `path` and syncs it.
Status WriteStringToFileSync(Env* env, std::string_view data, const std::string& path);

// Removes a file that may be hundreds of MiB, cutting it down 32 MiB at a
// time first: on ext4 one unlink of a large file keeps a journal transaction
// busy long enough to stall every other file's fsync (the log's, and with it
// every ack), where short truncations let them through in between.
Status RemoveFileInSteps(Env* env, const std::string& path);

inline std::string JoinPath(const std::string& dir, std::string_view name) {
  std::string path = dir;
  if (!path.empty() && path.back() != '/') path += '/';
  path += name;
  return path;
}

}  // namespace bangdan
