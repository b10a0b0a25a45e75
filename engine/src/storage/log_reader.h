// log::Reader: reads the records of one segment held in memory, and tells a
// torn tail (the writer died mid-write) from corruption.
//
// When a fragment is bad (bad checksum, type or length, a zero-filled
// header, a header or payload cut by the end of the file, fragments out of
// order), the reader looks for evidence that intact data follows it: an
// intact fragment right after the bad one (when its length is plausible) or
// at any later block start. None: the bad bytes are the torn tail of the
// last write — end() is kTorn and valid_end() is where the file should be
// cut. Some: end() is kCorruption, with the offset of the bad fragment.
// A fragment's payload never begins a block, so bytes a producer chose (an
// event id, say) cannot pose as such evidence.
//
// Whether a torn tail is acceptable is the caller's decision: only at the
// end of the last segment.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bangdan::log {

class Reader {
 public:
  enum class End { kNotYet, kClean, kTorn, kCorruption };

  // REQUIRES: `file` outlives the reader and the records it returns.
  explicit Reader(std::string_view file) : file_(file) {}
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // Reads the next record into *record (a view into the file, or into
  // *scratch for a record in fragments) and its file offset (where its first
  // fragment starts). False at the end; see end().
  bool ReadRecord(std::string_view* record, std::string* scratch, uint64_t* offset);

  End end() const { return end_; }
  // Bytes of the file up to the end of the last intact record (kTorn) or
  // the whole file (kClean).
  uint64_t valid_end() const { return valid_end_; }
  // kTorn / kCorruption: the offset of the bad fragment, and what was bad.
  uint64_t damage_offset() const { return damage_offset_; }
  const std::string& damage() const { return damage_; }

 private:
  struct Header {
    uint32_t masked_crc;
    uint16_t length;
    uint8_t type;
  };
  Header HeaderAt(size_t pos) const;
  // Whether an intact fragment starts at `pos`.
  bool IntactFragmentAt(size_t pos) const;
  // Ends the reading at a bad fragment at `pos` (of declared payload
  // `length`, when plausible), classifying it as torn or corrupt.
  bool Damage(size_t pos, size_t cut, const char* what, size_t next_guess);

  const std::string_view file_;
  size_t pos_ = 0;
  End end_ = End::kNotYet;
  uint64_t valid_end_ = 0;
  uint64_t damage_offset_ = 0;
  std::string damage_;
};

}  // namespace bangdan::log
