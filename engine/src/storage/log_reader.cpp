#include "storage/log_reader.h"

#include <cstdint>

#include "storage/crc32c.h"
#include "storage/log_format.h"

namespace bangdan::log {
namespace {
constexpr size_t kNoGuess = SIZE_MAX;
}  // namespace

Reader::Header Reader::HeaderAt(size_t pos) const {
  const auto* p = reinterpret_cast<const unsigned char*>(file_.data() + pos);
  Header h;
  h.masked_crc = uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
  h.length = static_cast<uint16_t>(p[4] | p[5] << 8);
  h.type = p[6];
  return h;
}

bool Reader::IntactFragmentAt(size_t pos) const {
  if (pos + kHeaderSize > file_.size()) return false;
  const size_t block_left = kBlockSize - pos % kBlockSize;
  if (block_left < kHeaderSize) return false;
  const Header h = HeaderAt(pos);
  if (h.type == kZeroType || h.type > kMaxRecordType) return false;
  if (kHeaderSize + h.length > block_left || pos + kHeaderSize + h.length > file_.size()) {
    return false;
  }
  uint32_t crc = crc32c::Extend(0, file_.data() + pos + 6, 1 + h.length);
  return crc == crc32c::Unmask(h.masked_crc);
}

bool Reader::Damage(size_t pos, size_t cut, const char* what, size_t next_guess) {
  damage_offset_ = pos;
  damage_ = what;
  bool intact_after = next_guess != kNoGuess && IntactFragmentAt(next_guess);
  for (size_t b = (pos / kBlockSize + 1) * kBlockSize; !intact_after && b < file_.size();
       b += kBlockSize) {
    intact_after = IntactFragmentAt(b);
  }
  end_ = intact_after ? End::kCorruption : End::kTorn;
  valid_end_ = cut;
  return false;
}

bool Reader::ReadRecord(std::string_view* record, std::string* scratch, uint64_t* offset) {
  if (end_ != End::kNotYet) return false;
  bool in_fragments = false;
  size_t record_start = pos_;
  for (;;) {
    const size_t block_left = kBlockSize - pos_ % kBlockSize;
    if (block_left < kHeaderSize) {
      // A block trailer (zeros); the file may end inside it.
      if (pos_ + block_left >= file_.size()) {
        if (in_fragments) {
          return Damage(file_.size(), record_start, "record cut by the end of the file", kNoGuess);
        }
        end_ = End::kClean;
        valid_end_ = file_.size();
        return false;
      }
      pos_ += block_left;
      continue;
    }
    const size_t start = in_fragments ? record_start : pos_;
    if (pos_ == file_.size()) {
      if (in_fragments) return Damage(pos_, start, "record cut by the end of the file", kNoGuess);
      end_ = End::kClean;
      valid_end_ = file_.size();
      return false;
    }
    if (file_.size() - pos_ < kHeaderSize) {
      return Damage(pos_, start, "header cut by the end of the file", kNoGuess);
    }
    const Header h = HeaderAt(pos_);
    const size_t next = pos_ + kHeaderSize + h.length;
    const size_t plausible_next = kHeaderSize + h.length <= block_left ? next : kNoGuess;
    if (h.type == kZeroType && h.length == 0 && h.masked_crc == 0) {
      return Damage(pos_, start, "zero-filled header", kNoGuess);
    }
    if (h.type == kZeroType || h.type > kMaxRecordType) {
      return Damage(pos_, start, "bad record type", plausible_next);
    }
    if (next > file_.size()) {
      return Damage(pos_, start, "record cut by the end of the file", kNoGuess);
    }
    if (kHeaderSize + h.length > block_left) {
      return Damage(pos_, start, "bad record length", kNoGuess);
    }
    const char* payload = file_.data() + pos_ + kHeaderSize;
    uint32_t crc = crc32c::Extend(0, payload - 1, 1 + h.length);
    if (crc != crc32c::Unmask(h.masked_crc)) {
      return Damage(pos_, start, "checksum mismatch", plausible_next);
    }
    switch (h.type) {
      case kFullType:
        if (in_fragments) return Damage(pos_, start, "FULL fragment inside a record", pos_);
        *record = std::string_view(payload, h.length);
        *offset = pos_;
        pos_ = next;
        return true;
      case kFirstType:
        if (in_fragments) return Damage(pos_, start, "FIRST fragment inside a record", pos_);
        in_fragments = true;
        record_start = pos_;
        scratch->assign(payload, h.length);
        break;
      case kMiddleType:
        if (!in_fragments) return Damage(pos_, start, "MIDDLE fragment without a FIRST", pos_);
        scratch->append(payload, h.length);
        break;
      case kLastType:
        if (!in_fragments) return Damage(pos_, start, "LAST fragment without a FIRST", pos_);
        scratch->append(payload, h.length);
        *record = *scratch;
        *offset = record_start;
        pos_ = next;
        return true;
    }
    pos_ = next;
  }
}

}  // namespace bangdan::log
