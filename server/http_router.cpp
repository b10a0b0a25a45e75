#include "http_router.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "bangdan/board.h"
#include "json_writer.h"

namespace bangdan {
namespace {

// options.h has one too; this file stays free of the options (the router's
// fuzzer builds it alone).
bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view StripScheme(std::string_view origin) {
  size_t p = origin.find("://");
  return p == std::string_view::npos ? origin : origin.substr(p + 3);
}

// "name:port" → "name", "[v6]:port" → "[v6]"; empty when a bracket is not
// closed.
std::string_view WithoutPort(std::string_view authority) {
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    return close == std::string_view::npos ? std::string_view() : authority.substr(0, close + 1);
  }
  return authority.substr(0, authority.find(':'));
}

// An IPv4 address, or an IPv6 one in brackets, as a URL writes them (a
// browser writes every IPv4 form, 0x7f.1 included, as dotted decimal).
bool IsAddress(std::string_view name) {
  int family = AF_INET;
  if (name.size() > 2 && name.front() == '[' && name.back() == ']') {
    family = AF_INET6;
    name = name.substr(1, name.size() - 2);
  }
  const std::string text(name);
  unsigned char address[sizeof(in6_addr)];
  return inet_pton(family, text.c_str(), address) == 1;
}

// Route of a decoded path; false for a path that is not ours.
bool Classify(const std::vector<std::string>& seg, Route* route) {
  if (seg.size() == 1 && seg[0] == "healthz") return *route = Route::kHealth, true;
  if (seg.size() == 1 && seg[0] == "metrics") return *route = Route::kMetrics, true;
  if (seg.empty() || seg[0] != "v1") return *route = Route::kPage, true;
  if (seg.size() == 2 && seg[1] == "totals") return *route = Route::kTotals, true;
  if (seg.size() == 2 && seg[1] == "events") return *route = Route::kEvents, true;
  if (seg.size() == 2 && seg[1] == "ingest") return *route = Route::kIngest, true;
  if (seg.size() == 2 && seg[1] == "stream") return *route = Route::kStream, true;
  if (seg.size() == 3 && seg[1] == "admin" && seg[2] == "snapshot") return *route = Route::kSnapshot, true;
  if (seg.size() == 3 && seg[1] == "boards" && !seg[2].empty()) return *route = Route::kBoard, true;
  if (seg.size() == 5 && seg[1] == "boards" && seg[3] == "entries" && !seg[2].empty())
    return *route = Route::kEntry, true;
  return false;
}

}  // namespace

HttpAnswer ErrorAnswer(unsigned status, std::string_view message) {
  HttpAnswer a;
  a.status = status;
  JsonWriter w(&a.body);
  w.BeginObject().Key("error").String(message).EndObject();
  return a;
}

bool HostNamesThisServer(std::string_view host, const std::vector<std::string>& allowed) {
  const std::string_view name = WithoutPort(host);
  if (name.empty()) return false;
  // No DNS answer can make an address name another machine, and browsers
  // resolve localhost themselves, never through DNS.
  if (IsAddress(name) || EqualsIgnoreCase(name, "localhost")) return true;
  for (const std::string& a : allowed)
    if (EqualsIgnoreCase(WithoutPort(StripScheme(a)), name)) return true;
  return false;
}

bool OriginAllowed(std::string_view origin, std::string_view host, const std::vector<std::string>& allowed,
                   OriginUse use, bool carried_token, std::string_view* why) {
  if (origin.empty() || carried_token) return true;
  const bool same_origin = !host.empty() && EqualsIgnoreCase(StripScheme(origin), host);
  if (same_origin && HostNamesThisServer(host, allowed)) return true;
  for (const std::string& a : allowed)
    if (a == "*" || EqualsIgnoreCase(a, origin)) return true;
  if (allowed.empty() && use == OriginUse::kRead) return true;
  if (why != nullptr) {
    *why = same_origin ? "origin not allowed: Origin is the origin of Host, but Host is not an IP address, "
                         "localhost or a host named in --allowed-origins"
                       : "origin not allowed";
  }
  return false;
}

bool TokenEquals(std::string_view given, std::string_view expected) {
  // Every byte of `given` is compared against a byte of `expected` (cycled),
  // and the length difference is folded in, so that the time taken says
  // nothing about how much of the token was right.
  size_t diff = given.size() ^ expected.size();
  if (expected.empty()) return given.empty();
  for (size_t i = 0; i < given.size(); ++i)
    diff |= static_cast<unsigned char>(given[i]) ^ static_cast<unsigned char>(expected[i % expected.size()]);
  return diff == 0;
}

std::string_view BearerToken(std::string_view authorization) {
  if (authorization.size() < 7 || !EqualsIgnoreCase(authorization.substr(0, 7), "bearer ")) return {};
  std::string_view t = authorization.substr(7);
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  return t;
}

bool RouteRequest(Method method, std::string_view target, std::string_view authorization,
                  bool is_upgrade, const AccessTokens& tokens, RoutedRequest* out,
                  HttpAnswer* answer) {
  Target t = SplitTarget(target);
  if (t.path.empty() || t.path.front() != '/') {
    *answer = ErrorAnswer(400, "target: must be an absolute path");
    return false;
  }
  size_t bad = 0;
  if (!SplitPath(t.path, &out->segments, &bad)) {
    *answer = ErrorAnswer(400, "path: invalid percent-encoding or UTF-8 in segment " + std::to_string(bad + 1));
    return false;
  }
  if (!PercentDecode(t.path, false, &out->path)) out->path.clear();
  if (!Classify(out->segments, &out->route)) {
    *answer = ErrorAnswer(404, "no such path");
    return false;
  }
  const Route r = out->route;
  // A board that does not exist is an unknown resource like an unknown path:
  // 404 whatever the method (a 405 would say it exists), and before the
  // token, as for any path (the boards' names are public, SPEC §2).
  if ((r == Route::kBoard || r == Route::kEntry) && !ParseDimension(out->segments[2])) {
    *answer = ErrorAnswer(404, "unknown board '" + out->segments[2] + "'");
    return false;
  }
  const bool post_route = r == Route::kEvents || r == Route::kSnapshot;
  const bool ws_route = r == Route::kIngest || r == Route::kStream;
  // Which pages exist only the session knows (the dashboard's assets): it
  // answers 404, or 405 to a method other than GET and HEAD, itself.
  bool method_ok = r == Route::kPage ? true
                   : post_route      ? method == Method::kPost
                   : ws_route        ? method == Method::kGet
                                     : method == Method::kGet || method == Method::kHead;
  if (!method_ok) {
    *answer = ErrorAnswer(405, "method not allowed");
    answer->allow = post_route ? "POST" : ws_route ? "GET" : "GET, HEAD";
    return false;
  }
  Status s = ParseQuery(t.query, &out->params);
  if (!s.ok()) {
    *answer = ErrorAnswer(400, s.message());
    return false;
  }
  if (ws_route && !is_upgrade) {
    *answer = ErrorAnswer(426, "this path takes a WebSocket upgrade");
    return false;
  }

  // Which token guards the route, and whether ?token= may carry it.
  std::string_view expected;
  bool query_token_ok = true;
  switch (r) {
    case Route::kIngest: expected = tokens.ingest; break;
    case Route::kEvents: expected = tokens.ingest; query_token_ok = false; break;
    case Route::kBoard:
    case Route::kEntry:
    case Route::kTotals:
    case Route::kStream:
    case Route::kMetrics: expected = tokens.read; break;
    case Route::kSnapshot:
      if (tokens.admin.empty()) {
        *answer = ErrorAnswer(403, "admin endpoints are disabled (no --admin-token set)");
        return false;
      }
      expected = tokens.admin;
      query_token_ok = false;
      break;
    case Route::kPage:
    case Route::kHealth: return true;
  }
  if (expected.empty()) return true;
  std::string_view given = BearerToken(authorization);
  if (given.empty() && query_token_ok) {
    if (auto q = FindParam(out->params, "token")) given = *q;
  }
  if (!TokenEquals(given, expected)) {
    *answer = ErrorAnswer(401, given.empty() ? "a bearer token is required" : "invalid token");
    answer->authenticate = true;
    return false;
  }
  return true;
}

}  // namespace bangdan
