// Engine::ReplayBatch and ReplayPipeline: logged events back on the boards.
//
// ReplayBatch admits a run of logged events (checking that the log agrees
// with itself) and applies them with ApplyBatch, as the server applies a
// frame. ReplayPipeline does the same work differently, because during
// recovery nothing reads the boards until the end:
//  - it sums before it touches a board. An event's ten families follow from
//    two keys, (city, firm, team, user) and (city, product), so each event
//    is added to one sum of each key (replay_sums.h: found by a print of the
//    names, so that an event whose key has a sum interns nothing; a day's
//    sum rides on the total's while the key stays in one day), and the sums
//    go on the boards when the run ends or the sums grow large (RollUpTotal,
//    RollUpDay: each key's families once, through BoardSet::AddRun). A long
//    log holds the same few hundred thousand keys millions of times.
//  - it admits without looking the ids up: the log holds only accepted
//    events, and the dedup window checks them in bulk (Dedup::PushUnchecked),
//    so a repeat is reported when found, possibly batches later.
//  - it works in two halves that can run at once, because they touch
//    disjoint parts of the state. The caller's: admission (the dedup
//    window), the clock, the windows' totals and the day windows' map, and a
//    note per event of its names, change and day. The helper's: the prints,
//    the sums, and the names of a sum's first event, interned in event
//    order. While the helper works on batch k, the caller prepares batch
//    k + 1; roll-ups run while no batch is in flight, the total window's on
//    the helper beside the days' on the caller (at the end, both on the
//    helper, beside the dedup window's indexing).
//  - sums that hardly add up (keys that do not repeat, as when users do not
//    stay in their teams) only add work: once the log shows that, the rest
//    goes straight onto the entries, the caller interning the names and the
//    helper putting the events on their entries; a batch that moves the
//    clock into a new day then runs alone, as retention may free a day
//    window the helper is writing to.
// Sums are created in order of their keys' first events and rolled up in
// that order, and the names are interned in the same order as by
// ReplayBatch: the state ends the same, byte for byte
// (tests/engine/engine_replay_test.cpp).
//
// Events a snapshot written in steps may hold already go through
// ReplayBatch, once every sum is on the boards: ApplyCatchingUp reads the
// entries to decide.
#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>

#include "apply_steps.h"
#include "bangdan/engine.h"
#include "engine_impl.h"
#include "replay_steps.h"

namespace bangdan {

namespace {

using namespace apply;
using namespace replay;

Status OutOfSequence(const EngineState& s, const LoggedEvent& logged) {
  return Status::Corruption("replay: sequence " + std::to_string(logged.seq) + " follows " +
                            std::to_string(s.admitted_seq));
}

// Admits logged events in order; appends the admitted ones to *out. As
// AdmitBatch does, a group's dedup slots are loaded together, then admitted
// from cache (a window of millions of ids misses on every lookup). On failure
// the events before the failing one are admitted.
Status AdmitLogged(EngineState& s, std::span<const LoggedEvent> events,
                   std::vector<AdmittedEvent>* out) {
  constexpr size_t kGroup = 64;
  Fingerprint fps[kGroup];
  for (size_t from = 0; from < events.size(); from += kGroup) {
    const size_t n = std::min(kGroup, events.size() - from);
    for (size_t i = 0; i < n; ++i) {
      fps[i] = FingerprintOf(events[from + i].event.id);
      s.dedup.Prefetch(fps[i]);
    }
    for (size_t i = 0; i < n; ++i) {
      const LoggedEvent& logged = events[from + i];
      if (logged.seq != s.admitted_seq + 1) return OutOfSequence(s, logged);
      const Admission a =
          AdmitFingerprinted(s, logged.event, fps[i], logged.recv_ms, Admitter::kLog);
      if (!a.accepted()) {
        return Status::Corruption("replay: sequence " + std::to_string(logged.seq) +
                                  " repeats id '" + std::string(logged.event.id) +
                                  "' within the dedup window");
      }
      out->push_back(AdmittedEvent{&logged.event, a});
    }
  }
  return Status::OK();
}

// The pipeline's admission: the log's order is checked here, its ids later
// and in bulk (Dedup::PushUnchecked), which costs the replay no cache miss
// an event.
Status AdmitLoggedUnchecked(EngineState& s, std::span<const LoggedEvent> events,
                            std::vector<AdmittedEvent>* out) {
  for (const LoggedEvent& logged : events) {
    if (logged.seq != s.admitted_seq + 1) return OutOfSequence(s, logged);
    const Admission a =
        AdmitUnchecked(s, logged.event, FingerprintOf(logged.event.id), logged.recv_ms);
    out->push_back(AdmittedEvent{&logged.event, a});
  }
  return Status::OK();
}

Status RepeatFound(const EngineState& s) {
  const Dedup::Repeat& r = s.dedup.repeat();
  if (r.seq == 0) return Status::OK();
  return Status::Corruption("replay: sequence " + std::to_string(r.seq) +
                            " repeats the id of sequence " + std::to_string(r.earlier_seq) +
                            " within the dedup window");
}

Status CheckNothingPending(const EngineState& s) {
  if (s.admitted_seq == s.applied_seq) return Status::OK();
  return Status::Corruption("replay: " + std::to_string(s.admitted_seq - s.applied_seq) +
                            " admissions are pending");
}

}  // namespace

Status Engine::ReplayBatch(std::span<const LoggedEvent> events, size_t* failed) {
  *failed = 0;
  Status status = CheckNothingPending(*impl_);
  if (!status.ok()) return status;
  const bool catching_up = impl_->applied_seq < impl_->catch_up_seq;
  std::vector<AdmittedEvent> admitted;
  admitted.reserve(events.size());
  status = AdmitLogged(*impl_, events, &admitted);
  *failed = admitted.size();
  ApplyBatch(admitted);
  // The bounds took each event caught up with whole, also where entries held
  // it already: once the state is exact again (nothing is pending here), its
  // own sums bound it, no larger than the live engine's bounds were.
  if (catching_up && impl_->applied_seq >= impl_->catch_up_seq) {
    impl_->bound = SumBoundOf(*impl_);
  }
  return status;
}

struct ReplayPipeline::Impl {
  Engine* engine;
  EngineState* state;
  Helper* helper;
  Options options;
  std::vector<AdmittedEvent> admitted;
  Notes notes[2];  // the batch in flight and the next
  int next = 0;    // the one Add fills
  bool in_flight = false;
  TotalSums total_sums;
  DaySums day_sums;
  PrintSeeds seeds;  // of the keys' prints (replay_sums.h)
  // Whether events still go into sums: not once a log has shown that they
  // hardly add up (see Add).
  bool summing = true;
  uint64_t adds = 0;  // the total window's sums the events since the last roll-up went to
  // The number of the total window's sums at which to look at how well they
  // add up next: from 128 Ki (about a quarter of a million events into a
  // fresh engine), doubling.
  static constexpr size_t kFirstCheck = size_t{1} << 17;
  size_t next_check = 0;

  void ResetChecks() { next_check = std::min(kFirstCheck, options.max_sums); }

  size_t SumCount() const {
    size_t n = total_sums.size();
    for (const auto& [day, sums] : day_sums) n += sums->size();
    return n;
  }

  // Returns once the helper's batch is done.
  void Wait() {
    if (!in_flight) return;
    helper->Wait();
    in_flight = false;
  }

  // Puts every sum on the boards and empties them. The helper must be idle.
  // The windows' sets are disjoint: the helper rolls up the total window
  // while the caller's thread does the days — or, given `beside` (more of
  // the caller's half, as Settle's), the helper does both and the caller
  // that.
  void RollUpAll(bool drop_days, void (*beside)(EngineState&) = nullptr) {
    const TotalSums* sums = &total_sums;
    Window* total = &state->total;
    if (helper != nullptr && beside != nullptr) {
      helper->Start([this, sums, total, drop_days] {
        RollUpTotal(*sums, *total);
        RollUpDays(drop_days);
      });
      in_flight = true;
      beside(*state);
    } else if (helper != nullptr && !day_sums.empty()) {
      helper->Start([sums, total] { RollUpTotal(*sums, *total); });
      in_flight = true;
      RollUpDays(drop_days);
    } else {
      RollUpTotal(*sums, *total);
      RollUpDays(drop_days);
      if (beside != nullptr) beside(*state);
    }
    Wait();
    total_sums.Clear(drop_days);
    adds = 0;
    ResetChecks();
  }

  // The days' sums onto their windows (they read the total's sums they
  // share, so before those are cleared). A day whose window retention has
  // freed since is dropped with its sums; `drop_days`: every day's sums go
  // (no note points to them any more).
  void RollUpDays(bool drop_days) {
    EngineState& s = *state;
    for (auto it = day_sums.begin(); it != day_sums.end();) {
      const auto window = s.days.find(it->first);
      if (window != s.days.end()) {
        RollUpDay(total_sums, it->first, *it->second, *window->second);
      }
      it->second->Clear(/*release=*/drop_days || window == s.days.end());
      it = drop_days ? day_sums.erase(it) : std::next(it);
    }
  }

  // Whether `events` would move the clock into another day. Straight onto
  // the entries, such a batch runs alone: retention may free a day window
  // that the helper is still writing to.
  bool ChangesDay(std::span<const LoggedEvent> events) const {
    const EngineState& s = *state;
    if (!s.has_clock) return true;
    int64_t latest = s.clock_ms;
    for (const LoggedEvent& e : events) latest = std::max(latest, e.recv_ms);
    return DayOf(latest, s.options.tz_offset_minutes) != s.Today();
  }

  // Every batch on the boards and every id checked: the dedup window is
  // indexed beside the final roll-up (for a long log, a third of a second).
  Status Settle() {
    Wait();
    RollUpAll(/*drop_days=*/true, [](EngineState& s) { s.dedup.IndexPending(); });
    return RepeatFound(*state);
  }

  Status Alone(std::span<const LoggedEvent> events, size_t* failed) {
    *failed = 0;
    Status status = Settle();
    if (!status.ok()) return status;
    return engine->ReplayBatch(events, failed);
  }
};

ReplayPipeline::ReplayPipeline(Engine* engine, Helper* helper, Options options)
    : impl_(std::make_unique<Impl>()) {
  impl_->engine = engine;
  impl_->state = engine->impl_.get();
  impl_->helper = helper;
  impl_->options = options;
  impl_->ResetChecks();
  // Seeds no one outside can know (the clock, the heap's layout), so that no
  // names can be made to print alike; the prints do not show in the result.
  impl_->seeds = DrawPrintSeeds(impl_.get());  // drawn per replay
}

// A repeat Finish finds here, no caller asked for.
ReplayPipeline::~ReplayPipeline() { static_cast<void>(Finish()); }

Status ReplayPipeline::Finish() { return impl_->Settle(); }

ReplayPipeline::Repeat ReplayPipeline::repeat() const {
  const Dedup::Repeat& r = impl_->state->dedup.repeat();
  return Repeat{r.seq, r.earlier_seq};
}

bool ReplayPipeline::summing() const { return impl_->summing; }

Status ReplayPipeline::Add(std::span<const LoggedEvent> events, size_t* failed) {
  Impl& p = *impl_;
  if (events.empty()) {
    *failed = 0;
    return CheckNothingPending(*p.state);
  }
  // Events a state written in steps may hold already: ApplyCatchingUp reads
  // the entries to decide, so they must be on the boards.
  if (events.front().seq <= p.state->catch_up_seq) return p.Alone(events, failed);
  if (!p.summing && p.ChangesDay(events)) return p.Alone(events, failed);
  *failed = 0;
  Status status = CheckNothingPending(*p.state);
  if (!status.ok()) return status;
  p.admitted.clear();
  status = AdmitLoggedUnchecked(*p.state, events, &p.admitted);
  *failed = p.admitted.size();
  Notes& batch = p.notes[p.next];
  // Straight onto the entries, the caller interns the names: not while the
  // helper still interns those of a batch into sums.
  if (!p.summing && p.in_flight && p.notes[p.next ^ 1].into_sums) p.Wait();
  Prepare(*p.state, p.admitted, p.summing ? &p.day_sums : nullptr, &batch);
  // Eviction checks the pending ids (Dedup::Evict): a repeat may show here.
  if (status.ok()) status = RepeatFound(*p.state);
  p.Wait();  // the batch before is done: its notes may be reused
  if (batch.into_sums) {
    p.adds += batch.adds;
    const size_t sums = p.total_sums.size();
    if (sums >= p.next_check) {
      // Sums that hardly add up — fewer than two of the events' additions
      // each, as when users do not stay in their teams — only add work to
      // the entries': the rest of the log goes straight onto them (from the
      // next batch; this one is prepared for the sums). Looked at early, as
      // a log that does not add up shows it from the start; and again as the
      // sums double, in case it changes.
      if (p.adds < uint64_t{p.options.min_adds_per_sum} * sums) p.summing = false;
      p.next_check *= 2;
    }
    if (p.SumCount() >= p.options.max_sums) p.RollUpAll(/*drop_days=*/false);
  } else if (p.SumCount() > 0) {
    p.RollUpAll(/*drop_days=*/false);  // the entries take events in order
  }
  EngineState* s = p.state;
  TotalSums* total = &p.total_sums;
  const PrintSeeds* seeds = &p.seeds;
  auto work = [s, total, &batch, seeds] {
    if (batch.into_sums) {
      SumNotes(*s, *total, batch, *seeds);
    } else {
      ApplyNotes(*s, batch);
    }
  };
  if (p.helper == nullptr) {
    work();
    return status;
  }
  p.helper->Start(work);
  p.in_flight = true;
  p.next ^= 1;
  return status;
}

}  // namespace bangdan
