#include "storage/log_writer.h"

#include "storage/crc32c.h"
#include "storage/log_format.h"

namespace bangdan::log {
namespace {

void PutFixed32(std::string* out, uint32_t v) {
  char buf[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
                 static_cast<char>(v >> 24)};
  out->append(buf, 4);
}

}  // namespace

void Writer::Reset(uint64_t file_offset) { block_offset_ = file_offset % kBlockSize; }

void Writer::AddRecord(std::string_view record, std::string* out) {
  const char* ptr = record.data();
  size_t left = record.size();
  // An empty record is still written, as one empty FULL fragment.
  bool begin = true;
  do {
    const size_t leftover = kBlockSize - block_offset_;
    if (leftover < kHeaderSize) {
      // No room for a header: pad the block with zeros, start the next one.
      out->append(leftover, '\0');
      block_offset_ = 0;
    }
    const size_t avail = kBlockSize - block_offset_ - kHeaderSize;
    const size_t fragment = left < avail ? left : avail;
    const bool end = (left == fragment);
    uint8_t type = begin && end ? kFullType : begin ? kFirstType : end ? kLastType : kMiddleType;
    EmitFragment(type, ptr, fragment, out);
    ptr += fragment;
    left -= fragment;
    begin = false;
  } while (left > 0);
}

void Writer::EmitFragment(uint8_t type, const char* data, size_t n, std::string* out) {
  char type_byte = static_cast<char>(type);
  uint32_t crc = crc32c::Extend(crc32c::Value(&type_byte, 1), data, n);
  PutFixed32(out, crc32c::Mask(crc));
  out->push_back(static_cast<char>(n & 0xff));
  out->push_back(static_cast<char>(n >> 8));
  out->push_back(type_byte);
  out->append(data, n);
  block_offset_ += kHeaderSize + n;
}

}  // namespace bangdan::log
