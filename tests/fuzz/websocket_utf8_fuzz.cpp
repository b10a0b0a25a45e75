// The UTF-8 check of WebSocket text messages (server/net/utf8_checker.cpp),
// fed a message in pieces as reads deliver it, must agree with the engine's
// own validator (IsValidUtf8) on the whole message. The input's first two
// bytes choose where the message is cut.
#include <boost/beast/websocket/detail/utf8_checker.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bangdan/event_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  uint32_t cuts = data[0] | data[1] << 8;
  data += 2;
  size -= 2;
  boost::beast::websocket::detail::utf8_checker checker;
  checker.reset();
  bool ok = true;
  for (size_t at = 0; ok && at < size;) {
    const size_t piece = std::min<size_t>(size - at, cuts % 9);  // 0: an empty read
    cuts = cuts * 1103515245u + 12345u;
    ok = checker.write(data + at, piece);
    at += piece;
  }
  ok = ok && checker.finish();
  const std::string_view whole(reinterpret_cast<const char*>(data), size);
  if (ok != bangdan::IsValidUtf8(whole)) std::abort();
  return 0;
}
