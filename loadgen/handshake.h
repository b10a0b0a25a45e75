// HandshakeRefusal: what a server that declined a WebSocket handshake said,
// for the report. Beast's own error ("the WebSocket handshake was declined
// by the remote peer") names neither the status nor the cause; a 401 is
// nearly always a missing or wrong token, and the user should hear which flag
// carries it.
#pragma once

#include <string>

#include <boost/beast/websocket.hpp>

namespace bangdan::loadgen {

inline std::string HandshakeRefusal(const boost::beast::websocket::response_type& response,
                                    const char* token_flag) {
  const unsigned status = response.result_int();
  if (status == 0 || status == 101) return "";  // no answer, or not a refusal
  std::string out = " (HTTP " + std::to_string(status);
  if (status == 401) out += std::string(": the server wants a token; give it with ") + token_flag;
  if (status == 403) out += std::string(": refused; check ") + token_flag;
  const std::string& body = response.body();
  if (!body.empty()) out += ": " + body.substr(0, 160);
  return out + ")";
}

}  // namespace bangdan::loadgen
