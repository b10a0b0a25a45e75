// Ack: the server's answer to one ingest frame (SPEC §3), as the load
// generator reads it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bangdan/status.h"

namespace bangdan::loadgen {

struct Ack {
  bool is_error = false;        // {"type":"error",…}
  std::string error;            // its message
  uint64_t batch = 0;           // 0 when the batch was not an integer
  uint32_t accepted = 0;
  uint32_t duplicates = 0;
  std::vector<uint32_t> rejected;  // indices
  std::string first_rejection;     // the first rejection's error, for reports
  uint64_t seq = 0;
};

// Parses an ack or error message. `scratch` is reused between calls (the
// parser needs padding after the text). Not JSON, or neither shape: an error.
Status ParseAck(std::string_view text, std::string* scratch, Ack* out);

// Reads the unsigned integer after `"name":` at top level of a flat message,
// for the hot paths that only need one number (totals pushes).
// Returns false when absent.
bool FindUnsignedField(std::string_view text, std::string_view name, uint64_t* out);

}  // namespace bangdan::loadgen
