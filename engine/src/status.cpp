// Status::ToString: the code's name, then the message, for logs and errors.
#include "bangdan/status.h"

namespace bangdan {

std::string Status::ToString() const {
  const char* name = "OK";
  switch (code_) {
    case Code::kOk: return "OK";
    case Code::kInvalidArgument: name = "Invalid argument: "; break;
    case Code::kNotFound: name = "Not found: "; break;
    case Code::kCorruption: name = "Corruption: "; break;
    case Code::kIOError: name = "IO error: "; break;
    case Code::kNoSpace: name = "No space: "; break;
  }
  return std::string(name) + message_;
}

}  // namespace bangdan
