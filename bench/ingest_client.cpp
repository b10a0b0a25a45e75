// ingest_client: ingest throughput through ONE WebSocket connection
// (bench/RESULTS.md, "Server ingest").
//
//   ingest_client --port 8080 --batch 100 --frames 20000 --window 16
//
// Frames are built before the clock starts; `window` frames are kept in
// flight (sent, not yet acked), so the figure is the server's rate, not one
// round trip per frame. Prints events/s and the acks' accepted total, which
// must equal batch × frames (every id is new).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

int main(int argc, char** argv) {
  std::string host = "127.0.0.1", port = "8080", id_prefix = "bench";
  long batch = 100, frames = 20000, window = 16;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string f = argv[i], v = argv[i + 1];
    if (f == "--host") host = v;
    else if (f == "--port") port = v;
    else if (f == "--batch") batch = std::atol(v.c_str());
    else if (f == "--frames") frames = std::atol(v.c_str());
    else if (f == "--window") window = std::atol(v.c_str());
    else if (f == "--id-prefix") id_prefix = v;
    else {
      std::fprintf(stderr, "ingest_client: unknown flag %s\n", f.c_str());
      return 2;
    }
  }
  if (batch < 1 || frames < 1 || window < 1) {
    std::fprintf(stderr, "ingest_client: --batch, --frames, --window must be positive\n");
    return 2;
  }
  static const char* kCities[] = {"合肥", "芜湖", "蚌埠", "淮南", "马鞍山", "安庆", "黄山", "滁州"};
  std::vector<std::string> texts;
  texts.reserve(frames);
  long n = 0;
  for (long f = 0; f < frames; ++f) {
    std::string t = batch == 1 ? "" : "[";
    for (long e = 0; e < batch; ++e, ++n) {
      if (e) t += ',';
      t += "{\"id\":\"" + id_prefix + "-" + std::to_string(n) + "\",\"city\":\"" + kCities[n % 8] +
           "\",\"firm\":\"firm-" + std::to_string(n % 500) + "\",\"team\":\"team-" + std::to_string(n % 5000) +
           "\",\"user\":\"u" + std::to_string(n % 100000) + "\",\"product\":\"p" + std::to_string(n % 300) +
           "\",\"weight_g\":" + std::to_string(500 + n % 4500) + ",\"amount_fen\":" + std::to_string(990 + n % 9000) + "}";
    }
    if (batch != 1) t += ']';
    texts.push_back(std::move(t));
  }

  net::io_context ioc;
  websocket::stream<beast::tcp_stream> ws(ioc);
  beast::error_code ec;
  auto endpoints = net::ip::tcp::resolver(ioc).resolve(host, port, ec);
  if (!ec) beast::get_lowest_layer(ws).connect(endpoints, ec);
  if (!ec) ws.handshake(host, "/v1/ingest", ec);
  if (ec) {
    std::fprintf(stderr, "ingest_client: cannot connect to %s:%s: %s\n", host.c_str(), port.c_str(),
                 ec.message().c_str());
    return 1;
  }
  ws.text(true);
  beast::flat_buffer buf;
  long sent = 0, acked = 0;
  uint64_t accepted = 0;
  auto start = std::chrono::steady_clock::now();
  while (acked < frames) {
    while (sent < frames && sent - acked < window) ws.write(net::buffer(texts[sent++]));
    ws.read(buf);
    std::string_view ack(static_cast<const char*>(buf.cdata().data()), buf.size());
    size_t p = ack.find("\"accepted\":");
    if (p == std::string_view::npos) {
      std::fprintf(stderr, "ingest_client: not an ack: %.*s\n", static_cast<int>(ack.size()), ack.data());
      return 1;
    }
    accepted += std::strtoull(ack.data() + p + 11, nullptr, 10);
    buf.consume(buf.size());
    ++acked;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ws.close(websocket::close_code::normal, ec);
  std::printf("batch=%ld frames=%ld window=%ld events=%ld accepted=%llu seconds=%.3f events_per_s=%.0f\n",
              batch, frames, window, batch * frames, static_cast<unsigned long long>(accepted), secs,
              static_cast<double>(batch * frames) / secs);
  return accepted == static_cast<uint64_t>(batch * frames) ? 0 : 1;
}
