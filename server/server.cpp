#include "server.h"

#include <chrono>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "http_session.h"
#include "listener.h"
#include "log.h"
#include "stream_hub.h"
#include "thread_name.h"

namespace bangdan {

namespace net = boost::asio;

namespace {

// How long shutdown waits for connections to take their last answers.
constexpr auto kDrainTimeout = std::chrono::seconds(10);

bool IsLoopback(const net::ip::address& a) {
  return a.is_loopback();
}

}  // namespace

EngineOptions EngineOptionsFrom(const ServerOptions& o) {
  EngineOptions e;
  e.tz_offset_minutes = o.tz_offset_minutes;
  e.keep_days = o.keep_days;
  e.dedup_window_ms = o.dedup_window_ms;
  e.dedup_max = o.dedup_max;
  return e;
}

Server::Server(ServerOptions options)
    : options_(std::move(options)), engine_(EngineOptionsFrom(options_)), now_ms_(SystemNowMs) {
  if (options_.threads == 0) options_.threads = std::max(1u, std::thread::hardware_concurrency());
}

uint64_t Server::descriptors_needed() const {
  // Standard streams, the listener, the data directory's lock, the log
  // segment, a snapshot and its directory, a file read for /metrics: about
  // ten; the rest is room for what a library opens on its own.
  constexpr uint64_t kOwn = 32;
  // An io_context holds an epoll, an eventfd and a timerfd: the I/O
  // threads' one and the stream hub's one per thread.
  const uint64_t io_contexts = 1 + options_.threads;
  return options_.max_connections + kOwn + 3 * io_contexts;
}

Server::~Server() {
  Shutdown();
  // Handlers still queued on a lane may hold the hub's last reference, whose
  // timer is on the first lane: the hub goes first, then the lanes from the
  // last to the first.
  hub_.reset();
  while (!lanes_.empty()) lanes_.pop_back();
}

void Server::SetJournal(Journal* journal) { journal_ = journal; }
void Server::SetSnapshotHandler(SnapshotHandler handler) { snapshot_ = std::move(handler); }
void Server::SetMetricsSource(std::function<void(std::string*)> append) {
  more_metrics_ = std::move(append);
}
void Server::SetClock(std::function<int64_t()> now_ms) { now_ms_ = std::move(now_ms); }

Status Server::Start() {
  boost::system::error_code ec;
  std::string host = options_.listen_host == "localhost" ? "127.0.0.1" : options_.listen_host;
  net::ip::address address = net::ip::make_address(host, ec);
  if (ec) return Status::InvalidArgument("--listen: '" + options_.listen_host + "' is not an IP address");

  writer_ = std::make_unique<IngestWriter>(engine_, engine_mu_, *journal_, metrics_);
  StreamOptions so;
  so.push_interval = std::chrono::milliseconds(options_.push_interval_ms);
  so.send_timeout = std::chrono::milliseconds(options_.send_timeout_ms);
  so.max_subscriptions = options_.max_subscriptions;
  so.max_views = options_.max_views;
  so.max_frame_bytes = options_.max_frame_bytes;
  so.now_ms = now_ms_;
  std::vector<net::io_context*> lanes;
  for (uint32_t i = 0; i < options_.threads; ++i) {
    lanes_.push_back(std::make_unique<net::io_context>(1));  // one thread runs it
    lanes.push_back(lanes_.back().get());
  }
  hub_ = std::make_unique<StreamHub>(std::move(lanes), engine_, engine_mu_, so);
  ctx_.reset(new ServerContext{options_, engine_, engine_mu_, *writer_, *hub_, metrics_, registry_,
                               now_ms_, snapshot_, more_metrics_, HtmlEscape(options_.title)});
  ctx_->http_timeout = http_timeout_;
  listener_ = std::make_shared<Listener>(ioc_, *ctx_);
  Status s = listener_->Open(net::ip::tcp::endpoint(address, options_.listen_port));
  if (!s.ok()) return s;
  port_ = listener_->local_endpoint().port();

  writer_->Start();
  hub_->Start();
  listener_->Run();
  work_.emplace(ioc_.get_executor());
  for (uint32_t i = 0; i < options_.threads; ++i) {
    threads_.emplace_back([this, i] {
      SetThreadName("io-" + std::to_string(i));
      ioc_.run();
    });
  }
  for (uint32_t i = 0; i < options_.threads; ++i) {
    lane_work_.emplace_back(lanes_[i]->get_executor());
    push_threads_.emplace_back([this, i] {
      SetThreadName("stream-" + std::to_string(i));
      if (!AddThreadNice(static_cast<int>(options_.stream_nice)))
        LogWarn("--stream-nice: could not lower the priority of stream-" + std::to_string(i));
      lanes_[i]->run();
    });
  }
  started_ = true;

  // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "[" + std::string.
  std::string where;
  if (address.is_v6()) where += '[';
  where += address.to_string();
  if (address.is_v6()) where += ']';
  where += ':';
  where += std::to_string(port_);
  if (!IsLoopback(address) && (options_.ingest_token.empty() || options_.read_token.empty()))
    LogWarn("listening beyond loopback without " +
            std::string(options_.ingest_token.empty() ? "--ingest-token" : "--read-token") +
            ": anyone who can reach " + where + " may " +
            (options_.ingest_token.empty() ? "send events" : "read the boards"));
  LogAlways(LogLevel::kInfo, "listening on " + where);
  return Status::OK();
}

void Server::Shutdown() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  LogInfo("shutting down: answering frames in flight");
  ctx_->shutting_down.store(true);
  listener_->Close();
  hub_->Stop();
  // Every connection answers what it has read, then closes. A connection
  // accepted in the meantime registers late: ask again until none is left.
  const auto deadline = std::chrono::steady_clock::now() + kDrainTimeout;
  auto left = [this] { return registry_.size() + hub_->connections(); };
  for (;;) {
    registry_.ShutdownAll();
    if (left() == 0 || stop_draining_ || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (size_t n = left(); n != 0) {
    LogWarn("shutdown: " + std::to_string(n) + " connection(s) cut before finishing" +
            (stop_draining_ ? "" : " (" + std::to_string(kDrainTimeout.count()) + " s passed)"));
  }
  ctx_->blocking.JoinAll();  // an admin snapshot still being written
  writer_->Stop();
  work_.reset();
  lane_work_.clear();
  ioc_.stop();
  for (auto& lane : lanes_) lane->stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  for (auto& t : push_threads_) t.join();
  push_threads_.clear();
  uint64_t applied = 0;
  {
    std::lock_guard lk(engine_mu_);
    applied = engine_.applied_seq();
  }
  LogInfo("stopped at seq " + std::to_string(applied));
}

}  // namespace bangdan
