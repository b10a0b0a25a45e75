// The answer to a WebSocket upgrade, made like every other answer of the
// server. Beast writes the handshake's response itself (101, or 400/426
// when the request is not a valid upgrade); its decorator hook lets the
// server put its own name in `Server` (Beast's would be "Boost.Beast/345")
// and turn a refusal's plain-text body into {"error":"…"}, as docs/protocol.md
// promises for every error.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace bangdan {

// For websocket::stream_base::decorator, on /v1/ingest and /v1/stream.
void DecorateHandshake(boost::beast::http::response<boost::beast::http::string_body>& res);

}  // namespace bangdan
