// StreamHub: the registry of shared views and the push tick.
//
// One View per distinct ViewSpec (its CanonicalKey), holding the LiveView and
// the subscriptions that watch it, from any connection. The tick works in
// three steps so that each lock is held for as short a time as it can be:
//   1. under the engine lock: Refresh every view (cheap when the board's
//      version did not move);
//   2. under the hub's lock only: serialize each changed view once and list,
//      per connection, what it gets;
//   3. under no lock: hand each connection its frames (a post to its strand).
#include "stream_hub.h"

#include <atomic>
#include <unordered_map>
#include <utility>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "stream_session.h"

namespace bangdan {

namespace net = boost::asio;

struct StreamHub::Impl : public StreamRegistry, public std::enable_shared_from_this<Impl> {
  struct View {
    explicit View(const ViewSpec& spec) : live(spec) {}
    LiveView live;
    std::unordered_map<uint64_t, std::weak_ptr<StreamSink>> subscribers;  // by sub id
    std::shared_ptr<const std::string> snapshot_body;  // at snapshot_version, built on demand
    uint64_t snapshot_version = 0;
    // Refreshed for a new subscriber since the last tick: its earlier
    // subscribers get the new version at the next tick.
    bool refreshed_between_ticks = false;
  };

  Impl(net::io_context& ioc, Engine& engine, std::mutex& engine_mu, StreamOptions opts)
      : ioc(ioc), engine(engine), engine_mu(engine_mu), opts(std::move(opts)),
        strand(net::make_strand(ioc)), timer(strand) {}

  int64_t Now() const {
    if (opts.now_ms) return opts.now_ms();
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  // ---- StreamRegistry ----

  const StreamOptions& options() const override { return opts; }
  uint64_t NewSubId() override { return next_sub_id.fetch_add(1) + 1; }

  PushDelivery Subscribe(std::weak_ptr<StreamSink> sink, uint64_t sub_id, const ViewSpec& spec,
                         const std::string& canonical) override {
    std::lock_guard<std::mutex> lock(mu);
    std::unique_ptr<View>& slot = views[canonical];
    if (!slot) slot = std::make_unique<View>(spec);
    {
      // A snapshot shows what is durable now, as a query would (SPEC §4,
      // read-your-writes), not what was at the last tick.
      const int64_t now = Now();
      std::lock_guard<std::mutex> engine_lock(engine_mu);
      if (slot->live.Refresh(engine, now) && !slot->subscribers.empty()) {
        slot->refreshed_between_ticks = true;
      }
    }
    slot->subscribers.emplace(sub_id, std::move(sink));
    ++subscriptions_by_kind[static_cast<int>(spec.kind)];
    return SnapshotLocked(*slot, sub_id);
  }

  void Unsubscribe(uint64_t sub_id, const std::string& canonical) override {
    std::lock_guard<std::mutex> lock(mu);
    auto it = views.find(canonical);
    if (it == views.end() || it->second->subscribers.erase(sub_id) == 0) return;
    --subscriptions_by_kind[static_cast<int>(it->second->live.spec().kind)];
    if (it->second->subscribers.empty()) views.erase(it);  // nobody watches: drop it
  }

  PushDelivery Resnapshot(uint64_t sub_id, const std::string& canonical) override {
    std::lock_guard<std::mutex> lock(mu);
    auto it = views.find(canonical);
    if (it == views.end()) return PushDelivery{sub_id, true, 0, nullptr};  // Offer drops it
    return SnapshotLocked(*it->second, sub_id);
  }

  void CountFrames(uint64_t sent, uint64_t skipped) override {
    if (sent) frames_sent.fetch_add(sent, std::memory_order_relaxed);
    if (skipped) frames_skipped.fetch_add(skipped, std::memory_order_relaxed);
  }
  void CountSlowClose() override { slow_closes.fetch_add(1, std::memory_order_relaxed); }

  void Disconnected(const void* session) override {
    std::lock_guard<std::mutex> lock(sessions_mu);
    sessions.erase(session);
  }

  // REQUIRES: mu held. The snapshot body of the view's current version,
  // serialized at most once per version however many join.
  PushDelivery SnapshotLocked(View& v, uint64_t sub_id) {
    if (!v.snapshot_body || v.snapshot_version != v.live.version()) {
      auto body = std::make_shared<std::string>();
      AppendViewBody(v.live, /*snapshot=*/true, body.get());
      v.snapshot_body = std::move(body);
      v.snapshot_version = v.live.version();
      serializations.fetch_add(1, std::memory_order_relaxed);
    }
    return PushDelivery{sub_id, true, v.live.version(), v.snapshot_body};
  }

  // ---- The tick ----

  void Tick() {
    struct Batch {
      std::shared_ptr<StreamSink> sink;
      std::vector<PushDelivery> frames;
    };
    std::unordered_map<StreamSink*, Batch> batches;
    {
      std::lock_guard<std::mutex> lock(mu);
      changed.clear();
      {
        const int64_t now = Now();
        std::lock_guard<std::mutex> engine_lock(engine_mu);
        for (auto& [key, view] : views) {
          const bool refreshed = std::exchange(view->refreshed_between_ticks, false);
          if (view->live.Refresh(engine, now) || refreshed) changed.push_back(view.get());
        }
      }
      for (View* v : changed) {
        auto body = std::make_shared<std::string>();
        AppendViewBody(v->live, /*snapshot=*/false, body.get());
        serializations.fetch_add(1, std::memory_order_relaxed);
        std::shared_ptr<const std::string> shared = std::move(body);
        const uint64_t version = v->live.version();
        for (auto& [sub_id, weak] : v->subscribers) {
          StreamSink* key = nullptr;
          std::shared_ptr<StreamSink> sink = weak.lock();
          if (!sink) continue;  // the connection is going; it unsubscribes itself
          key = sink.get();
          Batch& b = batches[key];
          if (!b.sink) b.sink = std::move(sink);
          b.frames.push_back(PushDelivery{sub_id, false, version, shared});
        }
      }
    }
    for (auto& [key, b] : batches) b.sink->Deliver(std::move(b.frames));
  }

  void ScheduleTick() {
    next_tick += opts.push_interval;
    const auto now = std::chrono::steady_clock::now();
    // Fell behind (a long tick or a busy machine): skip, don't burst.
    if (next_tick < now) next_tick = now + opts.push_interval;
    timer.expires_at(next_tick);
    timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->stopped.load()) return;
      self->Tick();
      self->ScheduleTick();
    });
  }

  net::io_context& ioc;
  Engine& engine;
  std::mutex& engine_mu;
  const StreamOptions opts;
  net::strand<net::io_context::executor_type> strand;
  net::steady_timer timer;  // runs on `strand`
  std::chrono::steady_clock::time_point next_tick;
  std::atomic<bool> stopped{false};

  mutable std::mutex mu;  // guards views, subscriptions_by_kind, changed
  std::unordered_map<std::string, std::unique_ptr<View>> views;
  std::vector<View*> changed;
  std::array<int64_t, 3> subscriptions_by_kind{};  // by ViewSpec::Kind

  mutable std::mutex sessions_mu;
  std::unordered_map<const void*, std::weak_ptr<StreamSession>> sessions;

  std::atomic<uint64_t> next_sub_id{0};
  std::atomic<uint64_t> frames_sent{0};
  std::atomic<uint64_t> frames_skipped{0};
  std::atomic<uint64_t> serializations{0};
  std::atomic<uint64_t> slow_closes{0};
};

StreamHub::StreamHub(net::io_context& ioc, Engine& engine, std::mutex& engine_mu,
                     StreamOptions opts)
    : impl_(std::make_shared<Impl>(ioc, engine, engine_mu, std::move(opts))) {}

StreamHub::~StreamHub() { Stop(); }

void StreamHub::Start() {
  net::post(impl_->strand, [im = impl_] {
    if (im->stopped.load()) return;
    im->next_tick = std::chrono::steady_clock::now();
    im->ScheduleTick();
  });
}

void StreamHub::Stop() {
  if (impl_->stopped.exchange(true)) return;
  net::post(impl_->strand, [im = impl_] { im->timer.cancel(); });
  std::vector<std::shared_ptr<StreamSession>> open;
  {
    std::lock_guard<std::mutex> lock(impl_->sessions_mu);
    for (auto& [key, weak] : impl_->sessions) {
      if (auto s = weak.lock()) open.push_back(std::move(s));
    }
  }
  for (auto& s : open) s->Close();
}

void StreamHub::Accept(boost::beast::tcp_stream stream,
                       boost::beast::http::request<boost::beast::http::string_body> req) {
  // The session runs on a strand of its own, on the stream threads.
  StrandSocket socket = MoveOntoStrand(std::move(stream), impl_->ioc);
  if (!socket.is_open() || impl_->stopped.load()) return;  // the socket closes as it goes
  auto session = std::make_shared<StreamSession>(impl_, std::move(socket));
  {
    std::lock_guard<std::mutex> lock(impl_->sessions_mu);
    impl_->sessions.emplace(session.get(), session);
  }
  session->Run(std::move(req));
}

void StreamHub::AppendMetrics(std::string* out) const {
  std::array<int64_t, 3> by_kind;
  size_t view_count;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    by_kind = impl_->subscriptions_by_kind;
    view_count = impl_->views.size();
  }
  auto line = [out](const char* name, const char* type, const char* help, const char* labels,
                    uint64_t value, bool header) {
    if (header) {
      *out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    }
    *out += std::string(name) + labels + " " + std::to_string(value) + "\n";
  };
  line("bangdan_stream_connections", "gauge", "Open /v1/stream connections.", "", connections(),
       true);
  line("bangdan_subscriptions", "gauge", "Live subscriptions by view kind.", "{kind=\"top\"}",
       by_kind[0], true);
  line("bangdan_subscriptions", "gauge", "", "{kind=\"around\"}", by_kind[1], false);
  line("bangdan_subscriptions", "gauge", "", "{kind=\"totals\"}", by_kind[2], false);
  line("bangdan_stream_views", "gauge", "Distinct live views (shared by their subscribers).", "",
       view_count, true);
  line("bangdan_push_frames_sent_total", "counter", "Frames written to stream clients.", "",
       frames_sent(), true);
  line("bangdan_push_frames_skipped_total", "counter",
       "Unsent frames replaced by a newer version of their view.", "", frames_skipped(), true);
  line("bangdan_push_serializations_total", "counter",
       "View bodies serialized (once per changed view per interval).", "", serializations(),
       true);
  line("bangdan_stream_slow_closes_total", "counter",
       "Connections closed for accepting nothing for --send-timeout.", "", slow_closes(), true);
}

size_t StreamHub::connections() const {
  std::lock_guard<std::mutex> lock(impl_->sessions_mu);
  return impl_->sessions.size();
}

void StreamHub::TickNow() { impl_->Tick(); }

size_t StreamHub::views() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->views.size();
}

uint64_t StreamHub::serializations() const { return impl_->serializations.load(); }
uint64_t StreamHub::frames_sent() const { return impl_->frames_sent.load(); }
uint64_t StreamHub::frames_skipped() const { return impl_->frames_skipped.load(); }
uint64_t StreamHub::slow_closes() const { return impl_->slow_closes.load(); }

uint64_t StreamHub::AttachSink(const std::shared_ptr<StreamSink>& sink, const ViewSpec& spec) {
  const uint64_t id = impl_->NewSubId();
  PushDelivery snapshot = impl_->Subscribe(sink, id, spec, spec.CanonicalKey());
  sink->Deliver({std::move(snapshot)});
  return id;
}

std::vector<StreamConnectionStats> StreamHub::ConnectionStats() const {
  // The sessions are released after the lock: the last reference going away
  // runs ~StreamSession, which takes the same lock.
  std::vector<std::shared_ptr<StreamSession>> open;
  {
    std::lock_guard<std::mutex> lock(impl_->sessions_mu);
    for (auto& [key, weak] : impl_->sessions) {
      if (auto s = weak.lock()) open.push_back(std::move(s));
    }
  }
  std::vector<StreamConnectionStats> out;
  for (const auto& s : open) out.push_back(s->Stats());
  return out;
}

}  // namespace bangdan
