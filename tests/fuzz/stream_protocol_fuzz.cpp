// libFuzzer target: any bytes as a /v1/stream client message. The parser must
// answer every input with a request or an error (never crash, hang or read
// out of bounds); a request it accepts must respect every limit, and an
// error's JSON reply must be buildable.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bangdan/event_parser.h"
#include "stream_protocol.h"  // server/, on the include path

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bangdan::StreamRequestParser parser(64);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  bangdan::StreamRequest req;
  std::optional<std::string> sub;
  bangdan::Status s = parser.Parse(text, &req, &sub);
  if (!s.ok()) {
    const std::string reply = bangdan::StreamErrorMessage(sub, s.message());
    if (reply.empty()) __builtin_trap();
    return 0;
  }
  if (req.sub.empty() || req.sub.size() > bangdan::kMaxSubBytes) __builtin_trap();
  if (!bangdan::IsValidUtf8(req.sub)) __builtin_trap();
  if (req.op == bangdan::StreamRequest::Op::kSubscribe) {
    if (req.spec.kind == bangdan::ViewSpec::Kind::kTop &&
        (req.spec.top < 1 || req.spec.top > bangdan::kMaxTop)) {
      __builtin_trap();
    }
    if (req.spec.radius > bangdan::kMaxRadius) __builtin_trap();
  }
  return 0;
}
