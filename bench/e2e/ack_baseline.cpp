// ack_baseline: a do-nothing ingest and push server, to measure what the box
// itself allows. It speaks just enough of SPEC §3 and §5 for bangdan-loadgen:
//   - a WebSocket on /v1/stream is a dashboard: whatever it sends is ignored,
//     and every push interval it gets an update — one shared string per
//     interval for all subscribers, a totals view (whose `events` is the
//     number of events acked so far) to totals subscribers, a ten-row board
//     of bangdan's size to the rest; a slow subscriber keeps only the newest
//     unsent one, as bangdan does;
//   - a WebSocket on any other path is a producer: every text frame is
//     answered with an ack that counts each `"id"` in the frame as accepted,
//     with sequence numbers shared by all connections — no JSON parsing, no
//     engine, no log, no fsync.
// The same transport as bangdan-server (Beast; N I/O threads for producers,
// one strand per connection; N stream lanes for dashboards, an io_context
// per thread, one post per lane per interval, the next interval waiting for
// a lane that is behind), so bangdan's figure divided by this one's, in the
// same run, is the share of the box's ceiling that bangdan reaches.
//
//   ack_baseline [--listen 127.0.0.1:PORT] [--threads N] [--push-interval-ms MS]
#include <boost/asio.hpp>
#include <boost/beast.hpp>

#include "strand_socket.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
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

using bangdan::LaneSocket;

class Subscriber;

// What all connections share: the sequence numbers, the lanes and the
// subscribers.
struct Shared {
  std::atomic<uint64_t> seq{0};  // events acked so far
  std::vector<std::unique_ptr<net::io_context>> lanes;  // each run by one thread
  std::atomic<size_t> next_lane{0};
  std::atomic<int> lanes_busy{0};    // lane batches not yet handed out
  std::atomic<bool> push_due{false};
  std::mutex mu;
  std::vector<std::weak_ptr<Subscriber>> subscribers;
};

// A producer: one frame in flight at a time each way, as a client's window
// allows; the ack is written before the next frame is read.
class Producer : public std::enable_shared_from_this<Producer> {
 public:
  Producer(websocket::stream<beast::tcp_stream> ws, Shared& shared)
      : ws_(std::move(ws)), shared_(shared) {}
  void Start() { Read(); }

 private:
  void Read() {
    ws_.async_read(buffer_, beast::bind_front_handler(&Producer::OnRead, shared_from_this()));
  }
  void OnRead(beast::error_code ec, size_t) {
    if (ec) return;
    const auto data = buffer_.cdata();
    const std::string_view frame(static_cast<const char*>(data.data()), data.size());
    const uint64_t accepted = CountIds(frame);
    const uint64_t seq = shared_.seq.fetch_add(accepted) + accepted;
    ++frames_;
    buffer_.consume(buffer_.size());
    ack_ = "{\"type\":\"ack\",\"batch\":" + std::to_string(frames_) +
           ",\"accepted\":" + std::to_string(accepted) +
           ",\"duplicates\":0,\"rejected\":[],\"seq\":" + std::to_string(seq) + "}";
    ws_.text(true);
    ws_.async_write(net::buffer(ack_),
                    beast::bind_front_handler(&Producer::OnWrite, shared_from_this()));
  }
  void OnWrite(beast::error_code ec, size_t) {
    if (!ec) Read();
  }

  websocket::stream<beast::tcp_stream> ws_;
  Shared& shared_;
  beast::flat_buffer buffer_;
  std::string ack_;
  uint64_t frames_ = 0;
};

using Message = std::shared_ptr<const std::string>;

// A dashboard: reads (and ignores) what it sends, writes what is pushed.
class Subscriber : public std::enable_shared_from_this<Subscriber> {
 public:
  Subscriber(size_t lane, LaneSocket socket) : lane_(lane), ws_(std::move(socket)) {}
  size_t lane() const { return lane_; }  // its index in Shared::lanes
  bool totals() const { return totals_.load(std::memory_order_relaxed); }

  // On the lane's thread. Pushes come once the handshake is done.
  void Accept(std::shared_ptr<http::request<http::string_body>> request, Shared& shared) {
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.read_message_max(64 << 20);
    ws_.async_accept(*request, [self = shared_from_this(), request, &shared](beast::error_code ec) {
      if (ec) return;
      {
        std::lock_guard lk(shared.mu);
        shared.subscribers.push_back(self);
      }
      self->Read();
    });
  }

  // On the lane's thread: sends `m`, or keeps it as the newest unsent frame.
  void Take(Message m) {
    if (writing_) {
      pending_ = std::move(m);
      return;
    }
    Write(std::move(m));
  }

 private:
  void Read() {
    ws_.async_read(buffer_, beast::bind_front_handler(&Subscriber::OnRead, shared_from_this()));
  }
  void OnRead(beast::error_code ec, size_t) {
    if (ec) return;
    const auto data = buffer_.cdata();
    const std::string_view text(static_cast<const char*>(data.data()), data.size());
    if (text.find("\"totals\"") != std::string_view::npos) totals_ = true;
    buffer_.consume(buffer_.size());
    Read();
  }
  void Write(Message m) {
    writing_ = true;
    current_ = std::move(m);
    ws_.text(true);
    ws_.async_write(net::buffer(*current_),
                    beast::bind_front_handler(&Subscriber::OnWrite, shared_from_this()));
  }
  void OnWrite(beast::error_code ec, size_t) {
    writing_ = false;
    current_.reset();
    if (ec || !pending_) return;
    Write(std::move(pending_));
  }

  const size_t lane_;
  websocket::stream<LaneSocket> ws_;
  beast::flat_buffer buffer_;
  std::atomic<bool> totals_{false};
  bool writing_ = false;
  Message current_, pending_;
};

// Reads the upgrade request to learn the path, then hands the connection to
// a Producer or a Subscriber.
class Handshake : public std::enable_shared_from_this<Handshake> {
 public:
  Handshake(tcp::socket socket, Shared& shared) : stream_(std::move(socket)), shared_(shared) {}
  void Start() {
    http::async_read(stream_, buffer_, request_,
                     beast::bind_front_handler(&Handshake::OnRequest, shared_from_this()));
  }

 private:
  void OnRequest(beast::error_code ec, size_t) {
    if (ec || !websocket::is_upgrade(request_)) return;
    if (request_.target().starts_with("/v1/stream")) return ToLane();
    websocket::stream<beast::tcp_stream> ws(std::move(stream_));
    ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws.read_message_max(64 << 20);
    auto self = shared_from_this();
    auto socket = std::make_shared<websocket::stream<beast::tcp_stream>>(std::move(ws));
    socket->async_accept(request_, [self, socket](beast::error_code ec) {
      if (!ec) std::make_shared<Producer>(std::move(*socket), self->shared_)->Start();
    });
  }

  // A dashboard: its connection moves to the next lane, which accepts it.
  void ToLane() {
    const size_t index = shared_.next_lane.fetch_add(1) % shared_.lanes.size();
    net::io_context& lane = *shared_.lanes[index];
    LaneSocket socket = bangdan::MoveOntoLane(std::move(stream_), lane);
    if (!socket.is_open()) return;
    auto s = std::make_shared<Subscriber>(index, std::move(socket));
    auto request = std::make_shared<http::request<http::string_body>>(std::move(request_));
    net::post(lane, [s, request, &shared = shared_] { s->Accept(request, shared); });
  }

  beast::tcp_stream stream_;
  Shared& shared_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
};

void Accept(tcp::acceptor& acceptor, net::io_context& io, Shared& shared) {
  acceptor.async_accept(net::make_strand(io), [&acceptor, &io, &shared](beast::error_code ec,
                                                                        tcp::socket socket) {
    if (!ec) {
      socket.set_option(tcp::no_delay(true));
      std::make_shared<Handshake>(std::move(socket), shared)->Start();
    }
    Accept(acceptor, io, shared);
  });
}

// A board update as bangdan sends it for a top-10 view: ten rows with
// Chinese keys, ~1 KiB.
std::string BoardUpdate(uint64_t version) {
  std::string s = "{\"type\":\"update\",\"sub\":\"v\",\"version\":" + std::to_string(version) +
                  ",\"count\":300,\"rows\":[";
  for (int r = 1; r <= 10; ++r) {
    if (r > 1) s += ',';
    s += "{\"rank\":" + std::to_string(r) + ",\"key\":\"城市" + std::to_string(r * 7919) +
         "\",\"weight_g\":" + std::to_string(230000000 - r * 1000003) +
         ",\"amount_fen\":" + std::to_string(912345600 - r * 7000001) +
         ",\"orders\":" + std::to_string(88012 - r * 97) + ",\"prev_rank\":" + std::to_string(r) + "}";
  }
  return s + "]}";
}

std::string TotalsUpdate(uint64_t version, uint64_t events) {
  return "{\"type\":\"update\",\"sub\":\"v\",\"version\":" + std::to_string(version) +
         ",\"window\":\"total\",\"events\":" + std::to_string(events) +
         ",\"weight_g\":0,\"amount_fen\":0,\"orders\":" + std::to_string(events) + "}";
}

void PushEvery(net::steady_timer& timer, std::chrono::milliseconds interval, Shared& shared,
               uint64_t version);

// One interval's push: one totals and one board string, handed to every live
// subscriber (the dead ones are dropped from the list) in one post per lane.
void Push(net::steady_timer& timer, std::chrono::milliseconds interval, Shared& shared,
          uint64_t version) {
  const auto totals = std::make_shared<const std::string>(TotalsUpdate(version, shared.seq.load()));
  const auto board = std::make_shared<const std::string>(BoardUpdate(version));
  std::vector<std::vector<std::shared_ptr<Subscriber>>> by_lane(shared.lanes.size());
  {
    std::lock_guard lk(shared.mu);
    auto& subs = shared.subscribers;
    size_t kept = 0;
    for (auto& w : subs) {
      if (auto s = w.lock()) {
        by_lane[s->lane()].push_back(std::move(s));
        subs[kept++] = w;
      }
    }
    subs.resize(kept);
  }
  shared.lanes_busy.fetch_add(static_cast<int>(by_lane.size()));
  for (size_t i = 0; i < by_lane.size(); ++i) {
    net::post(*shared.lanes[i], [&timer, interval, &shared, version, totals, board,
                                 subs = std::move(by_lane[i])] {
      for (auto& s : subs) s->Take(s->totals() ? totals : board);
      if (shared.lanes_busy.fetch_sub(1) == 1 && shared.push_due.exchange(false)) {
        net::post(timer.get_executor(), [&timer, interval, &shared, version] {
          Push(timer, interval, shared, version + 1);
        });
      }
    });
  }
  PushEvery(timer, interval, shared, version + 1);
}

// Every interval, once no lane is still handing out the last one.
void PushEvery(net::steady_timer& timer, std::chrono::milliseconds interval, Shared& shared,
               uint64_t version) {
  timer.expires_after(interval);
  timer.async_wait([&timer, interval, &shared, version](beast::error_code ec) {
    if (ec) return;
    shared.push_due.store(true);
    if (shared.lanes_busy.load() == 0 && shared.push_due.exchange(false)) {
      Push(timer, interval, shared, version);
    }
  });
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:0";
  int threads = 2;
  int interval_ms = 100;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--listen") == 0) {
      listen = argv[i + 1];
    } else if (std::strcmp(argv[i], "--threads") == 0) {
      threads = std::atoi(argv[i + 1]);
    } else if (std::strcmp(argv[i], "--push-interval-ms") == 0) {
      interval_ms = std::atoi(argv[i + 1]);
    } else {
      std::fprintf(stderr,
                   "usage: ack_baseline [--listen HOST:PORT] [--threads N] [--push-interval-ms MS]\n");
      return 2;
    }
  }
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || threads < 1 || interval_ms < 1) {
    std::fprintf(stderr,
                 "ack_baseline: --listen wants HOST:PORT, --threads and --push-interval-ms at "
                 "least 1\n");
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
  Shared shared;
  for (int i = 0; i < threads; ++i) shared.lanes.push_back(std::make_unique<net::io_context>(1));
  Accept(acceptor, io, shared);
  net::steady_timer timer(io);
  PushEvery(timer, std::chrono::milliseconds(interval_ms), shared, 1);
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  std::vector<net::executor_work_guard<net::io_context::executor_type>> lane_work;
  for (auto& lane : shared.lanes) {
    lane_work.emplace_back(lane->get_executor());
    pool.emplace_back([&lane] { lane->run(); });
  }
  io.run();
  for (auto& t : pool) t.join();
}
