// log::Writer: frames records into the block format of log_format.h.
//
// It only encodes: the bytes go to a string the caller writes to the file
// (the Wal writes a whole group with one write(2)). It tracks where in a
// block the next byte falls, from the file offset it is told about.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bangdan::log {

class Writer {
 public:
  // `file_offset`: the size of the file the output will be appended to.
  explicit Writer(uint64_t file_offset = 0) { Reset(file_offset); }

  // Appends the framed fragments of `record` to *out.
  void AddRecord(std::string_view record, std::string* out);

  // Starts again at `file_offset` (after a rollback cut the file).
  void Reset(uint64_t file_offset);

 private:
  void EmitFragment(uint8_t type, const char* data, size_t n, std::string* out);

  size_t block_offset_ = 0;  // where in the current block the next byte goes
};

}  // namespace bangdan::log
