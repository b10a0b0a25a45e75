// Looks up the dashboard's embedded files by request path.
#include "dashboard.h"

#include "dashboard_assets.h"

namespace bangdan {

const DashboardAsset* FindDashboardAsset(std::string_view path) {
  // The query string never selects a file: "/?board=team&lang=en" is the page.
  if (auto query = path.find_first_of("?#"); query != std::string_view::npos) {
    path = path.substr(0, query);
  }
  if (path == "/") path = "/index.html";
  // A handful of files: a linear scan is as fast as any index would be.
  for (std::size_t i = 0; i < dashboard_internal::kEmbeddedAssetCount; ++i) {
    const auto& entry = dashboard_internal::kEmbeddedAssets[i];
    if (entry.path == path) return &entry.asset;
  }
  return nullptr;
}

}  // namespace bangdan
