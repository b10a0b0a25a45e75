// The cost of one push interval (SPEC §5): refresh every live view under the
// engine lock, serialize each changed one once, hand every subscriber its
// frame. 10,000 subscribers watch 100 distinct views (top 10 of the firms of
// each of 100 cities). The subscribers are sinks that do what a connection
// does with a frame short of the socket write: the bounded queue's Offer,
// then Pop (which builds the per-subscriber prefix), on their lane (one post
// a tick).
//
// Everything runs on the benchmark's thread (the io_context is polled), so
// the CPU time per iteration is the whole cost of a tick.
#include <benchmark/benchmark.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "bangdan/engine.h"
#include "bangdan/live_view.h"
#include "stream_hub.h"
#include "stream_session.h"

namespace bangdan {
namespace {

constexpr int64_t kNow = 1'795'363'200'000 + 3'600'000;
constexpr int kCities = 100;
constexpr int kFirmsPerCity = 200;

// prefix + n. (Not `"…" + std::to_string(n)`: g++ 12 at -O3 warns falsely there.)
std::string Numbered(std::string_view prefix, int64_t n) {
  std::string out(prefix);
  out += std::to_string(n);
  return out;
}

class CountingSink : public StreamSink {
 public:
  explicit CountingSink(boost::asio::io_context& ioc) : ioc_(ioc) {}

  void Add(uint64_t id, const ViewSpec& spec) {
    ids_.push_back(id);
    canonical_ = spec.CanonicalKey();
    kind_ = spec.kind;
  }

  boost::asio::io_context& lane() override { return ioc_; }

  uint64_t Take(const PushDelivery& d) override {
    const std::string sub = Numbered("s", static_cast<int64_t>(d.sub_id));
    uint64_t replaced = 0;
    if (!queue_.Find(sub)) {
      queue_.Add(sub, d.sub_id, canonical_, kind_, d);
    } else {
      replaced = queue_.Offer(d) == PushQueue::Offered::kReplaced ? 1 : 0;
    }
    PushQueue::OutFrame out;
    while (queue_.Pop(&out)) bytes += out.size();
    return replaced;
  }

  size_t bytes = 0;

 private:
  boost::asio::io_context& ioc_;
  PushQueue queue_;
  std::vector<uint64_t> ids_;
  std::string canonical_;
  ViewSpec::Kind kind_ = ViewSpec::Kind::kTop;
};

struct World {
  Engine engine;
  std::mutex engine_mu;
  boost::asio::io_context ioc;
  std::unique_ptr<StreamHub> hub;
  std::vector<std::shared_ptr<CountingSink>> sinks;
  std::vector<std::string> cities, firms;
  uint64_t next_id = 0;

  World(int subscribers, int views) {
    for (int c = 0; c < kCities; ++c) cities.push_back(Numbered("城市", c));
    for (int f = 0; f < kFirmsPerCity; ++f) firms.push_back(Numbered("物业公司", f));
    for (int c = 0; c < kCities; ++c) {
      for (int f = 0; f < kFirmsPerCity; ++f) Buy(c, f, 1000 + (c * 7 + f * 13) % 997);
      // Firms 0…9 lead every city's board, so a purchase of theirs always
      // changes what the top 10 shows.
      for (int f = 0; f < 10; ++f) Buy(c, f, 100'000'000 - f * 1000);
    }
    StreamOptions opts;
    opts.push_interval = std::chrono::hours(1);
    opts.now_ms = [] { return kNow; };
    hub = std::make_unique<StreamHub>(std::vector<boost::asio::io_context*>{&ioc}, engine, engine_mu, opts);
    for (int i = 0; i < subscribers; ++i) {
      ViewSpec spec;
      spec.board.dim = Dimension::kFirm;
      spec.board.scope = ScopeKind::kCity;
      spec.board.scope_key = cities[i % views];
      auto sink = std::make_shared<CountingSink>(ioc);
      sink->Add(hub->AttachSink(sink, spec), spec);
      sinks.push_back(std::move(sink));
    }
    ioc.poll();
  }

  void Buy(int c, int f, int64_t weight) {
    const std::string id = Numbered("e", static_cast<int64_t>(++next_id));
    Event e;
    e.id = id;
    e.city = cities[c];
    e.firm = firms[f];
    e.weight_g = weight;
    e.amount_fen = weight;
    Admission a = engine.Admit(e, kNow);
    engine.Apply(e, a);
  }
};

// Every view changes between ticks (one purchase per city by a firm on its top 10):
// the full cost — 100 refreshes with ordering work, 100 serializations,
// 10,000 deliveries.
void BM_PushTickAllViewsChanged(benchmark::State& state) {
  World w(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  int round = 0;
  const uint64_t serializations_before = w.hub->serializations();
  for (auto _ : state) {
    {
      std::lock_guard<std::mutex> lock(w.engine_mu);
      for (int c = 0; c < kCities; ++c) w.Buy(c, (round + c) % 10, 500 + round % 1000);
    }
    w.hub->TickNow();
    w.ioc.restart();
    w.ioc.poll();
    ++round;
  }
  state.counters["serializations/tick"] =
      benchmark::Counter(static_cast<double>(w.hub->serializations() - serializations_before) /
                         static_cast<double>(state.iterations()));
}
BENCHMARK(BM_PushTickAllViewsChanged)
    ->Args({10'000, 100})
    ->Unit(benchmark::kMillisecond);

// Nothing changed: what an idle tick costs (100 version checks).
void BM_PushTickNothingChanged(benchmark::State& state) {
  World w(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  for (auto _ : state) {
    w.hub->TickNow();
    w.ioc.restart();
    w.ioc.poll();
  }
}
BENCHMARK(BM_PushTickNothingChanged)
    ->Args({10'000, 100})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace bangdan

BENCHMARK_MAIN();
