// The dashboard's files as the server finds them: every file of
// server/dashboard/www is embedded, with the content type a browser needs.
#include "dashboard/dashboard.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace bangdan {
namespace {

TEST(DashboardAsset, RootIsThePageWithTheTitlePlaceholder) {
  const DashboardAsset* page = FindDashboardAsset("/");
  ASSERT_NE(page, nullptr);
  EXPECT_EQ(page->content_type, "text/html; charset=utf-8");
  EXPECT_TRUE(page->body.starts_with("<!doctype html>"));
  // Once in <title>, once in the header.
  std::string_view body = page->body;
  const std::string_view kTitle = "__BANGDAN_TITLE__";
  size_t first = body.find(kTitle);
  ASSERT_NE(first, std::string_view::npos);
  EXPECT_NE(body.find(kTitle, first + kTitle.size()), std::string_view::npos);
}

TEST(DashboardAsset, IndexHtmlIsTheSamePage) {
  EXPECT_EQ(FindDashboardAsset("/index.html"), FindDashboardAsset("/"));
}

TEST(DashboardAsset, QueryStringDoesNotChangeThePage) {
  EXPECT_EQ(FindDashboardAsset("/?board=team&city=%E5%90%88%E8%82%A5&lang=en"),
            FindDashboardAsset("/"));
}

TEST(DashboardAsset, ScriptsAndStylesCarryTheirContentTypes) {
  for (std::string_view path : {"/app.js", "/stream.js", "/board_view.js", "/i18n.js", "/tween.js"}) {
    const DashboardAsset* script = FindDashboardAsset(path);
    ASSERT_NE(script, nullptr) << path;
    EXPECT_EQ(script->content_type, "text/javascript; charset=utf-8") << path;
    EXPECT_FALSE(script->body.empty()) << path;
  }
  const DashboardAsset* style = FindDashboardAsset("/style.css");
  ASSERT_NE(style, nullptr);
  EXPECT_EQ(style->content_type, "text/css; charset=utf-8");
}

TEST(DashboardAsset, BodiesAreTheFilesByteForByte) {
  // The page is UTF-8 with Chinese labels: bytes above 0x7f survive embedding.
  const DashboardAsset* labels = FindDashboardAsset("/i18n.js");
  ASSERT_NE(labels, nullptr);
  EXPECT_NE(labels->body.find("城市榜"), std::string_view::npos);
  EXPECT_EQ(labels->body.find('\0'), std::string_view::npos);
  EXPECT_EQ(labels->body.back(), '\n');
}

TEST(DashboardAsset, PageAsksOnlyForFilesThatAreEmbedded) {
  std::string_view page = FindDashboardAsset("/")->body;
  for (std::string_view file : {"style.css", "app.js"}) {
    EXPECT_NE(page.find(file), std::string_view::npos) << file;
    std::string path = "/";
    path += file;
    EXPECT_NE(FindDashboardAsset(path), nullptr) << file;
  }
}

TEST(DashboardAsset, UnknownPathsAreNotFound) {
  EXPECT_EQ(FindDashboardAsset("/favicon.ico"), nullptr);
  EXPECT_EQ(FindDashboardAsset(""), nullptr);
  EXPECT_EQ(FindDashboardAsset("app.js"), nullptr);
  EXPECT_EQ(FindDashboardAsset("/../app.js"), nullptr);
  EXPECT_EQ(FindDashboardAsset("/APP.JS"), nullptr);
}

}  // namespace
}  // namespace bangdan
