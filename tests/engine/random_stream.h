// A random stream of events for the engine tests: refunds, duplicates (recent
// ones, and old ones that count again), absent optional fields, zero weights,
// timestamps next to a midnight and up to ten days back. Deterministic per seed.
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "event_builder.h"

namespace bangdan::testing_util {

inline constexpr int32_t kTz = 480;  // +08:00

class Stream {
 public:
  explicit Stream(uint32_t seed) : rng_(seed) {}

  // The next event and its receive time.
  Ev Next(int64_t* recv_ms) {
    recv_ += Uniform(0, 10'000);  // ~5 s apart: 200,000 events span ~12 days
    *recv_ms = recv_;
    // Some sends repeat an earlier id: recent ones are duplicates, old ones
    // (out of the dedup window) count again.
    if (!sent_.empty() && Uniform(0, 99) < 5) {
      Ev again = sent_[Uniform(std::max<int64_t>(0, sent_.size() - 2000), sent_.size() - 1)];
      if (again.has_ts && again.ts_ms < recv_ - 9 * kDayMs) again.has_ts = false;
      return again;
    }
    Ev e;
    e.id = Name("o", next_id_++);
    e.city = Pick(kCities, 5);
    e.firm = Pick(kFirms, 12);
    if (Uniform(0, 9) < 8) e.team = Name(Uniform(0, 1) ? "队" : "team-", Skewed(30));
    if (Uniform(0, 9) < 7) e.user = Name("u", Skewed(200));
    if (Uniform(0, 9) < 6) e.product = Pick(kProducts, 8);
    e.weight_g = Uniform(0, 4) == 0 ? 0 : Uniform(0, 6) * 500;
    e.amount_fen = Uniform(0, 5) == 0 ? 0 : Uniform(0, 4) * 100;
    e.refund = Uniform(0, 99) < 15;
    const int64_t r = Uniform(0, 9);
    if (r < 3) {
      e.has_ts = true;
      if (r == 0) {  // next to a local midnight, today or up to 9 days back
        const int64_t day = DayOf(recv_, kTz) - Uniform(0, 9);
        e.ts_ms = day * kDayMs - kTz * 60'000 + Uniform(-2, 1);
      } else {  // anywhere from 10 days back to 23 h ahead
        e.ts_ms = recv_ + Uniform(-10 * kDayMs, 23 * kHourMs);
      }
    }
    sent_.push_back(e);
    return e;
  }

  int64_t Uniform(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }

 private:
  static constexpr const char* kCities[] = {"合肥", "芜湖", "Hefei", "ä", "安庆"};
  static constexpr const char* kFirms[] = {"万科物业", "碧桂园服务", "f1", "f2", "f10", "F",
                                           "保利物业", "龙湖", "绿城", "招商积余", "z", "é"};
  static constexpr const char* kProducts[] = {"茶叶", "大米", "菜籽油", "p", "Q", "蜂蜜",
                                              "红薯", "山核桃"};
  std::string Pick(const char* const* names, int n) { return names[Skewed(n)]; }
  // Small ids more often, so that some entities are hot and ties are common.
  int64_t Skewed(int64_t n) { return std::min(Uniform(0, n - 1), Uniform(0, n - 1)); }

  std::mt19937_64 rng_;
  int64_t recv_ = kMidnight - 3 * kDayMs;
  uint64_t next_id_ = 0;
  std::vector<Ev> sent_;
};

}  // namespace bangdan::testing_util
