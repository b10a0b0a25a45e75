#include "storage/file_names.h"

#include <algorithm>
#include <cstdio>

namespace bangdan {
namespace {

constexpr size_t kSeqDigits = 20;  // UINT64_MAX has 20 digits

std::string NumberedName(std::string_view prefix, uint64_t n, std::string_view suffix) {
  char digits[kSeqDigits + 1];
  std::snprintf(digits, sizeof digits, "%020llu", static_cast<unsigned long long>(n));
  std::string name(prefix);
  name += digits;
  name += suffix;
  return name;
}

bool ParseNumberedName(std::string_view name, std::string_view prefix, std::string_view suffix,
                       uint64_t* n) {
  if (name.size() != prefix.size() + kSeqDigits + suffix.size()) return false;
  if (!name.starts_with(prefix) || !name.ends_with(suffix)) return false;
  uint64_t v = 0;
  for (char c : name.substr(prefix.size(), kSeqDigits)) {
    if (c < '0' || c > '9') return false;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *n = v;
  return true;
}

}  // namespace

std::string SegmentFileName(uint64_t first_seq) { return NumberedName("wal-", first_seq, ".log"); }

std::string SnapshotFileName(uint64_t seq) { return NumberedName("snapshot-", seq, ".snap"); }

bool ParseSegmentFileName(std::string_view name, uint64_t* first_seq) {
  return ParseNumberedName(name, "wal-", ".log", first_seq);
}

bool ParseSnapshotFileName(std::string_view name, uint64_t* seq) {
  return ParseNumberedName(name, "snapshot-", ".snap", seq);
}

bool IsTempFileName(std::string_view name) { return name.ends_with(".tmp"); }

Status ListSegments(Env* env, const std::string& dir, std::vector<SegmentFile>* segments) {
  segments->clear();
  std::vector<std::string> names;
  Status s = env->GetChildren(dir, &names);
  if (!s.ok()) return s;
  for (auto& name : names) {
    uint64_t first = 0;
    if (ParseSegmentFileName(name, &first)) segments->push_back({first, std::move(name)});
  }
  std::sort(segments->begin(), segments->end(),
            [](const SegmentFile& a, const SegmentFile& b) { return a.first_seq < b.first_seq; });
  return Status::OK();
}

}  // namespace bangdan
