// stall_client: ingest at a steady rate through ONE WebSocket connection and
// measure the acks — the longest gap between two consecutive acks and the
// ack latency — first with no snapshot running (the baseline), then while
// POST /v1/admin/snapshot is called every few seconds
// (bench/durability/run_snapshot_stall.sh; bench/RESULTS.md, "Durability").
//
//   stall_client --port 8080 --rate 20000 --batch 10 --warmup 2 --baseline 10
//                --snapshots 5 --snapshot-every 5 --admin-token T --users 1000000
//
// Frame k is due at start + k·batch/rate and its latency is measured from
// that moment, not from when it was written: a stall counts in full for the
// frames it kept waiting, on either side of the socket. The acks of one
// frame are matched in order (the server answers a connection's frames in
// order). Events name users u0 … u<users−1> at random, so that ingest
// during a snapshot writes all over the engine's memory, as real traffic
// does (each first write to a page after fork() copies it).
//
// Output, one `key=value` line per part (read by the script):
//   baseline: …            acks whose ack time is in the baseline phase
//   snapshot N: …          acks from the POST of snapshot N until 100 ms after its answer
//   during_snapshots: …    the acks of every snapshot N above together
//   snapshot_phase: …      every ack from the first POST to the end
// with acks, gap_max_ms (longest time between an ack and the one before it),
// lat_p50_ms, lat_p99_ms, lat_max_ms. Exit status 0 when every frame was
// acked with every event accepted and every snapshot succeeded.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  std::string host = "127.0.0.1", port = "8080", admin_token, id_prefix = "stall";
  double rate = 20000, warmup_s = 2, baseline_s = 10, every_s = 5, tail_s = 1;
  long batch = 10, snapshots = 5, users = 1'000'000;
};

struct SnapshotWindow {
  Clock::time_point start, end;
  bool ok = false;
  std::string answer;
};

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// Frame `k` of `batch` events with ids <prefix>-<n>.
std::string BuildFrame(const Options& o, long k, uint64_t* rng) {
  static const char* kCities[] = {"合肥", "芜湖", "蚌埠", "淮南", "马鞍山", "安庆", "黄山", "滁州"};
  std::string t = "[";
  for (long e = 0; e < o.batch; ++e) {
    long n = k * o.batch + e;
    *rng = *rng * 6364136223846793005ull + 1442695040888963407ull;  // PCG-style LCG
    uint64_t r = *rng >> 17;
    if (e) t += ',';
    t += "{\"id\":\"" + o.id_prefix + "-" + std::to_string(n) + "\",\"city\":\"" + kCities[r % 8] +
         "\",\"firm\":\"物业" + std::to_string(r % 997) + "\",\"team\":\"战队" + std::to_string(r % 9973) +
         "\",\"user\":\"u" + std::to_string(r % static_cast<uint64_t>(o.users)) + "\",\"product\":\"农品" +
         std::to_string(r % 301) + "\",\"weight_g\":" + std::to_string(250 + 50 * (r % 96)) +
         ",\"amount_fen\":" + std::to_string(100 + r % 9900) + "}";
  }
  return t + "]";
}

// One POST /v1/admin/snapshot on a connection of its own; the answer's body,
// or "" with *ok false.
std::string PostSnapshot(const Options& o, bool* ok) {
  *ok = false;
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  auto endpoints = net::ip::tcp::resolver(ioc).resolve(o.host, o.port, ec);
  if (!ec) stream.connect(endpoints, ec);
  if (ec) return "connect: " + ec.message();
  http::request<http::string_body> req(http::verb::post, "/v1/admin/snapshot", 11);
  req.set(http::field::host, o.host);
  req.set(http::field::authorization, "Bearer " + o.admin_token);
  req.prepare_payload();
  http::write(stream, req, ec);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  if (!ec) http::read(stream, buf, res, ec);
  if (ec) return "http: " + ec.message();
  *ok = res.result_int() == 200;
  return res.body();
}

struct Stats {
  size_t acks = 0;
  double gap_max = 0, p50 = 0, p99 = 0, max = 0;
};

// Acks [from, to) of `acked`: gaps to the previous ack, latencies from `due`.
Stats Measure(const std::vector<Clock::time_point>& due, const std::vector<Clock::time_point>& acked,
              Clock::time_point from, Clock::time_point to) {
  Stats s;
  std::vector<double> lat;
  for (size_t k = 1; k < acked.size(); ++k) {
    if (acked[k] < from || acked[k] >= to) continue;
    s.gap_max = std::max(s.gap_max, Ms(acked[k] - acked[k - 1]));
    lat.push_back(Ms(acked[k] - due[k]));
  }
  s.acks = lat.size();
  if (lat.empty()) return s;
  std::sort(lat.begin(), lat.end());
  auto at = [&](double q) { return lat[std::min(lat.size() - 1, static_cast<size_t>(q * lat.size()))]; };
  s.p50 = at(0.50);
  s.p99 = at(0.99);
  s.max = lat.back();
  return s;
}

void Print(const std::string& what, const Stats& s) {
  std::printf("%s acks=%zu gap_max_ms=%.3f lat_p50_ms=%.3f lat_p99_ms=%.3f lat_max_ms=%.3f\n", what.c_str(),
              s.acks, s.gap_max, s.p50, s.p99, s.max);
}

bool ParseFlags(int argc, char** argv, Options* o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string f = argv[i], v = argv[i + 1];
    if (f == "--host") o->host = v;
    else if (f == "--port") o->port = v;
    else if (f == "--rate") o->rate = std::atof(v.c_str());
    else if (f == "--batch") o->batch = std::atol(v.c_str());
    else if (f == "--warmup") o->warmup_s = std::atof(v.c_str());
    else if (f == "--baseline") o->baseline_s = std::atof(v.c_str());
    else if (f == "--snapshots") o->snapshots = std::atol(v.c_str());
    else if (f == "--snapshot-every") o->every_s = std::atof(v.c_str());
    else if (f == "--admin-token") o->admin_token = v;
    else if (f == "--users") o->users = std::atol(v.c_str());
    else if (f == "--id-prefix") o->id_prefix = v;
    else {
      std::fprintf(stderr, "stall_client: unknown flag %s\n", f.c_str());
      return false;
    }
  }
  if (argc % 2 == 0) {
    std::fprintf(stderr, "stall_client: %s needs a value\n", argv[argc - 1]);
    return false;
  }
  if (o->rate <= 0 || o->batch < 1 || o->users < 1 || o->snapshots < 0 || o->every_s <= 0 ||
      o->baseline_s <= 0 || o->warmup_s < 0) {
    std::fprintf(stderr, "stall_client: --rate, --batch, --users, --baseline, --snapshot-every must be positive\n");
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseFlags(argc, argv, &o)) return 2;

  net::io_context ioc;
  websocket::stream<beast::tcp_stream> ws(ioc);
  beast::error_code ec;
  auto endpoints = net::ip::tcp::resolver(ioc).resolve(o.host, o.port, ec);
  if (!ec) beast::get_lowest_layer(ws).connect(endpoints, ec);
  if (!ec) ws.handshake(o.host, "/v1/ingest", ec);
  if (ec) {
    std::fprintf(stderr, "stall_client: cannot connect to %s:%s: %s\n", o.host.c_str(), o.port.c_str(),
                 ec.message().c_str());
    return 1;
  }
  ws.text(true);

  const auto period = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.batch / o.rate));
  const Clock::time_point start = Clock::now();
  const Clock::time_point baseline_from = start + std::chrono::duration_cast<Clock::duration>(
                                                      std::chrono::duration<double>(o.warmup_s));
  const Clock::time_point snapshots_from = baseline_from + std::chrono::duration_cast<Clock::duration>(
                                                               std::chrono::duration<double>(o.baseline_s));

  // The snapshots, one after the other on a thread of their own: snapshot i
  // is asked for at snapshots_from + i·every, or when the one before it is
  // answered if that is later.
  std::mutex mu;
  std::vector<SnapshotWindow> windows;
  std::atomic<bool> snapshots_done{false};
  std::thread snapshotter([&] {
    for (long i = 0; i < o.snapshots; ++i) {
      std::this_thread::sleep_until(snapshots_from + std::chrono::duration_cast<Clock::duration>(
                                                         std::chrono::duration<double>(i * o.every_s)));
      SnapshotWindow w;
      w.start = Clock::now();
      w.answer = PostSnapshot(o, &w.ok);
      w.end = Clock::now();
      std::lock_guard lock(mu);
      windows.push_back(std::move(w));
    }
    std::this_thread::sleep_until(snapshots_from + std::chrono::duration_cast<Clock::duration>(
                                                       std::chrono::duration<double>(o.snapshots * o.every_s)));
    snapshots_done = true;
  });

  // Sending and reading on this thread: a timer makes frames due, one write
  // is in flight at a time, one read is always pending.
  std::vector<Clock::time_point> due, acked;
  std::deque<std::string> out;
  bool writing = false, failed = false;
  Clock::time_point stop_at = Clock::time_point::max();
  uint64_t rng = 0x9E3779B97F4A7C15ull, accepted = 0;
  long errors = 0;
  net::steady_timer timer(ioc);
  beast::flat_buffer buf;

  std::function<void()> write_next = [&] {
    if (writing || out.empty() || failed) return;
    writing = true;
    ws.async_write(net::buffer(out.front()), [&](beast::error_code e, size_t) {
      writing = false;
      out.pop_front();
      if (e) {
        std::fprintf(stderr, "stall_client: write: %s\n", e.message().c_str());
        failed = true;
        return;
      }
      write_next();
    });
  };
  std::function<void()> tick = [&] {
    const Clock::time_point now = Clock::now();
    if (stop_at == Clock::time_point::max() && snapshots_done) {
      stop_at = now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.tail_s));
    }
    while (!failed) {
      Clock::time_point next = start + period * static_cast<long>(due.size());
      if (next > now || next >= stop_at) break;
      out.push_back(BuildFrame(o, static_cast<long>(due.size()), &rng));
      due.push_back(next);
    }
    write_next();
    Clock::time_point next = start + period * static_cast<long>(due.size());
    if (failed || next >= stop_at) return;  // the last frame is out
    timer.expires_at(std::min(next, now + std::chrono::milliseconds(50)));
    timer.async_wait([&](beast::error_code e) {
      if (!e) tick();
    });
  };
  std::function<void()> read_next = [&] {
    ws.async_read(buf, [&](beast::error_code e, size_t) {
      if (e) {
        std::fprintf(stderr, "stall_client: read: %s\n", e.message().c_str());
        failed = true;
        timer.cancel();
        return;
      }
      acked.push_back(Clock::now());
      std::string_view ack(static_cast<const char*>(buf.cdata().data()), buf.size());
      size_t p = ack.find("\"accepted\":");
      if (ack.rfind("{\"type\":\"ack\"", 0) != 0 || p == std::string_view::npos) {
        if (errors++ < 5) std::fprintf(stderr, "stall_client: not an ack: %.*s\n", static_cast<int>(ack.size()), ack.data());
      } else {
        accepted += std::strtoull(ack.data() + p + 11, nullptr, 10);
      }
      buf.consume(buf.size());
      bool all_in = stop_at != Clock::time_point::max() && acked.size() == due.size() &&
                    start + period * static_cast<long>(due.size()) >= stop_at;
      if (all_in) return ws.async_close(websocket::close_code::normal, [](beast::error_code) {});
      read_next();
    });
  };
  tick();
  read_next();
  ioc.run();
  snapshotter.join();

  const double frames_per_s = o.rate / static_cast<double>(o.batch);
  std::printf("stall_client: rate=%.0f batch=%ld frames_per_s=%.1f nominal_gap_ms=%.3f frames=%zu acked=%zu "
              "events=%zu accepted=%llu errors=%ld\n",
              o.rate, o.batch, frames_per_s, 1000.0 / frames_per_s, due.size(), acked.size(),
              due.size() * static_cast<size_t>(o.batch), static_cast<unsigned long long>(accepted), errors);
  if (acked.size() > due.size()) acked.resize(due.size());
  Print("baseline:", Measure(due, acked, baseline_from, snapshots_from));
  bool snapshots_ok = true;
  Stats during;
  std::vector<double> during_lat;
  for (size_t i = 0; i < windows.size(); ++i) {
    const SnapshotWindow& w = windows[i];
    snapshots_ok = snapshots_ok && w.ok;
    Stats s = Measure(due, acked, w.start, w.end + std::chrono::milliseconds(100));
    std::string answer = w.answer;
    std::replace(answer.begin(), answer.end(), ' ', '_');
    std::printf("snapshot %zu: post_ms=%.1f ok=%d answer=%s ", i + 1, Ms(w.end - w.start), w.ok ? 1 : 0,
                answer.c_str());
    Print("", s);
    during.gap_max = std::max(during.gap_max, s.gap_max);
    for (size_t k = 1; k < acked.size(); ++k)
      if (acked[k] >= w.start && acked[k] < w.end + std::chrono::milliseconds(100))
        during_lat.push_back(Ms(acked[k] - due[k]));
  }
  std::sort(during_lat.begin(), during_lat.end());
  during.acks = during_lat.size();
  if (!during_lat.empty()) {
    auto at = [&](double q) {
      return during_lat[std::min(during_lat.size() - 1, static_cast<size_t>(q * during_lat.size()))];
    };
    during.p50 = at(0.5);
    during.p99 = at(0.99);
    during.max = during_lat.back();
  }
  Print("during_snapshots:", during);
  Print("snapshot_phase:", Measure(due, acked, snapshots_from, Clock::time_point::max()));
  bool ok = !failed && errors == 0 && acked.size() == due.size() &&
            accepted == due.size() * static_cast<uint64_t>(o.batch) && snapshots_ok &&
            windows.size() == static_cast<size_t>(o.snapshots);
  if (!ok) std::fprintf(stderr, "stall_client: FAILED (not every frame acked and accepted, or a snapshot failed)\n");
  return ok ? 0 : 1;
}
