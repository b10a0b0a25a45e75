// The answer to a WebSocket upgrade, made like every other answer of the
// server. Beast writes the handshake's response itself (101, or 400/426
// when the request is not a valid upgrade); its decorator hook lets the
// server put its own name in `Server` (Beast's would be "Boost.Beast/345")
// and turn a refusal's plain-text body into {"error":"…"}, as docs/protocol.md
// promises for every error.
#pragma once

#include <string_view>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace bangdan {

// For websocket::stream_base::decorator, on /v1/ingest and /v1/stream.
void DecorateHandshake(boost::beast::http::response<boost::beast::http::string_body>& res);

// Whether `key` is a Sec-WebSocket-Key as RFC 6455 §4.1 has a client send:
// 16 bytes in base64, 24 characters ending in "==". Beast takes any
// non-empty value, an empty one included when the header is there.
bool IsWebSocketKey(std::string_view key);

}  // namespace bangdan
