// Fuzzes loading a snapshot: ReadSnapshot on a file of an in-memory Env, then
// Engine::Deserialize on its payload, as recovery does. Any input must end in
// a Status (or success); a state that loads must serialize, load again and
// serialize to the same bytes, and answer queries.
//
// Input: byte 0 says what the rest is.
//   even: an engine state (state_codec.h), which the target wraps in a
//         snapshot file with a valid header and checksum (docs/format.md,
//         "Snapshot file"): random bytes never pass the CRC, so only this
//         way do the fuzzer's mutations reach Deserialize;
//   odd:  a whole snapshot file, as it lies on disk.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "bangdan/board.h"
#include "bangdan/engine.h"
#include "fuzz_checks.h"
#include "bangdan/snapshot.h"
#include "state_codec.h"
#include "storage/crc32c.h"
#include "storage/fault_env.h"
#include "storage/file_names.h"

using namespace bangdan;

namespace {

constexpr char kDir[] = "db";

void Check(bool condition, const char* what) { fuzz::Check(condition, "snapshot_fuzz", what); }

void PutFixed(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

// The state's begin_seq (after magic, version, tz, keep_days, the dedup
// window and max): the seq recovery expects the file to be named after.
uint64_t BeginSeqOf(std::string_view state) {
  constexpr size_t kBeginSeqAt = 8 + 4 + 4 + 4 + 8 + 8;
  if (state.size() < kBeginSeqAt + 8) return 0;
  return state_codec::LoadLittleEndian(state.data() + kBeginSeqAt, 8);
}

// Built by hand from docs/format.md rather than by WriteSnapshot, so that the
// reader is checked against the documented layout.
std::string SnapshotFile(uint64_t seq, std::string_view payload) {
  std::string file("BDSNAP\r\n", 8);
  PutFixed(&file, 1, 4);  // format version
  PutFixed(&file, 0, 4);  // reserved
  PutFixed(&file, seq, 8);
  PutFixed(&file, payload.size(), 8);
  file.append(payload);
  PutFixed(&file, crc32c::Mask(crc32c::Value(file)), 4);
  return file;
}

// Reading boards brings their orderings up to date from the loaded entries.
void Query(Engine& engine) {
  const int64_t now_ms = 1'795'363'200'000;
  BoardPage page;
  for (Dimension dim : {Dimension::kCity, Dimension::kTeam, Dimension::kUser}) {
    BoardRef ref;
    ref.dim = dim;
    for (Metric metric : {Metric::kWeight, Metric::kAmount, Metric::kOrders}) {
      engine.Top(ref, metric, 0, 5, now_ms, &page);
      if (!page.rows.empty()) {
        EntryResult entry;
        engine.Entry(ref, metric, page.rows.back().key, 2, now_ms, &entry);
      }
    }
    engine.Count(ref, now_ms);
  }
  engine.GetTotals(WindowSpec::Total(), now_ms);
  engine.GetTotals(WindowSpec::Today(), now_ms);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const bool wrap = data[0] % 2 == 0;
  // A raw file is named after seq 7, as its seed (file_seq7) is, so that the
  // header's seq is checked against the name.
  const uint64_t name_seq = wrap ? BeginSeqOf(rest) : 7;
  const std::string path = JoinPath(kDir, SnapshotFileName(name_seq));

  FaultEnv env;
  env.CreateDir(kDir);
  env.PutDurableFile(path, wrap ? SnapshotFile(name_seq, rest) : std::string(rest));
  uint64_t seq = 0;
  std::unique_ptr<FileContents> file;
  std::string_view payload;
  const Status read = ReadSnapshot(&env, path, &seq, &file, &payload);
  if (wrap) {
    Check(read.ok(), "a well-formed snapshot file was refused");
    Check(seq == name_seq && payload == rest, "a snapshot read back differs");
  }
  if (!read.ok()) return 0;

  Engine engine;
  if (!engine.Deserialize(payload).ok()) return 0;
  Check(engine.applied_seq() == BeginSeqOf(payload), "loaded at another seq");
  fuzz::CheckStateReloads(engine, "snapshot_fuzz");
  Query(engine);
  return 0;
}
