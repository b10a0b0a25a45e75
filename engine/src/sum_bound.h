// SumBound: why no sum of the engine can overflow (docs/engine.md, "Sums
// that cannot overflow").
//
// Invariant: every weight_g sum the state holds — each entry of each board
// in each window, each window's totals — is at most `weight_g` in
// magnitude, and so is every such sum the events admitted but not yet
// applied will make; the same for amount_fen. An event moves a sum by its
// own magnitude at most, so admission keeps the invariant by adding the
// event's magnitudes to the bounds; an event that would take a bound past
// the limit (2^63 − 1) is refused instead, and nothing is left to check
// when the event is applied. Orders move by one an event: 2^63 events are
// out of reach, so orders have no bound.
//
// The bounds are no part of the state's bytes. A loaded state starts from
// the largest magnitudes it holds (SumBoundOf), which the running engine's
// bounds were at least; replay adds what admission added, so a recovered
// engine has at least the room the running one had. A state written in
// steps may hold some replayed events already: it is measured again once
// the log has caught it up (Engine::ReplayBatch).
#pragma once

#include <cstdint>

#include "bangdan/board.h"
#include "bangdan/event.h"

namespace bangdan {

struct EngineState;

struct SumBound {
  uint64_t weight_g = 0;
  uint64_t amount_fen = 0;

  // |v| of any int64, -2^63 included.
  static uint64_t Magnitude(int64_t v) {
    return v < 0 ? uint64_t{0} - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  }
  // a + b, or UINT64_MAX where that overflows.
  static uint64_t SaturatingAdd(uint64_t a, uint64_t b) {
    uint64_t sum;
    return __builtin_add_overflow(a, b, &sum) ? UINT64_MAX : sum;
  }

  // How much more a bound may take under `limit` (none once past it).
  static uint64_t Room(uint64_t bound, uint64_t limit) {
    return bound >= limit ? 0 : limit - bound;
  }

  // Admission: adds e's magnitudes if each fits in its bound's room under
  // `limit` and returns true; else changes nothing, names in *over the
  // metric that does not fit (weight first) and returns false. A metric the
  // event leaves as it is (0) always fits.
  bool TryAdd(const Event& e, uint64_t limit, Metric* over) {
    const uint64_t weight = Magnitude(e.weight_g);
    const uint64_t amount = Magnitude(e.amount_fen);
    const bool weight_fits = weight <= Room(weight_g, limit);
    if (!weight_fits || amount > Room(amount_fen, limit)) [[unlikely]] {
      *over = weight_fits ? Metric::kAmount : Metric::kWeight;
      return false;
    }
    weight_g += weight;  // within the room: no overflow
    amount_fen += amount;
    return true;
  }
  // An event admitted once already (replay): never refused. Saturates, so
  // that a bound loosened past the limit stays a bound.
  void Add(const Event& e) {
    weight_g = SaturatingAdd(weight_g, Magnitude(e.weight_g));
    amount_fen = SaturatingAdd(amount_fen, Magnitude(e.amount_fen));
  }

  bool operator==(const SumBound&) const = default;
};

// The largest magnitude of the weight_g and of the amount_fen sums in the
// state: every entry of every window, and the windows' totals. The tightest
// bound of the state alone; a scan of every entry (docs/engine.md gives
// its cost).
SumBound SumBoundOf(const EngineState& s);

}  // namespace bangdan
