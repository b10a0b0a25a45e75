// StrandSocket and LaneSocket: TCP sockets whose executor says, by type, how
// their handlers are kept apart, and the move of an accepted connection onto
// one.
//
// Typed as tcp::socket or beast::tcp_stream, a socket carries a type-erased
// executor that is copied at each step of each read and write; with 10,000
// dashboards, one write each per push interval, those copies cost more than
// a strand (bench/RESULTS.md, "The server's CPU per push frame"). The
// WebSocket layer keeps its own timeouts, so no tcp_stream is needed below
// it.
//
// - StrandSocket (an IngestSession's): a strand of its own on an io_context
//   that several threads run.
// - LaneSocket (a StreamSession's): the io_context of one stream lane, which
//   exactly one thread runs, so that no strand is needed at all: that thread
//   is what keeps a connection's handlers apart.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/tcp_stream.hpp>

namespace bangdan {

using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
using StrandSocket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, Strand>;
using LaneSocket =
    boost::asio::basic_stream_socket<boost::asio::ip::tcp, boost::asio::io_context::executor_type>;

// The connection of `stream` (the HTTP layer's, upgraded) on a new strand of
// `ioc`: the descriptor changes hands, the connection is the same. If it
// cannot be moved (the peer is gone), the socket returned is closed and
// `stream`'s connection with it.
StrandSocket MoveOntoStrand(boost::beast::tcp_stream&& stream, boost::asio::io_context& ioc);
// The same, on a new strand of the io_context `stream` runs on.
StrandSocket MoveOntoStrand(boost::beast::tcp_stream&& stream);
// The same, on `lane` itself (no strand).
LaneSocket MoveOntoLane(boost::beast::tcp_stream&& stream, boost::asio::io_context& lane);

}  // namespace bangdan
