// IsValidUtf8 must agree with simdjson's validator on every input.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bangdan/event_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view s(reinterpret_cast<const char*>(data), size);
  if (bangdan::IsValidUtf8(s) != simdjson::validate_utf8(s.data(), s.size())) std::abort();
  return 0;
}
