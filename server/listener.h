// Listener: accepts TCP connections and starts an HttpSession for each, each
// on a strand of its own. Beyond --max-connections a connection gets a short
// 503 and is closed at once.
//
// Out of descriptors (or kernel memory), accept fails, and fails again at
// once if retried at once: the connection stays queued in the kernel until a
// descriptor frees. So after such a failure the listener waits
// kShortagePause before it tries again, and the failures reach the log
// through a LogThrottle, one line per 10 s at most. (Retried at once, 1,100
// idle clients against a limit of 1,024 descriptors made the server burn a
// core and write 54 MB of identical WARN lines in 3 s.)
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/error.hpp>

#include "log.h"
#include "server_context.h"

namespace bangdan {

// Whether an accept failed for want of descriptors or memory (EMFILE, ENFILE,
// ENOBUFS, ENOMEM): a retry can only succeed once something is freed.
bool IsResourceShortage(const boost::beast::error_code& ec);

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // How long accepting pauses after a resource shortage.
  static constexpr std::chrono::milliseconds kShortagePause{100};

  Listener(boost::asio::io_context& ioc, ServerContext& ctx);

  // Binds and listens; the error names the address.
  Status Open(const boost::asio::ip::tcp::endpoint& endpoint);
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  void Run();
  // Stops accepting (connections already accepted go on).
  void Close();

 private:
  void DoAccept();
  void OnAccept(boost::beast::error_code ec, boost::asio::ip::tcp::socket socket);
  void OnAcceptError(const boost::beast::error_code& ec);
  void OnPauseEnd(boost::beast::error_code ec);
  size_t Connections() const;

  boost::asio::io_context& ioc_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer pause_;  // runs while accepting pauses
  LogThrottle failures_;        // on strand_, as everything here
  ServerContext& ctx_;
};

}  // namespace bangdan
