#include "handshake.h"

#include <string>

#include "http_router.h"

namespace bangdan {

namespace http = boost::beast::http;

void DecorateHandshake(http::response<http::string_body>& res) {
  res.set(http::field::server, "bangdan");
  if (res.result() == http::status::switching_protocols) return;
  // Beast has set the body (its reason, e.g. "The WebSocket handshake
  // Sec-WebSocket-Key field is missing") and its length already.
  std::string why = res.body().empty() ? std::string(res.reason()) : res.body();
  res.set(http::field::content_type, "application/json");
  res.set(http::field::cache_control, "no-store");
  res.body() = ErrorAnswer(res.result_int(), why).body;
  res.prepare_payload();
}

}  // namespace bangdan
