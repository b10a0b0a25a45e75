#include "strand_socket.h"

#include <boost/asio/query.hpp>

namespace bangdan {

namespace {

// Hands the descriptor of `stream` to `socket`, an unopened socket on the
// executor it is to run on.
template <typename Socket>
Socket Adopt(boost::beast::tcp_stream&& stream, Socket socket) {
  boost::asio::ip::tcp::socket from = stream.release_socket();
  boost::system::error_code ec;
  const boost::asio::ip::tcp protocol = from.local_endpoint(ec).protocol();
  if (ec) return socket;  // `from` closes as it goes
  const auto fd = from.release(ec);
  if (!ec) socket.assign(protocol, fd, ec);
  return socket;
}

}  // namespace

StrandSocket MoveOntoStrand(boost::beast::tcp_stream&& stream, boost::asio::io_context& ioc) {
  return Adopt(std::move(stream), StrandSocket(boost::asio::make_strand(ioc)));
}

StrandSocket MoveOntoStrand(boost::beast::tcp_stream&& stream) {
  auto& ioc = static_cast<boost::asio::io_context&>(
      boost::asio::query(stream.get_executor(), boost::asio::execution::context));
  return MoveOntoStrand(std::move(stream), ioc);
}

LaneSocket MoveOntoLane(boost::beast::tcp_stream&& stream, boost::asio::io_context& lane) {
  return Adopt(std::move(stream), LaneSocket(lane.get_executor()));
}

}  // namespace bangdan
