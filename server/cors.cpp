#include "cors.h"

#include <algorithm>

#include "bangdan/board.h"
#include "options.h"  // EqualsIgnoreCase

namespace bangdan {
namespace {

constexpr std::string_view kMaxAgeSeconds = "600";

// The paths a page may read across origins: the queries, /metrics and
// /healthz (what a status page would poll).
bool IsReadPath(std::string_view path) {
  constexpr std::string_view kBoards = "/v1/boards/";
  if (path.starts_with(kBoards)) {  // a board that exists: /v1/boards/tem is no path
    std::string_view board = path.substr(kBoards.size());
    return ParseDimension(board.substr(0, board.find('/'))).has_value();
  }
  return path == "/v1/totals" || path == "/metrics" || path == "/healthz";
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Access-Control-Request-Headers is a comma-separated list: only
// Authorization is asked for by a page that reads with the read token.
bool OnlyAuthorization(std::string_view list) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view name = Trim(list.substr(0, comma));
    if (!name.empty() && !EqualsIgnoreCase(name, "authorization")) return false;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return true;
}

}  // namespace

std::string CorsAllowOrigin(std::string_view origin, std::string_view host,
                            const std::vector<std::string>& allowed) {
  if (origin.empty()) return "";
  if (!OriginAllowed(origin, host, allowed, OriginUse::kRead, /*carried_token=*/false)) return "";
  const bool any = allowed.empty() || std::find(allowed.begin(), allowed.end(), "*") != allowed.end();
  return any ? "*" : std::string(origin);
}

bool IsCorsPreflight(Method method, std::string_view origin, std::string_view request_method) {
  return method == Method::kOther && !origin.empty() && !request_method.empty();
}

HttpAnswer CorsPreflightAnswer(std::string_view path, std::string_view origin, std::string_view host,
                               std::string_view request_method, std::string_view request_headers,
                               const std::vector<std::string>& allowed) {
  auto not_offered = [](std::string_view why) {
    HttpAnswer a = ErrorAnswer(405, why);
    a.allow = "GET, HEAD";
    return a;
  };
  if (path == "/v1/events" || path == "/v1/admin/snapshot")
    return not_offered("only reads (GET, HEAD) are offered across origins");
  if (!IsReadPath(path)) return ErrorAnswer(404, "no such path");
  const std::string allow_origin = CorsAllowOrigin(origin, host, allowed);
  if (allow_origin.empty()) return ErrorAnswer(403, "origin not allowed");
  if (request_method != "GET" && request_method != "HEAD")
    return not_offered("Access-Control-Request-Method: only GET and HEAD are offered across origins");
  if (!OnlyAuthorization(request_headers))
    return not_offered("Access-Control-Request-Headers: only Authorization is offered across origins");
  HttpAnswer a;
  a.status = 204;
  a.content_type.clear();
  a.headers = {{"Access-Control-Allow-Origin", allow_origin},
               {"Access-Control-Allow-Methods", "GET, HEAD"},
               {"Access-Control-Allow-Headers", "Authorization"},
               {"Access-Control-Max-Age", std::string(kMaxAgeSeconds)},
               {"Vary", "Origin"}};
  return a;
}

}  // namespace bangdan
