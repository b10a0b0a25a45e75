// Fuzzes the server's request layer without sockets: target splitting,
// percent-decoding of path and query, routing, method and token checks.
// Beast's own parser is fuzzed by Beast; what bangdan adds on top of it is
// this pure layer, so that is what gets raw bytes here.
//
// Input: byte 0 picks the method and whether the request is an upgrade; the
// rest is "<target>\n<authorization header>".
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bangdan/event_parser.h"
#include "http_router.h"
#include "url.h"

using namespace bangdan;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Method method = static_cast<Method>(data[0] & 3);
  const bool upgrade = (data[0] & 4) != 0;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  size_t nl = rest.find('\n');
  std::string_view target = rest.substr(0, nl);
  std::string_view auth = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);

  AccessTokens tokens{"ingest", (data[0] & 8) ? "read" : "", (data[0] & 16) ? "admin" : ""};
  RoutedRequest routed;
  HttpAnswer answer;
  if (RouteRequest(method, target, auth, upgrade, tokens, &routed, &answer)) {
    // Whatever proceeds has a decoded path and query of valid UTF-8.
    for (const auto& seg : routed.segments)
      if (!IsValidUtf8(seg)) abort();
    for (const auto& p : routed.params)
      if (!IsValidUtf8(p.name) || !IsValidUtf8(p.value)) abort();
  } else {
    switch (answer.status) {
      case 400: case 401: case 403: case 404: case 405: case 426: break;
      default: abort();
    }
    if (answer.body.empty() || answer.body.front() != '{') abort();
  }
  std::string decoded;
  PercentDecode(target, true, &decoded);
  TokenEquals(auth, "ingest");
  return 0;
}
