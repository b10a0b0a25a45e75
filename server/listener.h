// Listener: accepts TCP connections and starts an HttpSession for each, each
// on a strand of its own. Beyond --max-connections a connection gets a short
// 503 and is closed at once.
#pragma once

#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/error.hpp>

#include "server_context.h"

namespace bangdan {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
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
  size_t Connections() const;

  boost::asio::io_context& ioc_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::ip::tcp::acceptor acceptor_;
  ServerContext& ctx_;
};

}  // namespace bangdan
