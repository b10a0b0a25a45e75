// The table of embedded files that the build generates from www/
// (embed_assets.cmake); internal to bangdan_dashboard.
#pragma once

#include <cstddef>
#include <string_view>

#include "dashboard.h"

namespace bangdan::dashboard_internal {

struct EmbeddedAsset {
  std::string_view path;  // "/index.html", "/app.js", …
  DashboardAsset asset;
};

extern const EmbeddedAsset kEmbeddedAssets[];
extern const std::size_t kEmbeddedAssetCount;

}  // namespace bangdan::dashboard_internal
