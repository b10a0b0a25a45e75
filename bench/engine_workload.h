// The engine benchmarks' workload: 2,000,000 events over 300 cities, 10,000
// firms, 100,000 teams, 1,000,000 users, 2,000 products, each drawn Zipf(s =
// 1.0) independently; every optional field present; timestamps today.
// Generated once per process, before any timing.
#pragma once

#include <algorithm>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "bangdan/engine.h"
#include "bangdan/event.h"

namespace bangdan::bench {

constexpr size_t kEvents = 2'000'000;
constexpr int64_t kStartMs = 1'795'363'200'000 + 9 * 3'600'000;  // 09:00 +08:00

struct Workload {
  std::vector<std::string> names[kDimensionCount];
  std::vector<std::string> ids;
  std::vector<Event> events;
  // The same events again under new ids: once the entities exist.
  std::vector<std::string> ids_again;
  std::vector<Event> events_again;
  std::vector<int64_t> recv_ms_again;
  std::vector<int64_t> recv_ms;
  std::vector<uint32_t> user_of;  // the user index of each event
};

// Zipf(s = 1) over n ranks by inverting the cumulative distribution.
class Zipf {
 public:
  explicit Zipf(size_t n) : cdf_(n) {
    double sum = 0;
    for (size_t i = 0; i < n; ++i) cdf_[i] = (sum += 1.0 / static_cast<double>(i + 1));
    for (double& c : cdf_) c /= sum;
  }
  uint32_t operator()(std::mt19937_64& rng) const {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    auto it = std::lower_bound(cdf_.begin(), cdf_.end(), u);
    return static_cast<uint32_t>(std::min<size_t>(it - cdf_.begin(), cdf_.size() - 1));
  }

 private:
  std::vector<double> cdf_;
};

inline const Workload& GetWorkload() {
  static const Workload* w = [] {
    auto* w = new Workload;
    const size_t sizes[kDimensionCount] = {300, 10'000, 100'000, 1'000'000, 2'000};
    const char* prefixes[kDimensionCount] = {"城市", "物业公司", "战队", "用户", "产品"};
    std::mt19937_64 rng(42);
    std::vector<uint32_t> picks[kDimensionCount];
    for (int d = 0; d < kDimensionCount; ++d) {
      // Shuffled names: the hot entities are not the first interned.
      for (size_t i = 0; i < sizes[d]; ++i) {
        w->names[d].push_back(prefixes[d] + std::to_string(i * 2654435761u % 1000003));
      }
      Zipf zipf(sizes[d]);
      picks[d].resize(kEvents);
      for (size_t i = 0; i < kEvents; ++i) picks[d][i] = zipf(rng);
    }
    w->ids.reserve(kEvents);
    for (size_t i = 0; i < kEvents; ++i) w->ids.push_back("order-" + std::to_string(i));
    w->events.resize(kEvents);
    w->recv_ms.resize(kEvents);
    w->user_of.resize(kEvents);
    for (size_t i = 0; i < kEvents; ++i) {
      Event& e = w->events[i];
      e.id = w->ids[i];
      e.city = w->names[0][picks[0][i]];
      e.firm = w->names[1][picks[1][i]];
      e.team = w->names[2][picks[2][i]];
      e.user = w->names[3][picks[3][i]];
      e.product = w->names[4][picks[4][i]];
      e.weight_g = 500 * static_cast<int64_t>(1 + rng() % 10);
      e.amount_fen = 100 * static_cast<int64_t>(1 + rng() % 500);
      e.refund = rng() % 50 == 0;
      w->recv_ms[i] = kStartMs + static_cast<int64_t>(i / 1000);
      e.has_ts = true;
      e.ts_ms = w->recv_ms[i] - static_cast<int64_t>(rng() % 60'000);
      w->user_of[i] = picks[3][i];
    }
    w->ids_again.reserve(kEvents);
    for (size_t i = 0; i < kEvents; ++i) w->ids_again.push_back("order-again-" + std::to_string(i));
    w->events_again = w->events;
    w->recv_ms_again = w->recv_ms;
    for (size_t i = 0; i < kEvents; ++i) {
      w->events_again[i].id = w->ids_again[i];
      w->recv_ms_again[i] += static_cast<int64_t>(kEvents / 1000);
    }
    return w;
  }();
  return *w;
}

// Admits and applies events [from, to): one at a time (frame == 1), or as the
// server does, in frames of `frame` events, each admitted and then applied
// with ApplyBatch.
inline void Feed(Engine& engine, const std::vector<Event>& events, const std::vector<int64_t>& recv_ms,
          size_t from, size_t to, size_t frame = 1) {
  if (frame <= 1) {
    for (size_t i = from; i < to; ++i) {
      const Admission a = engine.Admit(events[i], recv_ms[i]);
      if (a.accepted()) engine.Apply(events[i], a);
    }
    return;
  }
  // A frame's events share its receive time, as in the server.
  std::vector<Admission> admissions(frame);
  std::vector<AdmittedEvent> admitted;
  admitted.reserve(frame);
  for (size_t i = from; i < to; i += frame) {
    const size_t n = std::min(to - i, frame);
    engine.AdmitBatch(std::span(events).subspan(i, n), recv_ms[i], admissions.data());
    admitted.clear();
    for (size_t j = 0; j < n; ++j) {
      if (admissions[j].accepted()) admitted.push_back(AdmittedEvent{&events[i + j], admissions[j]});
    }
    engine.ApplyBatch(admitted);
  }
}

inline void Feed(Engine& engine, const Workload& w, size_t from, size_t to, size_t frame = 1) {
  Feed(engine, w.events, w.recv_ms, from, to, frame);
}

}  // namespace bangdan::bench
