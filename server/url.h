// Request targets: path and query split, percent-decoding (SPEC §4: keys in
// paths and queries are percent-encoded UTF-8).
//
// Pure functions of their input, so that tests and the fuzzer drive them
// without a socket.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bangdan/status.h"

namespace bangdan {

struct QueryParam {
  std::string name;
  std::string value;
};

struct Target {
  std::string_view path;   // raw (still percent-encoded), without the query
  std::string_view query;  // raw, without the '?'
};

Target SplitTarget(std::string_view target);

// Decodes %XX escapes (and '+' as a space when `plus_is_space`, as forms do in
// a query). False on a malformed escape or a result that is not valid UTF-8.
bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out);

// Splits and decodes `a=1&b=2`. An error names the parameter whose name or
// value is malformed ("parameter 'city': invalid percent-encoding or UTF-8").
// Empty pieces (`a=1&&b=2`) are skipped.
Status ParseQuery(std::string_view query, std::vector<QueryParam>* out);

// The value of the first parameter named `name`, if any.
std::optional<std::string_view> FindParam(const std::vector<QueryParam>& params,
                                          std::string_view name);

// Splits a raw path into its decoded segments ("/v1/boards/%E5%90%88" →
// {"v1","boards","合"}). False when a segment is malformed; *bad_segment then
// holds its index.
bool SplitPath(std::string_view path, std::vector<std::string>* segments, size_t* bad_segment);

}  // namespace bangdan
