// Snapshot files (docs/format.md, "Snapshot file"):
//   magic "BDSNAP\r\n" | version u32 | reserved u32 | seq u64 | length u64 |
//   payload | masked crc32c u32 of everything before it
// The CRC is computed incrementally so the payload (hundreds of MB for a
// national campaign) is never copied to be written.
#include "bangdan/snapshot.h"

#include <cstring>

#include "bangdan/wal.h"
#include "storage/crc32c.h"
#include "storage/file_names.h"

namespace bangdan {
namespace {

constexpr char kMagic[8] = {'B', 'D', 'S', 'N', 'A', 'P', '\r', '\n'};
constexpr uint32_t kFormatVersion = 1;
constexpr size_t kHeaderSize = 32;
constexpr size_t kTrailerSize = 4;
constexpr size_t kSyncEvery = size_t{8} << 20;

void PutFixed(char* p, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) p[i] = static_cast<char>(v >> (8 * i));
}

uint64_t GetFixed(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

Status Bad(const std::string& path, uint64_t offset, const std::string& what) {
  return Status::Corruption(path + ": offset " + std::to_string(offset) + ": " + what);
}

}  // namespace

Status WriteSnapshot(Env* env, const std::string& dir, uint64_t seq, std::string_view payload,
                     std::string* file_name) {
  return WriteSnapshot(env, dir, seq, std::span(&payload, 1), file_name);
}

Status WriteSnapshot(Env* env, const std::string& dir, uint64_t seq,
                     std::span<const std::string_view> payload, std::string* file_name) {
  const std::string name = SnapshotFileName(seq);
  const std::string path = JoinPath(dir, name);
  const std::string tmp = path + ".tmp";

  char header[kHeaderSize] = {};
  std::memcpy(header, kMagic, 8);
  PutFixed(header + 8, kFormatVersion, 4);
  PutFixed(header + 16, seq, 8);
  size_t size = 0;
  for (std::string_view piece : payload) size += piece.size();
  PutFixed(header + 24, size, 8);
  uint32_t crc = crc32c::Value(header, kHeaderSize);
  for (std::string_view piece : payload) crc = crc32c::Extend(crc, piece.data(), piece.size());
  char trailer[kTrailerSize];
  PutFixed(trailer, crc32c::Mask(crc), 4);

  std::unique_ptr<WritableFile> file;
  Status s = env->NewWritableFile(tmp, &file);
  if (!s.ok()) return s;
  s = file->Append(std::string_view(header, kHeaderSize));
  // Synced a piece at a time: with hundreds of MiB dirty at once, the log's
  // own fsync (which commits the file system's journal) would wait for all of
  // it — acks stalled for as long as the snapshot takes to reach the disk.
  size_t unsynced = 0;
  for (std::string_view piece : payload) {
    for (size_t at = 0; s.ok() && at < piece.size(); at += kSyncEvery) {
      const std::string_view part = piece.substr(at, kSyncEvery);
      s = file->Append(part);
      unsynced += part.size();
      if (s.ok() && unsynced >= kSyncEvery) {
        s = file->Sync();
        unsynced = 0;
      }
    }
  }
  if (s.ok()) s = file->Append(std::string_view(trailer, kTrailerSize));
  if (s.ok()) s = file->Sync();
  Status c = file->Close();
  if (s.ok()) s = c;
  if (s.ok()) {
    KillPoint("mid_snapshot_rename");
    s = env->RenameFile(tmp, path);
  }
  if (!s.ok()) {
    env->RemoveFile(tmp);  // best effort; start-up removes it otherwise
    return s;
  }
  s = env->SyncDir(dir);
  if (!s.ok()) return s;
  KillPoint("after_snapshot_rename");
  if (file_name != nullptr) *file_name = name;

  // The new snapshot is durable: older ones will never be read again.
  std::vector<std::string> names;
  if (env->GetChildren(dir, &names).ok()) {
    for (const auto& other : names) {
      uint64_t other_seq = 0;
      if (ParseSnapshotFileName(other, &other_seq) && other_seq < seq) {
        RemoveFileInSteps(env, JoinPath(dir, other));
      }
    }
  }
  return Status::OK();
}

Status ReadSnapshot(Env* env, const std::string& path, uint64_t* seq,
                    std::unique_ptr<FileContents>* file, std::string_view* payload) {
  Status s = env->ReadFileContents(path, file);
  if (!s.ok()) return s;
  const std::string_view data = (*file)->data();
  if (data.size() < kHeaderSize) {
    return Bad(path, data.size(),
               "file of " + std::to_string(data.size()) + " bytes is shorter than a header");
  }
  if (std::memcmp(data.data(), kMagic, 8) != 0) return Bad(path, 0, "not a snapshot (bad magic)");
  const uint64_t version = GetFixed(data.data() + 8, 4);
  if (version != kFormatVersion) {
    return Bad(path, 8, "unsupported format version " + std::to_string(version) +
                            " (this build reads " + std::to_string(kFormatVersion) + ")");
  }
  if (GetFixed(data.data() + 12, 4) != 0) return Bad(path, 12, "reserved field is not zero");
  const uint64_t file_seq = GetFixed(data.data() + 16, 8);
  uint64_t name_seq = 0;
  const size_t slash = path.rfind('/');
  const std::string_view name =
      std::string_view(path).substr(slash == std::string::npos ? 0 : slash + 1);
  if (ParseSnapshotFileName(name, &name_seq) && name_seq != file_seq) {
    return Bad(path, 16, "sequence number " + std::to_string(file_seq) +
                             " differs from the file name's");
  }
  const uint64_t length = GetFixed(data.data() + 24, 8);
  const uint64_t body = data.size() - kHeaderSize;
  if (body < kTrailerSize || length != body - kTrailerSize) {
    return Bad(path, 24, "payload length " + std::to_string(length) + " but the file holds " +
                             std::to_string(data.size()) + " bytes (truncated or extended)");
  }
  const uint32_t stored = static_cast<uint32_t>(GetFixed(data.data() + kHeaderSize + length, 4));
  const uint32_t actual = crc32c::Value(data.data(), kHeaderSize + length);
  if (crc32c::Unmask(stored) != actual) {
    return Bad(path, kHeaderSize + length, "checksum mismatch");
  }
  *seq = file_seq;
  *payload = data.substr(kHeaderSize, length);
  return Status::OK();
}

Status FindNewestSnapshot(Env* env, const std::string& dir, std::string* file_name,
                          uint64_t* seq) {
  std::vector<std::string> names;
  Status s = env->GetChildren(dir, &names);
  if (!s.ok()) return s;
  bool found = false;
  for (const auto& name : names) {
    uint64_t n = 0;
    if (ParseSnapshotFileName(name, &n) && (!found || n > *seq)) {
      found = true;
      *seq = n;
      *file_name = name;
    }
  }
  if (!found) return Status::NotFound(dir + ": no snapshot");
  return Status::OK();
}

}  // namespace bangdan
