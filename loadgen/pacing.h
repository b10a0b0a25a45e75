// Pacing: when a connection's frame k is due under --rate, and the moment a
// frame's latency counts from.
//
// A connection that cannot send a frame when it is due — its window is full
// of frames the server has not acked, or the server's TCP window is — sends
// it late. Timing it from that late send would leave the wait out: a server
// that stalls for 100 ms would show one slow ack and a hundred fast ones,
// while a producer in the field, whose purchases do not wait, would have
// seen every one of them late ("coordinated omission"). So a paced frame's
// latency counts from when it was due; the time from its actual send is
// kept beside it (Report's *_from_send). An unpaced run has no due times:
// there both are the same.
//
// Thread safety: none; one per connection.
#pragma once

#include <algorithm>
#include <cstdint>

namespace bangdan::loadgen {

class Pacing {
 public:
  // `interval_ns`: time between two frames of this connection; 0: unpaced.
  explicit Pacing(double interval_ns) : interval_ns_(interval_ns) {}

  // The connection can send from `now` on; the run began at `start_ns`.
  // Connection `conn` of `connections` has its frame 0 due `conn` / `connections`
  // of an interval after the start, so that the connections' frames take
  // turns evenly instead of all going at once each interval. A connection
  // that took longer than that to open is not counted late for frame 0, nor
  // does it burst to catch up: its frames are due from `now`.
  void Begin(int64_t start_ns, int64_t now, uint32_t conn = 0, uint32_t connections = 1) {
    const double turn = connections > 0 ? interval_ns_ * conn / connections : 0;
    base_ns_ = std::max(start_ns + static_cast<int64_t>(turn), now);
  }

  bool paced() const { return interval_ns_ > 0; }
  // When frame k is due. REQUIRES: paced().
  int64_t Due(uint64_t k) const {
    return base_ns_ + static_cast<int64_t>(interval_ns_ * static_cast<double>(k));
  }
  // What the latency of frame k, sent at `sent_ns`, counts from.
  int64_t LatencyOrigin(uint64_t k, int64_t sent_ns) const {
    return paced() ? std::min(Due(k), sent_ns) : sent_ns;
  }

  // Why a frame went late, so that a reader can tell the server's pace from
  // the generator's own: the connection could not send (its window full of
  // unacked frames, or its last write not done) — Held() when it finds
  // itself so, Released() when it can send again — or it could, and its
  // thread came late (busy with other connections, or the timer late).
  void Held() { held_ = true; }
  void Released(int64_t now) {
    if (!held_) return;
    held_ = false;
    released_ns_ = now;
  }
  enum class Lateness { kOnTime, kHeld, kGenerator };
  // Frame k sent at `now`: on time (under kLateNs after it was due), or late
  // mostly because the connection was held past the due time, or mostly
  // after it was free to send.
  static constexpr int64_t kLateNs = 1'000'000;
  Lateness Classify(uint64_t k, int64_t now) const {
    if (!paced()) return Lateness::kOnTime;
    const int64_t due = Due(k);
    if (now - due < kLateNs) return Lateness::kOnTime;
    const int64_t held = released_ns_ > due ? released_ns_ - due : 0;
    return held >= now - due - held ? Lateness::kHeld : Lateness::kGenerator;
  }

 private:
  double interval_ns_;
  int64_t base_ns_ = 0;
  bool held_ = false;
  int64_t released_ns_ = 0;  // when the connection last became free to send
};

}  // namespace bangdan::loadgen
