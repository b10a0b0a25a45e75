// Cross-origin reads (CORS): a page served from elsewhere may read the
// boards and totals with fetch(), as it may subscribe to /v1/stream.
//
// The rule is OriginAllowed's for reads (docs/protocol.md, "Origins"): with
// no --allowed-origins, or with `*`, any page may read, and the answers say
// `Access-Control-Allow-Origin: *` (the server takes bearer tokens, never
// cookies, so a page reads nothing its visitor could not ask for directly);
// with a list, only the pages of listed origins (and the server's own) get
// their origin echoed back. A page that sends the read token in an
// Authorization header makes its browser ask first (a preflight, OPTIONS):
// the answer allows GET and HEAD with that header. Cross-origin writes are
// not offered: producers are services, and POST /v1/events keeps its Origin
// rule without preflights.
//
// Pure: headers in, headers out; the HTTP session applies them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http_router.h"

namespace bangdan {

// The Access-Control-Allow-Origin value for a request from `origin` to
// `host`, or "" when none is due (no Origin: not a browser; an origin that
// may not read: the browser keeps the answer from the page).
std::string CorsAllowOrigin(std::string_view origin, std::string_view host,
                            const std::vector<std::string>& allowed);

// Whether a request is a CORS preflight: OPTIONS with an Origin and an
// Access-Control-Request-Method.
bool IsCorsPreflight(Method method, std::string_view origin, std::string_view request_method);

// The answer to a preflight for `path`: 204 with the Access-Control-Allow-*
// headers when the page may read there with GET or HEAD and at most an
// Authorization header; else 403 (origin), 405 (another method or header)
// or 404 (not a read path), each {"error":"…"} naming what was asked.
HttpAnswer CorsPreflightAnswer(std::string_view path, std::string_view origin, std::string_view host,
                               std::string_view request_method, std::string_view request_headers,
                               const std::vector<std::string>& allowed);

}  // namespace bangdan
