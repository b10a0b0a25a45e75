// Cross-origin reads (server/cors.h): which pages may read the boards with
// fetch(), and the preflight a page with the read token makes its browser
// send first.
#include "cors.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace bangdan {
namespace {

using namespace bangdan::testing;

const std::vector<std::string> kNone;
const std::vector<std::string> kListed = {"https://board.example"};

TEST(CorsAllowOrigin, AnyPageMayReadUnlessOriginsAreListed) {
  EXPECT_EQ(CorsAllowOrigin("", "127.0.0.1:8080", kNone), "");  // not a browser
  EXPECT_EQ(CorsAllowOrigin("https://elsewhere.example", "127.0.0.1:8080", kNone), "*");
  EXPECT_EQ(CorsAllowOrigin("https://board.example", "127.0.0.1:8080", kListed), "https://board.example");
  EXPECT_EQ(CorsAllowOrigin("https://elsewhere.example", "127.0.0.1:8080", kListed), "");
  EXPECT_EQ(CorsAllowOrigin("https://elsewhere.example", "127.0.0.1:8080", {"*"}), "*");
  // The server's own pages, listed or not.
  EXPECT_EQ(CorsAllowOrigin("http://127.0.0.1:8080", "127.0.0.1:8080", kListed), "http://127.0.0.1:8080");
}

TEST(CorsPreflight, IsOptionsWithOriginAndRequestMethod) {
  EXPECT_TRUE(IsCorsPreflight(Method::kOther, "https://a.example", "GET"));
  EXPECT_FALSE(IsCorsPreflight(Method::kOther, "", "GET"));
  EXPECT_FALSE(IsCorsPreflight(Method::kOther, "https://a.example", ""));
  EXPECT_FALSE(IsCorsPreflight(Method::kGet, "https://a.example", "GET"));
}

std::string Header(const HttpAnswer& a, const std::string& name) {
  for (const auto& [n, v] : a.headers)
    if (n == name) return v;
  return "";
}

TEST(CorsPreflight, ReadsWithTheReadTokenAreAllowed) {
  HttpAnswer a = CorsPreflightAnswer("/v1/boards/team", "https://board.example", "127.0.0.1:8080", "GET",
                                     "authorization", kListed);
  EXPECT_EQ(a.status, 204u);
  EXPECT_TRUE(a.body.empty());
  EXPECT_EQ(Header(a, "Access-Control-Allow-Origin"), "https://board.example");
  EXPECT_EQ(Header(a, "Access-Control-Allow-Methods"), "GET, HEAD");
  EXPECT_EQ(Header(a, "Access-Control-Allow-Headers"), "Authorization");
  EXPECT_EQ(Header(a, "Vary"), "Origin");
  for (const char* path : {"/v1/totals", "/metrics", "/healthz"})
    EXPECT_EQ(CorsPreflightAnswer(path, "https://x.example", "h", "HEAD", "", kNone).status, 204u) << path;
}

TEST(CorsPreflight, RefusalsNameWhatWasAsked) {
  EXPECT_EQ(CorsPreflightAnswer("/v1/boards/team", "https://elsewhere.example", "h", "GET", "", kListed).status,
            403u);
  HttpAnswer post = CorsPreflightAnswer("/v1/events", "https://x.example", "h", "POST", "content-type", kNone);
  EXPECT_EQ(post.status, 405u);
  EXPECT_EQ(post.allow, "GET, HEAD");
  EXPECT_EQ(CorsPreflightAnswer("/v1/boards/team", "https://x.example", "h", "DELETE", "", kNone).status, 405u);
  HttpAnswer cookie = CorsPreflightAnswer("/v1/totals", "https://x.example", "h", "GET", "Authorization, X-Custom",
                                          kNone);
  EXPECT_EQ(cookie.status, 405u);
  EXPECT_NE(cookie.body.find("Access-Control-Request-Headers"), std::string::npos) << cookie.body;
  EXPECT_EQ(cookie.allow, "GET, HEAD");
  EXPECT_EQ(CorsPreflightAnswer("/nowhere", "https://x.example", "h", "GET", "", kNone).status, 404u);
  EXPECT_EQ(CorsPreflightAnswer("/v1/boards/tem", "https://x.example", "h", "GET", "", kNone).status, 404u);
  EXPECT_EQ(CorsPreflightAnswer("/v1/boards/team/entries/x", "https://x.example", "h", "GET", "", kNone).status,
            204u);
}

// On a real server: answers carry the header a browser needs, preflights
// get their 204 with no body and no Content-Length.
TEST(Cors, AServerAnswersCrossOriginReadsAndTheirPreflights) {
  ServerOptions o = TestOptions();
  o.allowed_origins = kListed;
  TestServer s(o);
  HttpResult r = Get(s.port(), "/v1/totals", {{"Origin", "https://board.example"}});
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.raw[http::field::access_control_allow_origin], "https://board.example");
  EXPECT_EQ(r.raw[http::field::vary], "Origin");
  EXPECT_EQ(r.raw[http::field::access_control_expose_headers], "Retry-After, Content-Disposition");
  r = Get(s.port(), "/v1/totals", {{"Origin", "https://elsewhere.example"}});
  EXPECT_EQ(r.status, 200u);  // answered: the browser, not the server, keeps it from the page
  EXPECT_EQ(r.raw.count(http::field::access_control_allow_origin), 0u);
  EXPECT_EQ(Get(s.port(), "/v1/totals").raw.count(http::field::access_control_allow_origin), 0u);

  r = HttpCall(s.port(), http::verb::options, "/v1/boards/city?metric=orders",
               {}, {{"Origin", "https://board.example"}, {"Access-Control-Request-Method", "GET"},
                    {"Access-Control-Request-Headers", "authorization"}});
  EXPECT_EQ(r.status, 204u);
  EXPECT_EQ(r.raw[http::field::access_control_allow_origin], "https://board.example");
  EXPECT_EQ(r.raw[http::field::access_control_allow_headers], "Authorization");
  EXPECT_EQ(r.raw.count(http::field::content_length), 0u);
  // A plain OPTIONS is no preflight: the method is not allowed.
  EXPECT_EQ(HttpCall(s.port(), http::verb::options, "/v1/totals").status, 405u);
}

}  // namespace
}  // namespace bangdan
