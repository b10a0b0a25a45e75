// For the engine tests: events that own their strings, and a one-call Admit + Apply.
#pragma once

#include <cstdint>
#include <string>

#include "bangdan/board.h"
#include "bangdan/engine.h"
#include "bangdan/event.h"

namespace bangdan::testing_util {

// 2026-11-23T00:00:00+08:00, a convenient "today".
inline constexpr int64_t kMidnight = 1'795'363'200'000;
inline constexpr int64_t kHourMs = 3'600'000;
inline constexpr int64_t kDayMs = 24 * kHourMs;

struct Ev {
  std::string id{}, city = "合肥", firm = "万科物业", team{}, user{}, product{};
  int64_t weight_g = 0, amount_fen = 0, ts_ms = 0;
  bool has_ts = false, refund = false;

  Event view() const {
    Event e;
    e.id = id;
    e.city = city;
    e.firm = firm;
    e.team = team;
    e.user = user;
    e.product = product;
    e.weight_g = weight_g;
    e.amount_fen = amount_fen;
    e.ts_ms = ts_ms;
    e.has_ts = has_ts;
    e.refund = refund;
    return e;
  }
};

// prefix + i (a function: GCC 12 warns falsely on "literal" + std::string).
inline std::string Name(const char* prefix, long i) {
  std::string s = prefix;
  s += std::to_string(i);
  return s;
}

// Admits and applies; returns the seq, or 0 for a duplicate.
inline uint64_t Send(Engine& engine, const Ev& ev, int64_t recv_ms) {
  Event e = ev.view();
  Admission a = engine.Admit(e, recv_ms);
  if (!a.accepted()) return 0;
  engine.Apply(e, a);
  return a.seq;
}

inline BoardRef Ref(Dimension dim, ScopeKind scope = ScopeKind::kNone, std::string key = "",
                    WindowSpec window = WindowSpec::Total()) {
  BoardRef r;
  r.dim = dim;
  r.scope = scope;
  r.scope_key = std::move(key);
  r.window = window;
  return r;
}

}  // namespace bangdan::testing_util
