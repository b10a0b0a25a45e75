#include "url.h"

#include "bangdan/event_parser.h"

namespace bangdan {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Target SplitTarget(std::string_view target) {
  Target t;
  size_t q = target.find('?');
  t.path = target.substr(0, q);
  if (q != std::string_view::npos) t.query = target.substr(q + 1);
  // A fragment never reaches a server from a browser; from anyone else it is
  // not part of the query either.
  size_t hash = t.query.find('#');
  if (hash != std::string_view::npos) t.query = t.query.substr(0, hash);
  return t;
}

bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return IsValidUtf8(*out);
}

Status ParseQuery(std::string_view query, std::vector<QueryParam>* out) {
  out->clear();
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (piece.empty()) continue;
    size_t eq = piece.find('=');
    std::string_view raw_name = piece.substr(0, eq);
    std::string_view raw_value = eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
    QueryParam p;
    if (!PercentDecode(raw_name, true, &p.name))
      return Status::InvalidArgument("invalid percent-encoding or UTF-8 in a parameter name");
    if (!PercentDecode(raw_value, true, &p.value))
      return Status::InvalidArgument(p.name + ": invalid percent-encoding or UTF-8");
    out->push_back(std::move(p));
  }
  return Status::OK();
}

std::optional<std::string_view> FindParam(const std::vector<QueryParam>& params,
                                          std::string_view name) {
  for (const QueryParam& p : params)
    if (p.name == name) return std::string_view(p.value);
  return std::nullopt;
}

bool SplitPath(std::string_view path, std::vector<std::string>* segments, size_t* bad_segment) {
  segments->clear();
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (true) {
    size_t slash = path.find('/');
    std::string seg;
    if (!PercentDecode(path.substr(0, slash), false, &seg)) {
      *bad_segment = segments->size();
      return false;
    }
    segments->push_back(std::move(seg));
    if (slash == std::string_view::npos) break;
    path = path.substr(slash + 1);
  }
  return true;
}

}  // namespace bangdan
