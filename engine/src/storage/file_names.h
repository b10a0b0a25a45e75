// Names of the files in a data directory (docs/format.md, "Files"):
//   wal-<first seq, 20 digits>.log        log segments
//   snapshot-<seq, 20 digits>.snap        snapshots
//   <any of these>.tmp                    being written; removed at start-up
// Zero-padded decimal numbers make name order the sequence order, for people
// listing the directory.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bangdan/env.h"
#include "bangdan/status.h"

namespace bangdan {

std::string SegmentFileName(uint64_t first_seq);
std::string SnapshotFileName(uint64_t seq);
bool ParseSegmentFileName(std::string_view name, uint64_t* first_seq);
bool ParseSnapshotFileName(std::string_view name, uint64_t* seq);
bool IsTempFileName(std::string_view name);

struct SegmentFile {
  uint64_t first_seq = 0;
  std::string name;
};
// The log segments in `dir`, by first sequence number.
Status ListSegments(Env* env, const std::string& dir, std::vector<SegmentFile>* segments);

}  // namespace bangdan
