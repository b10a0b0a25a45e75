// Engine: the in-memory state of bangdan — dedup window, sequence, every board.
//
// Writing happens in two phases so that nothing is visible before it is durable
// (SPEC §3, §6):
//   1. Admit(e, recv_ms): dedup and sequence. A new id gets the next sequence
//      number; the event is not yet on any board.
//   2. Apply(e, admission): once the event's log record is durable, it goes
//      onto the boards. Admitted events are applied in sequence order.
// Unadmit(seq) takes back admissions that never became durable (a failed
// write or fsync), newest first. Replay() does both phases for a logged event.
//
// No sum can overflow: admission refuses an event that could take a
// weight_g or amount_fen sum past options().max_sum (Admission::kRejected;
// docs/engine.md, "Sums that cannot overflow"). Replay never refuses one.
//
// Determinism: the state is a function of the applied sequence of
// (event, seq, recv_ms) alone — no wall clock is read inside — so replay and
// snapshots reproduce it byte for byte. Queries take `now_ms` only to resolve
// the "day" window.
//
// Thread safety: none. One thread (or one lock) at a time; queries mutate
// internal caches (orderings are brought up to date lazily).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "bangdan/board.h"
#include "bangdan/event.h"
#include "bangdan/helper.h"
#include "bangdan/status.h"

namespace bangdan {

struct EngineOptions {
  int32_t tz_offset_minutes = 8 * 60;    // --tz, +08:00
  int32_t keep_days = 7;                 // --keep-days: days kept before today
  int64_t dedup_window_ms = 3600 * 1000; // --dedup-window
  uint64_t dedup_max = 50'000'000;       // --dedup-max
  // The largest magnitude admission lets a weight_g or amount_fen sum reach:
  // 2^63 - 1, what they hold. Lower only to test the refusal.
  int64_t max_sum = INT64_MAX;
};

struct Admission {
  // kRejected: the event could take the campaign's sums of `overflow` past
  // max_sum. Like a duplicate it gets no seq and leaves nothing behind (its
  // id is not remembered, so a smaller event may use it); unlike one it is
  // an error, reported with the parser's rejections.
  enum class Verdict : uint8_t { kAccepted, kDuplicate, kRejected };
  Verdict verdict = Verdict::kDuplicate;
  Metric overflow = Metric::kWeight;  // kRejected: the metric whose sums it would overflow
  uint64_t seq = 0;      // kAccepted: the event's sequence number
  int64_t ts_ms = 0;     // the event time (ts, or recv_ms when the event had none)
  int64_t recv_ms = 0;   // the receive time given to Admit
  bool accepted() const { return verdict == Verdict::kAccepted; }
  bool rejected() const { return verdict == Verdict::kRejected; }
  // kRejected: the error, naming the field as the parser's errors do
  // ("amount_fen: …").
  std::string_view error() const;
};

// An event read back from the log, as ReplayBatch takes it.
struct LoggedEvent {
  Event event;
  uint64_t seq = 0;
  int64_t recv_ms = 0;
};

// An admitted event, as ApplyBatch takes it.
struct AdmittedEvent {
  const Event* event;
  Admission admission;
};

class Engine {
 public:
  explicit Engine(EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const EngineOptions& options() const;

  // ---- Writing ----

  // Phase 1: kAccepted, kDuplicate (the id was accepted within the dedup
  // window) or kRejected (its sums could overflow). REQUIRES: e is valid
  // (ValidateEvent(e) == "").
  Admission Admit(const Event& e, int64_t recv_ms);
  // Phase 1 for the events of one frame, all received at recv_ms: the same
  // as Admit on each in turn (out[i] for events[i]), with the dedup lookups
  // overlapped. REQUIRES: every event is valid.
  void AdmitBatch(std::span<const Event> events, int64_t recv_ms, Admission* out);
  // Phase 2. REQUIRES: a.accepted(), a.seq == applied_seq() + 1, e is the
  // event that was admitted.
  void Apply(const Event& e, const Admission& a);
  // Phase 2 for a run of admitted events in sequence order: the same result
  // as Apply on each in turn, faster — the cache misses of many events
  // overlap (docs/engine.md, "Applying a batch").
  void ApplyBatch(std::span<const AdmittedEvent> events);
  // Takes back every admission with seq > after_seq that was not applied.
  // The room they took in the sums' bounds stays taken (a bound needs only
  // to be large enough). REQUIRES: after_seq >= applied_seq().
  void Unadmit(uint64_t after_seq);
  // Admit + Apply of a logged event. Fails with Corruption if seq is not
  // applied_seq() + 1 or the id is a duplicate (the log disagrees with itself).
  Status Replay(const Event& e, uint64_t seq, int64_t recv_ms);
  // Replay of a run of logged events, with ApplyBatch's speed. On failure the
  // events before events[*failed] are applied and the rest are not.
  Status ReplayBatch(std::span<const LoggedEvent> events, size_t* failed);

  uint64_t admitted_seq() const;  // last sequence number handed out
  uint64_t applied_seq() const;   // last sequence number on the boards
  // A state loaded from a snapshot written in steps (StateWriter) holds some
  // effects of the events up to this sequence number and is exact only once
  // they are replayed; 0 (or <= applied_seq()) when it is exact.
  uint64_t catch_up_seq() const;

  // ---- Reading ----

  // Rows offset+1 … offset+limit of a board ordered by `metric`.
  // Errors: InvalidArgument naming the scope when §2 does not allow it.
  // A scope key or day that has no events answers an empty board.
  Status Top(const BoardRef& board, Metric metric, uint64_t offset, uint64_t limit,
             int64_t now_ms, BoardPage* out);
  // The row of `key` and its neighbours within `radius` ranks.
  // NotFound when the key is not on the board.
  Status Entry(const BoardRef& board, Metric metric, std::string_view key, uint32_t radius,
               int64_t now_ms, EntryResult* out);
  // Entities on the board (0 for a board with no events).
  uint64_t Count(const BoardRef& board, int64_t now_ms);
  Totals GetTotals(const WindowSpec& window, int64_t now_ms);

  // The sequence number of the last event that changed the board (0: none).
  // Equal versions mean equal contents; cheap (no ordering work).
  uint64_t BoardVersion(const BoardRef& board, int64_t now_ms);
  // The sequence number of the last event in the window (0: none).
  uint64_t TotalsVersion(const WindowSpec& window, int64_t now_ms);

  // The concrete day a window names at `now_ms` (kToday → today; else as is).
  WindowSpec Resolve(const WindowSpec& w, int64_t now_ms) const;

  // ---- State ----

  // Appends the whole state to *out in a deterministic, versioned encoding
  // (StateWriter in one step; bangdan/state_writer.h writes it in steps).
  void Serialize(std::string* out) const;
  // What Deserialize had to leave out of a valid state.
  struct LoadNotes {
    // The state's day windows were of another --tz: other calendar days,
    // dropped (the total window stays exact).
    size_t days_dropped_for_tz = 0;
    int32_t state_tz_offset_minutes = 0;
  };
  // Replaces the state with the one encoded in `in` (by Serialize or a
  // StateWriter); Corruption on bad input. `notes`, if given, says what was
  // left out.
  Status Deserialize(std::string_view in, LoadNotes* notes = nullptr);

  // Approximate heap bytes held, for /metrics and benchmarks.
  size_t MemoryBytes() const;

 private:
  friend class StateWriter;
  friend class ReplayPipeline;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Replay of a long log: ReplayBatch's result, reached faster. Events are
// summed per key before they touch a board (their ten families follow from
// two keys), and the work is split in two halves that overlap: a batch's
// events are admitted and the windows' totals counted on the caller's thread
// while the helper adds the batch before to the sums (engine_replay.cpp).
// The engine ends byte for byte as ReplayBatch on each batch in turn would
// leave it. Between the first Add and Finish nothing else may use the
// engine, but applied_seq() on the caller's thread.
//
// One difference: the log's claim that an id is no repeat within the dedup
// window is checked in bulk, not as each event is admitted (a lookup is a
// cache miss an event). Add or Finish reports a repeat when it finds one —
// possibly batches later — with repeat() naming it; the engine then holds
// events past it and is good for nothing but an error message.
class ReplayPipeline {
 public:
  struct Options {
    // Sums held before they are put on the boards mid-replay: ~120 bytes
    // each (the sum, its key and slot).
    size_t max_sums = size_t{1} << 22;
    // Fewer additions per sum than this (the events' keys hardly repeat),
    // looked at when the total window's sums reach 128 Ki (or max_sums) and
    // each time they double, send the rest of the log straight onto the
    // entries; 0: always sum.
    unsigned min_adds_per_sum = 2;
  };

  // helper == nullptr: both halves on the caller's thread.
  ReplayPipeline(Engine* engine, Helper* helper) : ReplayPipeline(engine, helper, Options()) {}
  ReplayPipeline(Engine* engine, Helper* helper, Options options);
  ~ReplayPipeline();  // Finish()
  ReplayPipeline(const ReplayPipeline&) = delete;
  ReplayPipeline& operator=(const ReplayPipeline&) = delete;

  // As ReplayBatch (the events before events[*failed] are admitted and will
  // be applied, the rest are not; but see repeat()); `events` may go once it
  // returns.
  Status Add(std::span<const LoggedEvent> events, size_t* failed);
  // Returns once every batch added is on the boards and every id checked:
  // Corruption if one repeats. Add may follow.
  Status Finish();
  // The first event found to repeat an id within the dedup window (seq 0:
  // none), and the admission whose id it repeats.
  struct Repeat {
    uint64_t seq = 0;
    uint64_t earlier_seq = 0;
  };
  Repeat repeat() const;
  // Whether events still go through sums: not once the log has shown that
  // its keys hardly repeat (then they go straight onto the entries).
  bool summing() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bangdan
