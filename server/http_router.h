// HttpRouter: what a request is (route), whether it may proceed (method,
// token), and its decoded path and query — before anything is done for it.
//
// Pure: no sockets, no engine. The HTTP session asks Route() first and either
// sends the answer it got (404, 405, 401, 403, 400) or carries the request on
// to its handler. Decisions (documented in docs/protocol.md):
//   - A path that is not one of ours, a board that does not exist
//     (/v1/boards/tem) and no dashboard asset: 404, whatever the method.
//   - GET and HEAD are the read methods; POST only for /v1/events and
//     /v1/admin/snapshot. Any other method on a path that exists: 405 with
//     an Allow header. For kPage the session decides (it alone knows the
//     dashboard's assets): Route() lets every method through.
//   - Tokens: `Authorization: Bearer T`, or `?token=T` where SPEC §3 allows it
//     (WebSocket upgrades and reads; not POST /v1/events).
//   - Origins (OriginAllowed): asked by the session of the routes a browser
//     page could abuse — sending events, subscribing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "url.h"

namespace bangdan {

enum class Route : uint8_t {
  kPage,      // "/" and the dashboard's assets (any method: see above)
  kHealth,    // GET /healthz
  kMetrics,   // GET /metrics
  kBoard,     // GET /v1/boards/{board}
  kEntry,     // GET /v1/boards/{board}/entries/{key}
  kTotals,    // GET /v1/totals
  kEvents,    // POST /v1/events
  kIngest,    // GET /v1/ingest (WebSocket)
  kStream,    // GET /v1/stream (WebSocket)
  kSnapshot,  // POST /v1/admin/snapshot
};

enum class Method : uint8_t { kGet, kHead, kPost, kOther };

struct HttpAnswer {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string allow;                // 405: the methods allowed
  std::string content_disposition;  // CSV downloads
  bool authenticate = false;        // 401: add WWW-Authenticate: Bearer
  unsigned retry_after_s = 0;       // 503 of a busy server: add Retry-After
  // Any other header, as sent (CORS preflights).
  std::vector<std::pair<std::string, std::string>> headers;
};

// An answer {"error": message} with `status`.
HttpAnswer ErrorAnswer(unsigned status, std::string_view message);

struct AccessTokens {
  std::string_view ingest;  // empty: open
  std::string_view read;    // empty: open
  std::string_view admin;   // empty: admin refused (403)
};

struct RoutedRequest {
  Route route = Route::kPage;
  std::string path;                   // decoded
  std::vector<std::string> segments;  // decoded path segments
  std::vector<QueryParam> params;     // decoded query
};

// Returns true when the request proceeds to its route (*out filled), false
// when *answer is the whole response.
bool RouteRequest(Method method, std::string_view target, std::string_view authorization,
                  bool is_upgrade, const AccessTokens& tokens, RoutedRequest* out,
                  HttpAnswer* answer);

// What a browser request from another origin would do: send events or read.
enum class OriginUse { kWrite, kRead };

// Whether a browser request from `origin` may write (/v1/ingest, POST
// /v1/events) or subscribe (/v1/stream): no Origin header (not a browser),
// the server's own origin (its pages: Origin is Host, and Host names this
// server for certain — HostNamesThisServer), one of `allowed` ("*": any),
// or, when `allowed` is empty, any origin for reads. Auth here is a bearer
// token, never a cookie, so a page elsewhere can read no more than anyone
// who reaches the port; but a page could make the visitor's browser send
// events to a server on its loopback, which has no token by default. So a
// request that `carried_token` (the one --ingest-token or --read-token
// requires for `use`) may, whatever its origin: a page that knows the token
// is as entitled as any other client that does. When refused, *why (if
// given) is the error to answer.
bool OriginAllowed(std::string_view origin, std::string_view host, const std::vector<std::string>& allowed,
                   OriginUse use, bool carried_token, std::string_view* why = nullptr);

// Whether a Host header names this server beyond doubt: an IP address
// ("127.0.0.1:8080", "[::1]:8080"), localhost, or the host of one of
// `allowed` (any port). Any other name may be one whose DNS an attacker
// points at this server's address after the visitor's browser loaded his
// page (DNS rebinding): to that browser his page and this server are then
// one origin, and it says so in Origin and Host alike.
bool HostNamesThisServer(std::string_view host, const std::vector<std::string>& allowed);

// True if `given` equals `expected`, in time that does not depend on where
// they differ (nor, beyond the length of `given`, on `expected`'s content).
bool TokenEquals(std::string_view given, std::string_view expected);

// The token of "Bearer T" (case-insensitive scheme), or empty.
std::string_view BearerToken(std::string_view authorization);

}  // namespace bangdan
