// The framing of log segments: constants only; the grammar, with a worked
// example, is in docs/format.md. The same as leveldb's log format.
//
// A segment is a sequence of 32 KiB blocks. A record is written as one or
// more fragments, each with a 7-byte header:
//   masked crc32c (4, LE) | length (2, LE) | type (1) | payload (length)
// The CRC covers the type byte and the payload. A block tail shorter than a
// header is filled with zeros.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bangdan::log {

enum RecordType : uint8_t {
  // Zero is reserved: preallocated or zero-filled space reads as type 0.
  kZeroType = 0,
  kFullType = 1,
  // A record that does not fit in the rest of a block is split in fragments.
  kFirstType = 2,
  kMiddleType = 3,
  kLastType = 4,
};
inline constexpr uint8_t kMaxRecordType = kLastType;

inline constexpr size_t kBlockSize = 32768;
inline constexpr size_t kHeaderSize = 4 + 2 + 1;

}  // namespace bangdan::log
