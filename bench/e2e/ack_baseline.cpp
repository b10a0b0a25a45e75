// ack_baseline: a do-nothing ingest server, to measure what the box itself
// allows. It speaks just enough of SPEC §3 for bangdan-loadgen: a WebSocket
// on any path, and every text frame answered with an ack that counts each
// `"id"` in the frame as accepted — no JSON parsing, no engine, no log, no
// fsync. The same transport as bangdan-server (Beast, one strand per
// connection, N I/O threads), so bangdan's rate divided by this one's, in the
// same run, is the share of the box's ceiling that bangdan reaches.
//
//   ack_baseline [--listen 127.0.0.1:PORT] [--threads N]
#include <boost/asio.hpp>
#include <boost/beast.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

namespace {

size_t CountIds(std::string_view frame) {
  size_t n = 0;
  for (size_t at = frame.find("\"id\""); at != std::string_view::npos;
       at = frame.find("\"id\"", at + 4)) {
    ++n;
  }
  return n;
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket socket) : ws_(std::move(socket)) {}

  void Start() {
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.async_accept(beast::bind_front_handler(&Session::OnAccept, shared_from_this()));
  }

 private:
  void OnAccept(beast::error_code ec) {
    if (!ec) Read();
  }
  void Read() {
    ws_.async_read(buffer_, beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }
  // One frame in flight at a time each way, as a client's window allows:
  // the ack is written before the next frame is read.
  void OnRead(beast::error_code ec, size_t) {
    if (ec) return;
    const auto data = buffer_.cdata();
    const std::string_view frame(static_cast<const char*>(data.data()), data.size());
    const size_t accepted = CountIds(frame);
    seq_ += accepted;
    ++frames_;
    buffer_.consume(buffer_.size());
    ack_ = "{\"type\":\"ack\",\"batch\":" + std::to_string(frames_) +
           ",\"accepted\":" + std::to_string(accepted) +
           ",\"duplicates\":0,\"rejected\":[],\"seq\":" + std::to_string(seq_) + "}";
    ws_.text(true);
    ws_.async_write(net::buffer(ack_),
                    beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }
  void OnWrite(beast::error_code ec, size_t) {
    if (!ec) Read();
  }

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  std::string ack_;
  uint64_t frames_ = 0;
  uint64_t seq_ = 0;  // per connection: nothing here is shared
};

void Accept(tcp::acceptor& acceptor, net::io_context& io) {
  acceptor.async_accept(net::make_strand(io), [&acceptor, &io](beast::error_code ec,
                                                               tcp::socket socket) {
    if (!ec) {
      socket.set_option(tcp::no_delay(true));
      std::make_shared<Session>(std::move(socket))->Start();
    }
    Accept(acceptor, io);
  });
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:0";
  int threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--listen") == 0) {
      listen = argv[i + 1];
    } else if (std::strcmp(argv[i], "--threads") == 0) {
      threads = std::atoi(argv[i + 1]);
    } else {
      std::fprintf(stderr, "usage: ack_baseline [--listen HOST:PORT] [--threads N]\n");
      return 2;
    }
  }
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || threads < 1) {
    std::fprintf(stderr, "ack_baseline: --listen wants HOST:PORT, --threads at least 1\n");
    return 2;
  }
  net::io_context io(threads);
  tcp::endpoint endpoint(net::ip::make_address(listen.substr(0, colon)),
                         static_cast<unsigned short>(std::atoi(listen.c_str() + colon + 1)));
  tcp::acceptor acceptor(io, endpoint);
  // The same line bangdan-server prints, so the bench scripts find the port.
  std::printf("listening on %s:%u\n", endpoint.address().to_string().c_str(),
              acceptor.local_endpoint().port());
  std::fflush(stdout);
  Accept(acceptor, io);
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : pool) t.join();
}
