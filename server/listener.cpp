#include "listener.h"

#include <utility>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>

#include "http_session.h"
#include "log.h"
#include "stream_hub.h"

namespace bangdan {

namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;

bool IsResourceShortage(const beast::error_code& ec) {
  using boost::system::errc::errc_t;
  return ec == errc_t::too_many_files_open || ec == errc_t::too_many_files_open_in_system ||
         ec == errc_t::no_buffer_space || ec == errc_t::not_enough_memory;
}

Listener::Listener(net::io_context& ioc, ServerContext& ctx)
    : ioc_(ioc), strand_(net::make_strand(ioc)), acceptor_(strand_), pause_(strand_), ctx_(ctx) {}

Status Listener::Open(const tcp::endpoint& endpoint) {
  beast::error_code ec;
  std::string where = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Status::IOError("cannot listen on " + where + ": " + ec.message());
  return Status::OK();
}

tcp::endpoint Listener::local_endpoint() const {
  beast::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void Listener::Run() {
  net::dispatch(strand_, beast::bind_front_handler(&Listener::DoAccept, shared_from_this()));
}

void Listener::Close() {
  net::post(strand_, [self = shared_from_this()] {
    beast::error_code ec;
    self->acceptor_.close(ec);
    self->pause_.cancel();
  });
}

size_t Listener::Connections() const {
  // HTTP and ingest connections register themselves; the hub counts its own.
  return ctx_.registry.size() + ctx_.hub.connections();
}

void Listener::DoAccept() {
  // Each connection gets its own strand: its handlers never run concurrently.
  acceptor_.async_accept(net::make_strand(ioc_),
                         beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
}

void Listener::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) return OnAcceptError(ec);
  if (Connections() >= ctx_.options.max_connections) {
    ctx_.metrics.connections_refused.fetch_add(1, std::memory_order_relaxed);
    // A best-effort answer that cannot block: the socket's buffer is empty.
    static constexpr std::string_view kBusy =
        "HTTP/1.1 503 Service Unavailable\r\nServer: bangdan\r\nContent-Type: application/json\r\n"
        "Cache-Control: no-store\r\nRetry-After: 1\r\nContent-Length: 32\r\nConnection: close\r\n\r\n"
        "{\"error\":\"too many connections\"}";
    beast::error_code ignored;
    socket.non_blocking(true, ignored);
    socket.write_some(net::buffer(kBusy.data(), kBusy.size()), ignored);
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  } else {
    std::make_shared<HttpSession>(std::move(socket), ctx_)->Run();
  }
  DoAccept();
}

void Listener::OnAcceptError(const beast::error_code& ec) {
  // Asio itself retries the failures of a connection that was gone before
  // it was taken (ECONNABORTED, EPROTO); the rest of one connection's
  // network errors are retried at once too. A shortage is not: see the top
  // of listener.h.
  const bool shortage = IsResourceShortage(ec);
  if (uint64_t failed = failures_.Note(LogThrottle::Clock::now()); failed > 0) {
    std::string line = "accept: " + ec.message();
    if (failed > 1) line += " (" + std::to_string(failed) + " accepts failed since the last such line)";
    if (shortage) line += "; trying again every " + std::to_string(kShortagePause.count()) + " ms";
    LogWarn(line);
  }
  if (!shortage) return DoAccept();
  // Nothing says when a descriptor frees (a connection closing): look again
  // shortly.
  pause_.expires_after(kShortagePause);
  pause_.async_wait(beast::bind_front_handler(&Listener::OnPauseEnd, shared_from_this()));
}

void Listener::OnPauseEnd(beast::error_code ec) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
  DoAccept();
}

}  // namespace bangdan
