// IngestSession: one producer's WebSocket on /v1/ingest (SPEC §3).
//
// do_read/on_read: each text frame is parsed on this I/O thread and handed to
// the engine writer; the writer's answers come back to this connection's
// strand, in frame order, and are written one at a time (do_write/on_write).
//
// Backpressure: at most kMaxPending frames may be unanswered or answered but
// unwritten; beyond that the session stops reading, so a producer that does
// not read its acks stops being read — memory per connection stays bounded.
// A producer that sends nothing, not even a pong, for --send-timeout is
// closed (Beast's idle timeout; it pings at half of it).
//
// Closes: every frame is answered (SPEC §3) and nothing may follow a close
// frame (RFC 6455), so a close the session decides on — a binary message
// (1003), one over --max-frame-bytes (1009), the shutdown (1001) — is owed
// until the answer of every frame read before it is written; meanwhile
// nothing more is read. That wait is bounded by the idle timeout above.
// Beast itself fails a connection at once for bad UTF-8 (1007) or a broken
// frame (1002), and answers a client's close at once: the answers still owed
// then are lost (docs/protocol.md).
//
// Lifetime: kept alive by shared_from_this in every pending handler and by
// each frame the writer holds.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "server_context.h"
#include "strand_socket.h"

namespace bangdan {

class IngestSession : public Connection, public std::enable_shared_from_this<IngestSession> {
 public:
  static constexpr size_t kMaxPending = 64;

  // Takes the connection over from `stream` onto a strand of its own.
  IngestSession(boost::beast::tcp_stream&& stream, ServerContext& ctx);
  ~IngestSession() override;

  // Accepts the upgrade `req` and starts reading.
  void Run(boost::beast::http::request<boost::beast::http::string_body> req);
  void BeginShutdown() override;

 private:
  void OnAccept(boost::beast::error_code ec);
  void DoRead();
  void OnRead(boost::beast::error_code ec, size_t bytes);
  void OnAnswer(std::string answer);
  void DoWrite();
  void OnWrite(boost::beast::error_code ec, size_t bytes);
  // The close is owed (see above): sent by MaybeClose once it may be.
  void CloseWhenAnswered(boost::beast::websocket::close_code code);
  void MaybeClose();

  boost::beast::websocket::stream<StrandSocket> ws_;
  boost::beast::flat_buffer buffer_;
  boost::beast::http::request<boost::beast::http::string_body> req_;
  ServerContext& ctx_;
  uint64_t registry_id_ = 0;

  uint64_t frames_ = 0;       // frames received, numbering those without a batch
  size_t unanswered_ = 0;     // frames with the writer
  std::deque<std::string> outbox_;  // answers not yet written
  bool reading_ = false;
  bool writing_ = false;
  // The close frame to send once every frame read is answered.
  std::optional<boost::beast::websocket::close_code> close_owed_;
  bool closing_ = false;  // the close is sent, or the connection over
};

}  // namespace bangdan
