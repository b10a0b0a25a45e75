#include "handshake.h"

#include <string>

#include "http_router.h"

namespace bangdan {

namespace http = boost::beast::http;

void DecorateHandshake(http::response<http::string_body>& res) {
  res.set(http::field::server, "bangdan");
  if (res.result() == http::status::switching_protocols) return;
  // RFC 9110 §15.5.22: a 426 names the protocol to upgrade to.
  if (res.result() == http::status::upgrade_required) res.set(http::field::upgrade, "websocket");
  // Beast has set the body (its reason, e.g. "The WebSocket handshake
  // Sec-WebSocket-Key field is missing") and its length already.
  std::string why = res.body().empty() ? std::string(res.reason()) : res.body();
  res.set(http::field::content_type, "application/json");
  res.set(http::field::cache_control, "no-store");
  res.body() = ErrorAnswer(res.result_int(), why).body;
  res.prepare_payload();
}

bool IsWebSocketKey(std::string_view key) {
  if (key.size() != 24 || !key.ends_with("==")) return false;
  auto base64 = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
  };
  // 16 bytes are 22 characters and "==": the 22nd carries 2 bits, the rest 0.
  for (size_t i = 0; i < 22; ++i)
    if (!base64(key[i])) return false;
  return std::string_view("AQgw").find(key[21]) != std::string_view::npos;
}

}  // namespace bangdan
