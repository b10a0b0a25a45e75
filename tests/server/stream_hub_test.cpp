// StreamHub end to end: real sockets, a real Beast WebSocket client, a real
// engine. Ticks are driven by hand (TickNow) so that every test is
// deterministic; one test runs the timer itself.
#include "stream_hub.h"
#include "stream_session.h"

#include <array>
#include <deque>
#include <future>
#include <optional>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/websocket.hpp>
#include <gtest/gtest.h>

#include "bangdan/engine.h"

namespace bangdan {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

constexpr int64_t kNow = 1'795'363'200'000 + 3'600'000;  // 2026-11-23 01:00 +08:00

// prefix + n. (Not `"…" + std::to_string(n)`: g++ 12 at -O3 warns falsely there.)
std::string Numbered(std::string_view prefix, int64_t n) {
  std::string out(prefix);
  out += std::to_string(n);
  return out;
}

// The integer after "field": in a JSON text, or -1.
int64_t IntField(const std::string& json, const std::string& field) {
  const size_t at = json.find("\"" + field + "\":");
  if (at == std::string::npos) return -1;
  return std::strtoll(json.c_str() + at + field.size() + 3, nullptr, 10);
}

// A blocking test client with a deadline on every read.
class Client {
 public:
  Client() : ws_(ioc_) {}

  websocket::stream<tcp::socket>& ws() { return ws_; }

  void Send(const std::string& text) {
    ws_.text(true);
    ws_.write(net::buffer(text));
  }

  // The next message, or nullopt (the connection ended or 10 s passed).
  std::optional<std::string> Read() {
    beast::flat_buffer buffer;
    bool done = false;
    ws_.async_read(buffer, [&](beast::error_code ec, size_t) {
      done = true;
      error_ = ec;
    });
    ioc_.restart();
    ioc_.run_for(10s);
    if (!done || error_) return std::nullopt;
    return beast::buffers_to_string(buffer.data());
  }

  beast::error_code error() const { return error_; }

 private:
  net::io_context ioc_;
  websocket::stream<tcp::socket> ws_;
  beast::error_code error_;
};

// Admits and applies one purchase of 万科物业's. REQUIRES: the engine's lock held.
void ApplyPurchase(Engine& engine, const std::string& id, const std::string& city,
                   const std::string& team, int64_t weight) {
  Event e;
  e.id = id;
  e.city = city;
  e.firm = "万科物业";
  e.team = team;
  e.weight_g = weight;
  e.amount_fen = weight;
  Admission a = engine.Admit(e, kNow);
  ASSERT_TRUE(a.accepted());
  engine.Apply(e, a);
}

class StreamHubTest : public ::testing::Test {
 protected:
  void StartHub(StreamOptions opts = {}) {
    if (opts.push_interval == 100ms) opts.push_interval = 1h;  // ticks by hand
    opts.now_ms = [] { return kNow; };
    // Two lanes, as a server on two threads has: connections alternate.
    hub_ = std::make_unique<StreamHub>(std::vector<net::io_context*>{&lanes_[0], &lanes_[1]},
                                       engine_, engine_mu_, opts);
    acceptor_.open(tcp::v4());
    acceptor_.bind({net::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    for (size_t i = 0; i < lanes_.size(); ++i) {
      work_[i].emplace(lanes_[i].get_executor());
      threads_.emplace_back([lane = &lanes_[i]] { lane->run(); });
    }
  }

  void TearDown() override {
    if (hub_) hub_->Stop();
    for (auto& w : work_) w.reset();
    for (auto& lane : lanes_) lane.stop();
    for (auto& t : threads_) t.join();
  }

  // Connects a client; `small_buffers` makes both socket buffers tiny so
  // that a client that does not read blocks the server's writes at once.
  std::unique_ptr<Client> Connect(bool small_buffers = false) {
    auto c = std::make_unique<Client>();
    std::thread server([&] {
      tcp::socket s(ioc_);
      acceptor_.accept(s);
      if (small_buffers) s.set_option(net::socket_base::send_buffer_size(4096));
      beast::flat_buffer b;
      http::request<http::string_body> req;
      http::read(s, b, req);
      hub_->Accept(beast::tcp_stream(std::move(s)), std::move(req));
    });
    c->ws().next_layer().open(tcp::v4());
    if (small_buffers) {
      c->ws().next_layer().set_option(net::socket_base::receive_buffer_size(4096));
    }
    c->ws().next_layer().connect(acceptor_.local_endpoint());
    c->ws().handshake("127.0.0.1", "/v1/stream");
    server.join();
    return c;
  }

  void Buy(const std::string& city, const std::string& team, int64_t weight) {
    std::lock_guard<std::mutex> lock(engine_mu_);
    SendLocked(city, team, weight);
  }
  void SendLocked(const std::string& city, const std::string& team, int64_t weight) {
    const std::string id = Numbered("e", static_cast<int64_t>(++next_id_));
    ApplyPurchase(engine_, id, city, team, weight);
  }

  // Waits (without asserting on time) until `cond` holds or 10 s pass.
  template <typename F>
  bool Eventually(F cond) {
    for (int i = 0; i < 1000; ++i) {
      if (cond()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return cond();
  }

  Engine engine_;
  std::mutex engine_mu_;
  net::io_context ioc_;  // the acceptor's; connections are accepted by hand
  std::array<net::io_context, 2> lanes_{net::io_context(1), net::io_context(1)};
  std::array<std::optional<net::executor_work_guard<net::io_context::executor_type>>, 2> work_;
  tcp::acceptor acceptor_{ioc_};
  std::unique_ptr<StreamHub> hub_;
  std::vector<std::thread> threads_;
  uint64_t next_id_ = 0;
};

TEST_F(StreamHubTest, SnapshotThenUpdatesWithPrevRank) {
  StartHub();
  Buy("合肥", "", 500);
  Buy("芜湖", "", 300);
  auto c = Connect();
  c->Send(R"({"op":"subscribe","sub":"s1","board":"city","top":2})");
  EXPECT_EQ(c->Read(),
            R"({"type":"snapshot","sub":"s1","version":1,"count":2,"rows":[)"
            R"({"rank":1,"key":"合肥","weight_g":500,"amount_fen":500,"orders":1,"prev_rank":null},)"
            R"({"rank":2,"key":"芜湖","weight_g":300,"amount_fen":300,"orders":1,"prev_rank":null}]})");
  Buy("芜湖", "", 300);
  hub_->TickNow();
  EXPECT_EQ(c->Read(),
            R"({"type":"update","sub":"s1","version":2,"count":2,"rows":[)"
            R"({"rank":1,"key":"芜湖","weight_g":600,"amount_fen":600,"orders":2,"prev_rank":2},)"
            R"({"rank":2,"key":"合肥","weight_g":500,"amount_fen":500,"orders":1,"prev_rank":1}]})");
}

TEST_F(StreamHubTest, AJoiningSubscriberSeesWhatIsThereNowAndTheOthersGetItAtTheTick) {
  StartHub();
  Buy("合肥", "", 500);
  auto first = Connect();
  first->Send(R"({"op":"subscribe","sub":"a","board":"city"})");
  ASSERT_EQ(IntField(*first->Read(), "weight_g"), 500);
  // Applied after the view's last refresh, with no tick between: a new
  // subscriber of the same (shared) view must still see it, as a query would.
  Buy("合肥", "", 100);
  auto second = Connect();
  second->Send(R"({"op":"subscribe","sub":"b","board":"city"})");
  std::optional<std::string> snapshot = second->Read();
  ASSERT_TRUE(snapshot);
  EXPECT_EQ(snapshot->rfind(R"({"type":"snapshot","sub":"b","version":2,)", 0), 0u) << *snapshot;
  EXPECT_EQ(IntField(*snapshot, "weight_g"), 600);
  // The same connection subscribing again to the view: the same.
  Buy("合肥", "", 10);
  first->Send(R"({"op":"subscribe","sub":"a2","board":"city"})");
  snapshot = first->Read();
  ASSERT_TRUE(snapshot);
  EXPECT_EQ(snapshot->rfind(R"({"type":"snapshot","sub":"a2","version":3,)", 0), 0u) << *snapshot;
  // The tick takes the view's latest version to those who hold an older one,
  // though the view has nothing newer to refresh; a2, which holds it, gets
  // nothing (else its update would come before a's: subscriptions queue in
  // order on a connection).
  hub_->TickNow();
  std::optional<std::string> update = first->Read();
  ASSERT_TRUE(update);
  EXPECT_EQ(update->rfind(R"({"type":"update","sub":"a","version":3,)", 0), 0u) << *update;
  EXPECT_EQ(IntField(*update, "weight_g"), 610);
  update = second->Read();
  ASSERT_TRUE(update);
  EXPECT_EQ(update->rfind(R"({"type":"update","sub":"b","version":3,)", 0), 0u) << *update;
  EXPECT_EQ(IntField(*update, "weight_g"), 610);
}

TEST_F(StreamHubTest, AMoveMadeVisibleForANewcomerIsStillAnimatedForThoseWatching) {
  StartHub();
  Buy("合肥", "", 500);
  Buy("芜湖", "", 300);
  auto watching = Connect();
  watching->Send(R"({"op":"subscribe","sub":"a","board":"city"})");
  ASSERT_TRUE(watching->Read());  // 合肥 1, 芜湖 2
  Buy("芜湖", "", 300);            // 芜湖 overtakes 合肥
  auto newcomer = Connect();
  newcomer->Send(R"({"op":"subscribe","sub":"b","board":"city"})");
  ASSERT_TRUE(newcomer->Read());   // version 2, made for its snapshot
  Buy("合肥", "", 1);              // moves nobody
  hub_->TickNow();
  // The watching screen never showed version 2: its update counts prev_rank
  // from version 1, the one it shows, so 芜湖's climb is there to animate.
  std::optional<std::string> update = watching->Read();
  ASSERT_TRUE(update);
  EXPECT_NE(update->find(R"({"rank":1,"key":"芜湖","weight_g":600,"amount_fen":600,"orders":2,"prev_rank":2})"),
            std::string::npos) << *update;
  EXPECT_NE(update->find(R"("key":"合肥","weight_g":501,"amount_fen":501,"orders":2,"prev_rank":1})"),
            std::string::npos) << *update;
  ASSERT_TRUE(newcomer->Read());
  // From then on every screen holds the same version.
  Buy("合肥", "", 200);
  hub_->TickNow();
  update = watching->Read();
  ASSERT_TRUE(update);
  EXPECT_NE(update->find(R"("key":"合肥","weight_g":701,"amount_fen":701,"orders":3,"prev_rank":2})"),
            std::string::npos) << *update;
}

TEST_F(StreamHubTest, UpdatesComeOnlyWhenTheViewChanged) {
  StartHub();
  auto c = Connect();
  c->Send(R"({"op":"subscribe","sub":"s","board":"city"})");
  ASSERT_EQ(IntField(*c->Read(), "version"), 1);
  hub_->TickNow();
  hub_->TickNow();
  Buy("合肥", "", 1);
  hub_->TickNow();
  // Had the idle ticks sent anything, it would come first, as version 1 or 2.
  std::optional<std::string> m = c->Read();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->rfind(R"({"type":"update","sub":"s","version":2,)", 0), 0u) << *m;
}

TEST_F(StreamHubTest, TenThousandEventsInOneIntervalMakeOneUpdate) {
  StartHub();
  auto c = Connect();
  c->Send(R"({"op":"subscribe","sub":"t","board":"totals"})");
  ASSERT_EQ(IntField(*c->Read(), "events"), 0);
  {
    std::lock_guard<std::mutex> lock(engine_mu_);
    for (int i = 0; i < 10'000; ++i) SendLocked(Numbered("c", i % 50), "", 1);
  }
  hub_->TickNow();
  std::optional<std::string> m = c->Read();
  ASSERT_TRUE(m);
  EXPECT_EQ(IntField(*m, "version"), 2);
  EXPECT_EQ(IntField(*m, "events"), 10'000);
  EXPECT_EQ(m->find(R"("entities":{"city":50,"firm":1,"team":0,"user":0,"product":0})") ==
                std::string::npos,
            false);
}

TEST_F(StreamHubTest, TheTimerCoalescesAFloodIntoFewUpdates) {
  StreamOptions opts;
  opts.push_interval = 20ms;
  StartHub(opts);
  auto c = Connect();
  c->Send(R"({"op":"subscribe","sub":"t","board":"totals"})");
  ASSERT_TRUE(c->Read());
  hub_->Start();
  for (int i = 0; i < 10'000; ++i) Buy("合肥", "", 1);
  int updates = 0;
  for (;;) {
    std::optional<std::string> m = c->Read();
    ASSERT_TRUE(m);
    ++updates;
    if (IntField(*m, "events") == 10'000) break;
  }
  EXPECT_LT(updates, 1000);  // one per interval, not one per event
}

// A sink that counts the frames it takes, on a lane the test polls itself.
class CountingSink : public StreamSink {
 public:
  CountingSink(net::io_context& lane, std::atomic<int>* taken) : lane_(lane), taken_(taken) {}
  net::io_context& lane() override { return lane_; }
  uint64_t Take(const PushDelivery&) override {
    ++*taken_;
    return 0;
  }

 private:
  net::io_context& lane_;
  std::atomic<int>* taken_;
};

// A tick hands a lane its frames a few hundred at a time, with the lane's
// other handlers (reads: a new subscription) taking turns between them.
// A hub with one lane that the test runs by hand, ticked by hand.
struct OneLaneHub {
  static StreamOptions HandTicked() {
    StreamOptions opts;
    opts.push_interval = 1h;
    opts.now_ms = [] { return kNow; };
    return opts;
  }
  Engine engine;
  std::mutex engine_mu;
  net::io_context lane{1};
  StreamHub hub{std::vector<net::io_context*>{&lane}, engine, engine_mu, HandTicked()};
};

TEST(StreamHubLanes, ALaneTakesItsFramesInTurnsAndOtherHandlersRunBetween) {
  OneLaneHub h;
  Engine& engine = h.engine;
  std::mutex& engine_mu = h.engine_mu;
  net::io_context& lane = h.lane;
  StreamHub& hub = h.hub;
  constexpr int kSinks = 2000;
  std::atomic<int> taken{0};
  std::vector<std::shared_ptr<CountingSink>> sinks;
  ViewSpec totals;
  totals.kind = ViewSpec::Kind::kTotals;
  for (int i = 0; i < kSinks; ++i) {
    sinks.push_back(std::make_shared<CountingSink>(lane, &taken));
    hub.AttachSink(sinks.back(), totals);
  }
  lane.poll();
  ASSERT_EQ(taken.load(), kSinks);  // the snapshots
  {
    std::lock_guard<std::mutex> lock(engine_mu);
    ApplyPurchase(engine, "e1", "合肥", "", 500);
  }
  hub.TickNow();
  int taken_when_the_read_ran = -1;
  net::post(lane, [&] { taken_when_the_read_ran = taken.load(); });
  lane.restart();
  lane.poll();
  EXPECT_EQ(taken.load(), 2 * kSinks);  // every update handed out
  EXPECT_GT(taken_when_the_read_ran, kSinks);      // after the first turn …
  EXPECT_LT(taken_when_the_read_ran, 2 * kSinks);  // … long before the last
  hub.Stop();
  lane.restart();
  lane.poll();
}

// A tick with many views to refresh lets the engine lock go between
// stretches of them, so that producers' frames are applied meanwhile; every
// view still gets its update.
TEST(StreamHubLanes, ATickWithManyViewsLetsTheEngineLockGoBetweenThem) {
  OneLaneHub h;
  constexpr int kViews = 10'000;  // the default --max-views
  {
    std::lock_guard<std::mutex> lock(h.engine_mu);
    for (int i = 0; i < kViews; ++i) ApplyPurchase(h.engine, Numbered("e", i), "合肥", Numbered("队", i), 1000 + i);
  }
  std::atomic<int> taken{0};
  auto sink = std::make_shared<CountingSink>(h.lane, &taken);
  for (int i = 0; i < kViews; ++i) {
    ViewSpec around;
    around.kind = ViewSpec::Kind::kAround;
    around.board.dim = Dimension::kTeam;
    around.around_key = Numbered("队", i);
    ASSERT_NE(h.hub.AttachSink(sink, around), 0u);
  }
  h.lane.poll();
  ASSERT_EQ(taken.load(), kViews);  // the snapshots
  {
    std::lock_guard<std::mutex> lock(h.engine_mu);  // a new leader: every rank moves
    ApplyPurchase(h.engine, "lead", "合肥", "新队", 1'000'000);
  }
  h.hub.TickNow();
  h.lane.restart();
  h.lane.poll();
  EXPECT_EQ(taken.load(), 2 * kViews);  // every view's update
  EXPECT_GT(h.hub.refresh_pauses(), 0u);
  h.hub.Stop();
  h.lane.restart();
  h.lane.poll();
}

// A lane that is behind (here: held) keeps the timer's ticks back instead of
// having them queue up: once it is free, its dashboards get the newest
// version, not every one in turn.
TEST_F(StreamHubTest, TicksWaitForALaneThatIsBehind) {
  StreamOptions opts;
  opts.push_interval = 10ms;
  StartHub(opts);
  auto first = Connect();   // on lane 0
  auto second = Connect();  // on lane 1
  for (auto* c : {first.get(), second.get()}) {
    c->Send(R"({"op":"subscribe","sub":"t","board":"totals"})");
    ASSERT_TRUE(c->Read());
  }
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> holding;
  net::post(lanes_[1], [&holding, released] {
    holding.set_value();
    released.wait();
  });
  holding.get_future().wait();
  const uint64_t before = hub_->serializations();
  hub_->Start();
  for (int i = 0; i < 30; ++i) {
    Buy("合肥", "", 1);
    std::this_thread::sleep_for(10ms);  // 30 intervals, each with a change
  }
  // One tick ran and handed lane 1 its frames; none since.
  EXPECT_LE(hub_->serializations() - before, 1u);
  release.set_value();
  for (auto* c : {first.get(), second.get()}) {
    for (;;) {
      std::optional<std::string> m = c->Read();
      ASSERT_TRUE(m);
      if (IntField(*m, "events") == 30) break;
    }
  }
  EXPECT_GE(hub_->serializations() - before, 2u);  // ticking again
}

TEST_F(StreamHubTest, AroundViewShowsTheKeyWhenItAppears) {
  StartHub();
  auto c = Connect();
  c->Send(R"({"op":"subscribe","sub":"me","board":"team","around":"创源战队","radius":1})");
  EXPECT_EQ(c->Read(),
            R"({"type":"snapshot","sub":"me","version":1,"count":0,"rank":null,"rows":[]})");
  Buy("合肥", "甲队", 900);
  Buy("合肥", "创源战队", 100);
  hub_->TickNow();
  std::optional<std::string> m = c->Read();
  ASSERT_TRUE(m);
  EXPECT_EQ(IntField(*m, "rank"), 2);
  EXPECT_NE(m->find(R"("key":"创源战队")"), std::string::npos);
}

TEST_F(StreamHubTest, ManyClientsOnOneViewCostOneSerializationPerTick) {
  StartHub();
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 100; ++i) {
    clients.push_back(Connect());
    clients.back()->Send(Numbered(R"({"op":"subscribe","sub":"x)", i) +
                         R"(","board":"firm","scope":{"city":"合肥"}})");
    ASSERT_TRUE(clients.back()->Read());
  }
  EXPECT_EQ(hub_->views(), 1u);
  const uint64_t before = hub_->serializations();
  Buy("合肥", "", 5);
  hub_->TickNow();
  for (int i = 0; i < 100; ++i) {
    std::optional<std::string> m = clients[i]->Read();
    ASSERT_TRUE(m);
    EXPECT_EQ(m->rfind(Numbered(R"({"type":"update","sub":"x)", i) + "\",", 0), 0u);
  }
  EXPECT_EQ(hub_->serializations() - before, 1u);
  std::string metrics;
  hub_->AppendMetrics(&metrics);
  EXPECT_NE(metrics.find("bangdan_stream_connections 100\n"), std::string::npos);
  EXPECT_NE(metrics.find("bangdan_subscriptions{kind=\"top\"} 100\n"), std::string::npos);
}

TEST_F(StreamHubTest, ResubscribingReplacesAndUnsubscribingStops) {
  StartHub();
  Buy("合肥", "", 5);
  auto c = Connect();
  c->Send(R"({"op":"subscribe","sub":"s","board":"city"})");
  ASSERT_NE(c->Read()->find(R"("key":"合肥")"), std::string::npos);
  c->Send(R"({"op":"subscribe","sub":"s","board":"firm"})");
  std::optional<std::string> m = c->Read();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->rfind(R"({"type":"snapshot","sub":"s",)", 0), 0u);
  EXPECT_NE(m->find(R"("key":"万科物业")"), std::string::npos);
  c->Send(R"({"op":"unsubscribe","sub":"s"})");
  c->Send(R"({"op":"unsubscribe","sub":"s"})");
  EXPECT_EQ(c->Read(), R"({"type":"error","sub":"s","error":"sub: no subscription 's'"})");
  EXPECT_TRUE(Eventually([&] { return hub_->views() == 0; }));  // nobody watches: dropped
  Buy("合肥", "", 5);
  hub_->TickNow();
  c->Send(R"({"op":"subscribe","sub":"t","board":"totals"})");
  m = c->Read();  // not an update of "s"
  ASSERT_TRUE(m);
  EXPECT_EQ(m->rfind(R"({"type":"snapshot","sub":"t",)", 0), 0u);
}

TEST_F(StreamHubTest, BadRequestsGetErrorsAndTheConnectionStays) {
  StreamOptions opts;
  opts.max_subscriptions = 2;
  StartHub(opts);
  auto c = Connect();
  c->Send("{nope");
  EXPECT_EQ(c->Read(), R"({"type":"error","sub":null,"error":"invalid JSON"})");
  c->Send(R"({"op":"subscribe","sub":"s1","board":"tem"})");
  EXPECT_EQ(c->Read(), R"({"type":"error","sub":"s1","error":"unknown board 'tem'"})");
  c->Send(R"({"op":"subscribe","sub":"d","board":"city","window":"week"})");
  EXPECT_EQ(c->Read(),
            R"({"type":"error","sub":"d","error":"window: 'week' is not total, day or day:YYYY-MM-DD"})");
  c->Send(R"({"op":"subscribe","sub":"a","board":"city"})");
  c->Send(R"({"op":"subscribe","sub":"b","board":"city"})");
  c->Send(R"({"op":"subscribe","sub":"c","board":"city"})");
  ASSERT_TRUE(c->Read());
  ASSERT_TRUE(c->Read());
  EXPECT_EQ(c->Read(),
            R"({"type":"error","sub":"c","error":"sub: at most 2 subscriptions per connection"})");
}

// Every distinct view is refreshed at every tick: their number is bounded
// over all connections, while watched views take any number of subscribers.
TEST_F(StreamHubTest, NewViewsBeyondMaxViewsAreRefusedWatchedOnesStillJoin) {
  StreamOptions opts;
  opts.max_views = 2;
  StartHub(opts);
  Buy("合肥", "创源战队", 5);
  auto a = Connect();
  auto b = Connect();
  auto snapshot_of = [](const std::optional<std::string>& m, const std::string& sub) {
    return m && m->rfind(R"({"type":"snapshot","sub":")" + sub + "\",", 0) == 0;
  };
  a->Send(R"({"op":"subscribe","sub":"a1","board":"city"})");
  EXPECT_TRUE(snapshot_of(a->Read(), "a1"));
  a->Send(R"({"op":"subscribe","sub":"a2","board":"firm"})");
  EXPECT_TRUE(snapshot_of(a->Read(), "a2"));
  b->Send(R"({"op":"subscribe","sub":"b1","board":"team"})");
  EXPECT_EQ(b->Read(), R"({"type":"error","sub":"b1","error":"sub: the server already watches 2 distinct )"
                       R"(views (--max-views); a view already watched can still be subscribed"})");
  b->Send(R"({"op":"subscribe","sub":"b2","board":"city"})");
  EXPECT_TRUE(snapshot_of(b->Read(), "b2"));
  EXPECT_EQ(hub_->views(), 2u);
  // A replacement that would add a view is refused, and what it would have
  // replaced goes on: b2 still gets its updates.
  b->Send(R"({"op":"subscribe","sub":"b2","board":"team"})");
  EXPECT_EQ(b->Read(), R"({"type":"error","sub":"b2","error":"sub: the server already watches 2 distinct )"
                       R"(views (--max-views); a view already watched can still be subscribed"})");
  Buy("合肥", "创源战队", 5);
  hub_->TickNow();
  std::optional<std::string> update = b->Read();
  ASSERT_TRUE(update);
  EXPECT_EQ(update->rfind(R"({"type":"update","sub":"b2",)", 0), 0u) << *update;
  // One whose old view nobody else watches frees that view for the new one.
  a->Send(R"({"op":"subscribe","sub":"a2","board":"product"})");
  bool replaced = false;  // after the tick's updates of a1 and a2, if still unsent
  for (int i = 0; i < 3 && !replaced; ++i) replaced = snapshot_of(a->Read(), "a2");
  EXPECT_TRUE(replaced);
  EXPECT_EQ(hub_->views(), 2u);
  a->Send(R"({"op":"subscribe","sub":"a2","board":"firm"})");
  EXPECT_TRUE(snapshot_of(a->Read(), "a2"));
  a->Send(R"({"op":"unsubscribe","sub":"a2"})");
  ASSERT_TRUE(Eventually([&] { return hub_->views() == 1; }));  // nobody watches the firms
  b->Send(R"({"op":"subscribe","sub":"b1","board":"team"})");
  EXPECT_TRUE(snapshot_of(b->Read(), "b1"));
}

TEST_F(StreamHubTest, AFloodOfBadRequestsIsAnsweredInFullAndInOrder) {
  StartHub();
  auto c = Connect();
  // More than the server holds unsent (it stops reading meanwhile).
  for (int i = 0; i < 200; ++i) c->Send(Numbered(R"({"op":"unsubscribe","sub":"u)", i) + "\"}");
  for (int i = 0; i < 200; ++i) {
    std::optional<std::string> m = c->Read();
    ASSERT_TRUE(m);
    ASSERT_EQ(m->rfind(Numbered(R"({"type":"error","sub":"u)", i) + "\",", 0), 0u) << *m;
  }
}

TEST_F(StreamHubTest, BinaryMessageClosesWith1003) {
  StartHub();
  auto c = Connect();
  c->ws().binary(true);
  c->ws().write(net::buffer(std::string("{}")));
  EXPECT_FALSE(c->Read());
  EXPECT_EQ(c->ws().reason().code, websocket::close_code::unknown_data);
}

TEST_F(StreamHubTest, InvalidUtf8ClosesWith1007) {
  StartHub();
  auto c = Connect();
  c->Send("{\"op\":\"\xff\xfe\"}");
  EXPECT_FALSE(c->Read());
  EXPECT_EQ(c->ws().reason().code, websocket::close_code::bad_payload);
}

TEST_F(StreamHubTest, OversizedMessageClosesWith1009) {
  StreamOptions opts;
  opts.max_frame_bytes = 1024;
  StartHub(opts);
  auto c = Connect();
  c->Send(R"({"op":"subscribe","sub":")" + std::string(2000, 'x') + "\"}");
  EXPECT_FALSE(c->Read());
  EXPECT_EQ(c->ws().reason().code, websocket::close_code::too_big);
}

TEST_F(StreamHubTest, AClientThatNeverReadsHoldsAtMostOneFramePerSubscription) {
  StreamOptions opts;
  opts.send_timeout = 1h;  // this test is about memory, not about closing
  StartHub(opts);
  auto slow = Connect(/*small_buffers=*/true);
  auto fast = Connect();
  const char* subs[] = {R"({"op":"subscribe","sub":"a","board":"city","top":200})",
                        R"({"op":"subscribe","sub":"b","board":"firm","top":200})",
                        R"({"op":"subscribe","sub":"t","board":"totals"})"};
  for (const char* s : subs) slow->Send(s);
  fast->Send(subs[0]);
  ASSERT_TRUE(fast->Read());
  ASSERT_TRUE(Eventually([&] {
    for (const auto& s : hub_->ConnectionStats()) {
      if (s.subscriptions == 3) return true;
    }
    return false;
  }));
  size_t max_frames = 0, max_bytes = 0, max_body = 0;
  for (int round = 0; round < 100; ++round) {
    {
      std::lock_guard<std::mutex> lock(engine_mu_);
      for (int i = 0; i < 10'000; ++i) {
        const int n = (round * 10'000 + i) * 7919 % 1000;
        SendLocked(Numbered("city", n), "", 1 + n);
      }
    }
    hub_->TickNow();
    // The fast client gets every version on time, whatever the slow one does.
    std::optional<std::string> m = fast->Read();
    ASSERT_TRUE(m);
    ASSERT_EQ(IntField(*m, "version"), round + 2);
    max_body = std::max(max_body, m->size());
    for (const auto& s : hub_->ConnectionStats()) {
      max_frames = std::max(max_frames, s.pending_frames);
      max_bytes = std::max(max_bytes, s.pending_bytes);
    }
  }
  EXPECT_GE(max_frames, 1u);   // the slow client did fall behind…
  EXPECT_LE(max_frames, 3u);   // …yet holds at most one frame per subscription
  EXPECT_LE(max_bytes, 3 * (max_body + 128));
  EXPECT_GT(hub_->frames_skipped(), 0u);
}

TEST_F(StreamHubTest, AClientThatAcceptsNothingIsClosedAfterTheSendTimeout) {
  StreamOptions opts;
  opts.send_timeout = 300ms;
  StartHub(opts);
  auto slow = Connect(/*small_buffers=*/true);
  slow->Send(R"({"op":"subscribe","sub":"a","board":"city","top":1000})");
  ASSERT_TRUE(Eventually([&] { return hub_->views() == 1; }));
  for (int round = 0; round < 50 && hub_->slow_closes() == 0; ++round) {
    {
      std::lock_guard<std::mutex> lock(engine_mu_);
      for (int i = 0; i < 1000; ++i) SendLocked(Numbered("城市", i), "", round + i);
    }
    hub_->TickNow();
  }
  EXPECT_TRUE(Eventually([&] { return hub_->slow_closes() == 1; }));
  EXPECT_TRUE(Eventually([&] { return hub_->connections() == 0; }));
  EXPECT_TRUE(Eventually([&] { return hub_->views() == 0; }));
}

TEST_F(StreamHubTest, StopClosesEveryConnectionGracefully) {
  StartHub();
  auto c = Connect();
  c->Send(R"({"op":"subscribe","sub":"s","board":"city"})");
  ASSERT_TRUE(c->Read());
  hub_->Stop();
  EXPECT_FALSE(c->Read());
  EXPECT_EQ(c->ws().reason().code, websocket::close_code::going_away);
  EXPECT_TRUE(Eventually([&] { return hub_->connections() == 0; }));
}

}  // namespace
}  // namespace bangdan
