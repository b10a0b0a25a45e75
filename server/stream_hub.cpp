// StreamHub: the registry of shared views and the push tick.
//
// One View per distinct ViewSpec (its CanonicalKey), holding the LiveView and
// the subscriptions that watch it, from any connection. The tick works in
// three steps so that each lock is held for as short a time as it can be:
//   1. under the engine lock: Refresh every view (cheap when the board's
//      version did not move);
//   2. under the hub's lock only: serialize each changed view once and list,
//      per connection, what it gets;
//   3. under no lock: hand each lane its frames, one post a lane, whose
//      handler gives each connection of the lane its frames in turn.
//
// Lanes instead of a strand per connection: with 10,000 dashboards a tick
// was 10,000 posts, each through a strand's queue and the io_context's shared
// one, and each socket operation counted as work on the shared io_context
// from both threads. On a lane's one thread the posts of its own handlers
// (a write's completion) go to the thread's private queue, unlocked.
#include "stream_hub.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <unordered_map>
#include <utility>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "log.h"
#include "stream_session.h"

namespace bangdan {

namespace net = boost::asio;

// How long a tick holds the engine lock at a stretch while it refreshes
// views, and how many views it refreshes between two looks at the clock.
constexpr auto kRefreshHold = std::chrono::microseconds(500);
constexpr size_t kViewsPerClockCheck = 16;
constexpr auto kRefreshPause = std::chrono::microseconds(50);

struct StreamHub::Impl : public StreamRegistry, public std::enable_shared_from_this<Impl> {
  struct Subscriber {
    std::weak_ptr<StreamSink> sink;
    net::io_context* lane = nullptr;  // the sink's, fixed for its life
  };
  struct View {
    explicit View(const ViewSpec& spec) : live(spec) {}
    LiveView live;
    std::unordered_map<uint64_t, Subscriber> subscribers;  // by sub id
    std::shared_ptr<const std::string> snapshot_body;  // at snapshot_version, built on demand
    uint64_t snapshot_version = 0;
    // Refreshed for a new subscriber since the last tick: its earlier
    // subscribers get the new version at the next tick.
    bool refreshed_between_ticks = false;
  };

  Impl(std::vector<net::io_context*> lanes, Engine& engine, std::mutex& engine_mu,
       StreamOptions opts)
      : lanes(std::move(lanes)), engine(engine), engine_mu(engine_mu), opts(std::move(opts)),
        strand(net::make_strand(*this->lanes.at(0))), timer(strand) {}

  int64_t Now() const {
    if (opts.now_ms) return opts.now_ms();
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  // ---- StreamRegistry ----

  const StreamOptions& options() const override { return opts; }
  uint64_t NewSubId() override { return next_sub_id.fetch_add(1) + 1; }

  std::optional<PushDelivery> Subscribe(std::weak_ptr<StreamSink> sink, uint64_t sub_id,
                                        const ViewSpec& spec, const std::string& canonical,
                                        std::optional<Replaced> replaced) override {
    std::shared_ptr<StreamSink> alive = sink.lock();
    if (!alive) return PushDelivery{sub_id, true, 0, nullptr};  // going: Offer drops it
    net::io_context* lane = &alive->lane();
    std::lock_guard<std::mutex> lock(mu);
    if (views.find(canonical) == views.end()) {
      size_t kept = views.size();
      if (replaced) {  // its view goes with it when nobody else watches it
        auto r = views.find(*replaced->canonical);
        if (r != views.end() && r->second->subscribers.size() == 1 && r->second->subscribers.contains(replaced->id))
          --kept;
      }
      if (kept >= opts.max_views) {
        if (uint64_t n = refused_log.Note(LogThrottle::Clock::now()); n > 0) {
          LogWarn("stream: " + std::to_string(opts.max_views) +
                  " distinct views are watched (--max-views): " + std::to_string(n) +
                  " subscribes to a new view refused since the last such line");
        }
        return std::nullopt;
      }
    }
    if (replaced) UnsubscribeLocked(replaced->id, *replaced->canonical);
    auto found = views.find(canonical);
    if (found == views.end()) found = views.emplace(canonical, std::make_unique<View>(spec)).first;
    std::unique_ptr<View>& slot = found->second;
    {
      // A snapshot shows what is durable now, as a query would (SPEC §4,
      // read-your-writes), not what was at the last tick.
      const int64_t now = Now();
      std::lock_guard<std::mutex> engine_lock(engine_mu);
      if (slot->live.Refresh(engine, now)) {
        if (slot->subscribers.empty()) {
          slot->live.Published();  // the newcomer is all who watch it
        } else {
          // Those who watched before still show the last tick's version:
          // the next tick's update counts its prev_ranks from that one.
          slot->refreshed_between_ticks = true;
        }
      }
    }
    slot->subscribers.emplace(sub_id, Subscriber{std::move(sink), lane});
    ++subscriptions_by_kind[static_cast<int>(spec.kind)];
    return SnapshotLocked(*slot, sub_id);
  }

  void Unsubscribe(uint64_t sub_id, const std::string& canonical) override {
    std::lock_guard<std::mutex> lock(mu);
    UnsubscribeLocked(sub_id, canonical);
  }

  // REQUIRES: mu held.
  void UnsubscribeLocked(uint64_t sub_id, const std::string& canonical) {
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
    std::vector<std::shared_ptr<LaneBatch>> by_lane;  // a few lanes: found by a scan
    auto frames_of = [&by_lane](net::io_context* lane) -> auto& {
      for (const auto& b : by_lane) {
        if (b->lane == lane) return b->frames;
      }
      by_lane.push_back(std::make_shared<LaneBatch>());
      by_lane.back()->lane = lane;
      return by_lane.back()->frames;
    };
    {
      std::lock_guard<std::mutex> lock(mu);
      changed.clear();
      {
        // The engine lock is let go every kRefreshHold or so, and the
        // engine writer gets its turn: held across 10,000 "around" views
        // that all changed, it stalled ingest ~280 ms a tick (ack p99 6.7 →
        // 287 ms at 100,000 events/s). Each view is still one state; views
        // of one tick may be a few groups apart, none older than the tick.
        const int64_t now = Now();
        std::unique_lock<std::mutex> engine_lock(engine_mu);
        auto held_since = std::chrono::steady_clock::now();
        size_t since_check = 0;
        for (auto& [key, view] : views) {
          if (++since_check == kViewsPerClockCheck) {
            since_check = 0;
            const auto t = std::chrono::steady_clock::now();
            if (t - held_since >= kRefreshHold) {
              refresh_pauses.fetch_add(1, std::memory_order_relaxed);
              engine_lock.unlock();
              // Long enough for a waiting writer to wake and take the lock:
              // a yield alone let this thread take it back first.
              std::this_thread::sleep_for(kRefreshPause);
              engine_lock.lock();
              held_since = std::chrono::steady_clock::now();
            }
          }
          const bool refreshed = std::exchange(view->refreshed_between_ticks, false);
          if (view->live.Refresh(engine, now) || refreshed) changed.push_back(view.get());
        }
      }
      for (View* v : changed) {
        auto body = std::make_shared<std::string>();
        AppendViewBody(v->live, /*snapshot=*/false, body.get());
        v->live.Published();
        serializations.fetch_add(1, std::memory_order_relaxed);
        std::shared_ptr<const std::string> shared = std::move(body);
        const uint64_t version = v->live.version();
        for (auto& [sub_id, subscriber] : v->subscribers) {
          std::shared_ptr<StreamSink> sink = subscriber.sink.lock();
          if (!sink) continue;  // the connection is going; it unsubscribes itself
          frames_of(subscriber.lane)
              .emplace_back(std::move(sink), PushDelivery{sub_id, false, version, shared});
        }
      }
    }
    lanes_busy.fetch_add(static_cast<int>(by_lane.size()));
    for (auto& batch : by_lane) {
      net::io_context& lane = *batch->lane;
      net::post(lane, [self = shared_from_this(), batch = std::move(batch)] { self->HandOut(batch); });
    }
  }

  // A tick's frames for one lane, handed out kFramesPerTurn at a time: a
  // lane of 5,000 dashboards takes ~100 ms to hand out (a send each), and in
  // one handler that long the lane would read nothing meanwhile — a
  // dashboard's new subscription would wait for its snapshot until the end.
  static constexpr size_t kFramesPerTurn = 256;
  struct LaneBatch {
    net::io_context* lane = nullptr;
    std::vector<std::pair<std::shared_ptr<StreamSink>, PushDelivery>> frames;
    size_t next = 0;
    uint64_t skipped = 0;
  };

  // On the batch's lane.
  void HandOut(const std::shared_ptr<LaneBatch>& b) {
    const size_t end = std::min(b->frames.size(), b->next + kFramesPerTurn);
    for (; b->next < end; ++b->next) {
      auto& [sink, d] = b->frames[b->next];
      b->skipped += sink->Take(d);
      sink.reset();  // a closed connection goes now, not with the whole batch
    }
    if (b->next < b->frames.size()) {
      // Behind what this turn queued: its writes' completions, and reads.
      net::post(*b->lane, [self = shared_from_this(), b] { self->HandOut(b); });
      return;
    }
    CountFrames(0, b->skipped);
    if (lanes_busy.fetch_sub(1) == 1) TickIfDue();
  }

  // A tick waits until every lane has handed out the last one's frames: a
  // lane that fell behind would otherwise queue tick after tick, each frame
  // of them sent in turn, and its dashboards would lag further every
  // interval. So the timer marks the tick due, and whoever sees it due with
  // no lane busy (the timer, or the lane that finishes last) claims it.
  void TickIfDue() {
    if (lanes_busy.load() != 0 || !tick_due.exchange(false)) return;
    net::post(strand, [self = shared_from_this()] {
      if (self->stopped.load()) return;
      self->Tick();
      self->ScheduleTick();
    });
  }

  void ScheduleTick() {
    next_tick += opts.push_interval;
    const auto now = std::chrono::steady_clock::now();
    // Fell behind (a long tick or a busy machine): skip, don't burst.
    if (next_tick < now) next_tick = now + opts.push_interval;
    timer.expires_at(next_tick);
    timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->stopped.load()) return;
      self->tick_due.store(true);
      self->TickIfDue();
    });
  }

  const std::vector<net::io_context*> lanes;
  std::atomic<size_t> next_lane{0};  // new connections go round the lanes
  Engine& engine;
  std::mutex& engine_mu;
  const StreamOptions opts;
  net::strand<net::io_context::executor_type> strand;
  net::steady_timer timer;  // runs on `strand`, on the first lane
  std::chrono::steady_clock::time_point next_tick;
  std::atomic<bool> stopped{false};
  std::atomic<int> lanes_busy{0};      // lane batches posted and not yet handed out
  std::atomic<bool> tick_due{false};   // the timer fired while a lane was busy

  mutable std::mutex mu;  // guards views, subscriptions_by_kind, changed, refused_log
  std::unordered_map<std::string, std::unique_ptr<View>> views;
  LogThrottle refused_log;  // subscribes refused over max_views
  std::vector<View*> changed;
  std::array<int64_t, 3> subscriptions_by_kind{};  // by ViewSpec::Kind

  mutable std::mutex sessions_mu;
  std::unordered_map<const void*, std::weak_ptr<StreamSession>> sessions;

  std::atomic<uint64_t> next_sub_id{0};
  std::atomic<uint64_t> frames_sent{0};
  std::atomic<uint64_t> frames_skipped{0};
  std::atomic<uint64_t> serializations{0};
  std::atomic<uint64_t> slow_closes{0};
  std::atomic<uint64_t> refresh_pauses{0};
};

StreamHub::StreamHub(std::vector<net::io_context*> lanes, Engine& engine, std::mutex& engine_mu,
                     StreamOptions opts)
    : impl_(std::make_shared<Impl>(std::move(lanes), engine, engine_mu, std::move(opts))) {}

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
  net::io_context& lane =
      *impl_->lanes[impl_->next_lane.fetch_add(1, std::memory_order_relaxed) % impl_->lanes.size()];
  LaneSocket socket = MoveOntoLane(std::move(stream), lane);
  if (!socket.is_open() || impl_->stopped.load()) return;  // the socket closes as it goes
  auto session = std::make_shared<StreamSession>(impl_, lane, std::move(socket));
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
uint64_t StreamHub::refresh_pauses() const { return impl_->refresh_pauses.load(); }

uint64_t StreamHub::AttachSink(const std::shared_ptr<StreamSink>& sink, const ViewSpec& spec) {
  const uint64_t id = impl_->NewSubId();
  std::optional<PushDelivery> snapshot = impl_->Subscribe(sink, id, spec, spec.CanonicalKey(), std::nullopt);
  if (!snapshot) return 0;  // over max_views
  net::post(sink->lane(), [sink, snapshot = std::move(*snapshot)] { sink->Take(snapshot); });
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
