// StrandSocket: a TCP socket whose executor is a strand, by type, and the
// move of an accepted connection onto one.
//
// Every WebSocket session (IngestSession, StreamSession) runs on a strand of
// its own. Typed as tcp::socket or beast::tcp_stream, the socket carries a
// type-erased executor that is copied at each step of each read and write;
// with 10,000 dashboards, one write each per push interval, those copies cost
// more than the strand itself (bench/RESULTS.md, "The server's CPU per push
// frame"). The WebSocket layer keeps its own timeouts, so no tcp_stream is
// needed below it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/tcp_stream.hpp>

namespace bangdan {

using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
using StrandSocket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, Strand>;

// The connection of `stream` (the HTTP layer's, upgraded) on a new strand of
// `ioc`: the descriptor changes hands, the connection is the same. If it
// cannot be moved (the peer is gone), the socket returned is closed and
// `stream`'s connection with it.
StrandSocket MoveOntoStrand(boost::beast::tcp_stream&& stream, boost::asio::io_context& ioc);
// The same, on a new strand of the io_context `stream` runs on.
StrandSocket MoveOntoStrand(boost::beast::tcp_stream&& stream);

}  // namespace bangdan
