// The engine benchmarks' workload: 2,000,000 events over 300 cities, 10,000
// firms, 100,000 teams, 1,000,000 users, 2,000 products, Zipf(s = 1.0) over
// each (BANGDAN_WORKLOAD_DIVISOR: fewer, below); every optional field
// present; timestamps today. Two shapes:
//  - independent: each field of each event drawn on its own (a user buys
//    for a random team each time: the most distinct scoped entries, the
//    harshest case for the engine);
//  - hierarchical: as bangdan-loadgen and a real campaign draw them — a user
//    belongs to one team, a team to one firm and one city (each drawn Zipf
//    once), and an event draws its user and product.
// Generated once per process and shape, before any timing.
#pragma once

#include <algorithm>
#include <cstdlib>
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
  // Every event's strings side by side, events in order (see BuildWorkload).
  std::string text;
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

enum class Shape { kIndependent, kHierarchical };

inline Workload* BuildWorkload(Shape shape) {
  auto* w = new Workload;
  // BANGDAN_WORKLOAD_DIVISOR=d divides the firms, teams and users by d: with
  // 1,000, the boards (not the dedup window) fit in cache, which separates
  // what instructions cost from what memory does.
  const char* divisor_env = std::getenv("BANGDAN_WORKLOAD_DIVISOR");
  const size_t divisor = divisor_env != nullptr ? std::max(1L, std::atol(divisor_env)) : 1;
  const size_t sizes[kDimensionCount] = {300, 10'000 / divisor, 100'000 / divisor,
                                         1'000'000 / divisor, 2'000};
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
  if (shape == Shape::kHierarchical) {
    // The memberships, drawn once; then each event's team, firm and city
    // follow from its user.
    std::vector<uint32_t> team_of_user(sizes[3]), firm_of_team(sizes[2]), city_of_team(sizes[2]);
    Zipf teams(sizes[2]), firms(sizes[1]), cities(sizes[0]);
    for (uint32_t& t : team_of_user) t = teams(rng);
    for (size_t t = 0; t < sizes[2]; ++t) {
      firm_of_team[t] = firms(rng);
      city_of_team[t] = cities(rng);
    }
    for (size_t i = 0; i < kEvents; ++i) {
      picks[2][i] = team_of_user[picks[3][i]];
      picks[1][i] = firm_of_team[picks[2][i]];
      picks[0][i] = city_of_team[picks[2][i]];
    }
  }
  w->ids.reserve(kEvents);
  for (size_t i = 0; i < kEvents; ++i) w->ids.push_back("order-" + std::to_string(i));
  // An event's strings point into `text`, where each event's id and names
  // follow the previous event's: the server's engine reads them where the
  // parser left them, in the frame it just parsed, one event after the other.
  // Pointing into the tables of names instead would make every event read
  // its user's name at random among a million strings: a cache miss of the
  // benchmark's own (bench/RESULTS.md, "The benchmark's own cache misses").
  size_t text_bytes = 0;
  for (size_t i = 0; i < kEvents; ++i) {
    text_bytes += w->ids[i].size();
    for (int d = 0; d < kDimensionCount; ++d) text_bytes += w->names[d][picks[d][i]].size();
  }
  w->text.reserve(text_bytes);  // never grows: the views below stay valid
  auto place = [w](std::string_view s) {
    const size_t at = w->text.size();
    w->text.append(s);
    return std::string_view(w->text.data() + at, s.size());
  };
  w->events.resize(kEvents);
  w->recv_ms.resize(kEvents);
  w->user_of.resize(kEvents);
  for (size_t i = 0; i < kEvents; ++i) {
    Event& e = w->events[i];
    e.id = place(w->ids[i]);
    e.city = place(w->names[0][picks[0][i]]);
    e.firm = place(w->names[1][picks[1][i]]);
    e.team = place(w->names[2][picks[2][i]]);
    e.user = place(w->names[3][picks[3][i]]);
    e.product = place(w->names[4][picks[4][i]]);
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
}

inline const Workload& GetWorkload(Shape shape = Shape::kIndependent) {
  static const Workload* independent = nullptr;
  static const Workload* hierarchical = nullptr;
  const Workload*& w = shape == Shape::kIndependent ? independent : hierarchical;
  if (w == nullptr) w = BuildWorkload(shape);
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
