// The big-screen dashboard's files (SPEC §7), embedded in the binary at build
// time so that bangdan serves every asset itself.
#pragma once

#include <string_view>

namespace bangdan {

struct DashboardAsset {
  std::string_view content_type;  // "text/html; charset=utf-8", …
  std::string_view body;
};

// The asset served at `path` ("/" is the page itself), or nullptr.
// The page's body contains the placeholder __BANGDAN_TITLE__ where the server
// puts the HTML-escaped campaign title (--title).
const DashboardAsset* FindDashboardAsset(std::string_view path);

}  // namespace bangdan
