// EngineState (Engine::Impl): the engine's state, shared by engine.cpp (writing, queries)
// and engine_serialize.cpp (the state's encoding).
//
// Invariants:
//  - dedup holds admissions 1…admitted_seq (those inside the window); the
//    ones after applied_seq are not on any board yet.
//  - total.last_seq == applied_seq once anything was applied; days holds
//    only days >= DayOf(clock_ms) - keep_days.
//  - bound holds every weight_g and amount_fen sum of the state, and every
//    one the admissions after applied_seq will make (sum_bound.h).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>

#include "bangdan/engine.h"
#include "board_set.h"
#include "dedup.h"
#include "interner.h"
#include "key_cache.h"
#include "sum_bound.h"

namespace bangdan {

// One window: the whole campaign or one calendar day.
struct Window {
  Window();
  int64_t weight_g = 0;
  int64_t amount_fen = 0;
  int64_t orders = 0;
  uint64_t events = 0;
  uint64_t last_seq = 0;  // the last event counted here
  std::array<BoardSet, kFamilyCount> sets;
  size_t MemoryBytes() const;
};

struct EngineState {
  explicit EngineState(EngineOptions o);

  EngineOptions options;
  std::array<Interner, kDimensionCount> names;  // indexed by Dimension
  Dedup dedup;
  uint64_t admitted_seq = 0;
  uint64_t applied_seq = 0;
  // Grows as events are admitted; a loaded state starts from its own sums.
  SumBound bound;
  // A state loaded from a snapshot written in steps may hold some effects of
  // events up to this seq (StateWriter's end_seq); replaying them applies
  // each only where it is missing (engine_apply.cpp, ApplyCatchingUp).
  uint64_t catch_up_seq = 0;
  // The engine's clock: the latest recv_ms among applied events. Only this
  // (never a wall clock) decides which days are kept.
  int64_t clock_ms = 0;
  bool has_clock = false;
  Window total;
  std::map<int32_t, std::unique_ptr<Window>> days;
  // The day window an event went to last (apply_steps.h, KeptDayWindow):
  // events mostly fall on one day, so most need no search of `days` and no
  // check against retention. Forgotten whenever a day window is freed.
  int32_t last_day = 0;
  Window* last_day_window = nullptr;
  // What live apply learned of keys (key_cache.h): (city, firm, team, user)
  // and (city, product), printed with these seeds.
  KeyCache people_keys;
  KeyCache product_keys;
  KeyCacheGate key_gate;
  PrintSeeds print_seeds;

  // Moves the clock to recv_ms if later and frees days that fell out.
  void AdvanceClock(int64_t recv_ms);
  int32_t Today() const { return DayOf(clock_ms, options.tz_offset_minutes); }
};

// Engine's pimpl is the state itself; functions outside Engine take EngineState.
struct Engine::Impl : EngineState {
  using EngineState::EngineState;
};

Dimension ScopeDimension(ScopeKind s);

// Who admits: the live engine, which refuses an event whose sums could
// overflow, or replay, which takes every event the log holds: each was
// accepted once (sum_bound.h).
enum class Admitter : uint8_t { kLive, kLog };

// Admit with the id's fingerprint already computed (engine.cpp).
Admission AdmitFingerprinted(EngineState& s, const Event& e, const Fingerprint& fp,
                             int64_t recv_ms, Admitter who);
// The same for an event the log says was accepted: admitted without a look
// at the dedup window, which checks it later (Dedup::PushUnchecked).
Admission AdmitUnchecked(EngineState& s, const Event& e, const Fingerprint& fp, int64_t recv_ms);

}  // namespace bangdan
