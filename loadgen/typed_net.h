// The generator's sockets and timers. Each generator thread runs an
// io_context of its own (runner.cpp), so they are typed with that context's
// executor: no type-erased executor and no beast::tcp_stream timer on every
// read or write (the WebSocket layer keeps its own timeouts). With thousands
// of subscribers or single-event frames, that is a share of the box the
// server under test would otherwise not get (bench/RESULTS.md, "The
// generator's subscribers on typed sockets").
#pragma once

#include <chrono>

#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/basic_resolver.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace bangdan::loadgen {

using Executor = boost::asio::io_context::executor_type;
using Socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, Executor>;
using Resolver = boost::asio::ip::basic_resolver<boost::asio::ip::tcp, Executor>;
using Timer = boost::asio::basic_waitable_timer<std::chrono::steady_clock,
                                                boost::asio::wait_traits<std::chrono::steady_clock>, Executor>;

}  // namespace bangdan::loadgen
