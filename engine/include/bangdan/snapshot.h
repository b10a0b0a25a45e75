// Snapshot files: the whole engine state at a sequence number, in
// `snapshot-<seq, 20 digits>.snap` of the data directory (docs/format.md):
// a versioned header, the payload (Engine::Serialize output), a CRC32C.
//
// Writing is atomic: `<name>.tmp`, fsync, rename, fsync of the directory.
// Only the newest snapshot is kept: once a new one is durable the older ones
// are removed. Keeping more would not help recovery: an unreadable newest
// snapshot must stop start-up (an older one would miss the events of the log
// segments the newer one let go), so an older one is never read.
//
// Thread safety: these functions share nothing; WriteSnapshot may run on any
// thread (or in a forked child) while the log thread appends to the Wal.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "bangdan/env.h"
#include "bangdan/status.h"

namespace bangdan {

// Durably writes the snapshot of `payload` taken at `seq` into `dir`, then
// removes older snapshots. *file_name (may be null) receives the file's name
// within `dir`. Wal segments are not touched: the log thread calls
// Wal::DeleteSegmentsBefore(seq) afterwards. Older snapshots are removed in
// steps (RemoveFileInSteps).
Status WriteSnapshot(Env* env, const std::string& dir, uint64_t seq, std::string_view payload,
                     std::string* file_name);
// The same with the payload in pieces (StateWriter::Pieces), written one
// after the other, without joining them first. The file is synced every
// 8 MiB as it is written, so that it never holds much unsynced data.
Status WriteSnapshot(Env* env, const std::string& dir, uint64_t seq,
                     std::span<const std::string_view> payload, std::string* file_name);

// Reads and verifies the snapshot file at `path`: magic, format version, the
// sequence number against the name, the length, the checksum. Corruption
// names the file and the offset of the bad field.
// *payload views the engine state inside *file, which holds the file's bytes
// (mapped, with a real file system: no copy of hundreds of MiB).
Status ReadSnapshot(Env* env, const std::string& path, uint64_t* seq,
                    std::unique_ptr<FileContents>* file, std::string_view* payload);

// The name of the newest snapshot in `dir` (NotFound when there is none).
// *.tmp files are not snapshots.
Status FindNewestSnapshot(Env* env, const std::string& dir, std::string* file_name,
                          uint64_t* seq);

}  // namespace bangdan
