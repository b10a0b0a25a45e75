// Engine::ReplayBatch and ReplayPipeline: logged events back on the boards.
//
// ReplayBatch admits a run of logged events (checking that the log agrees
// with itself) and applies them with ApplyBatch. ReplayPipeline splits that
// work in two halves that can run at once, because they touch disjoint parts
// of the state:
//  - the caller's half: admission (the dedup window), the names (interned in
//    event order), the clock, the windows' totals and the day windows' map —
//    everything but the board entries. It writes down, per event, what the
//    entries need: keys, change, day and day window (`Prepared`).
//  - the helper's half: from those notes, the entries of every family in the
//    total window and the day window, nothing else.
// So while the helper puts batch k on the boards, the caller prepares batch
// k + 1. Each board set sees the same updates in the same order as under
// ReplayBatch, and the names are interned in the same order: the state is
// the same, byte for byte (tests/engine/engine_replay_test.cpp).
//
// Two things would make the halves meet, and a batch that has either runs
// alone, as ReplayBatch, once the one before is done: a new day on the
// clock (retention may free a day window the helper is still writing to),
// and events a fuzzy snapshot may hold already (ApplyCatchingUp reads the
// entries to decide).
#include <optional>

#include "apply_steps.h"
#include "bangdan/engine.h"
#include "engine_impl.h"

namespace bangdan {

namespace {

using namespace apply;

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
      if (logged.seq != s.admitted_seq + 1) {
        return Status::Corruption("replay: sequence " + std::to_string(logged.seq) +
                                  " follows " + std::to_string(s.admitted_seq));
      }
      const Admission a = AdmitFingerprinted(s, logged.event, fps[i], logged.recv_ms);
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

Status CheckNothingPending(const EngineState& s) {
  if (s.admitted_seq == s.applied_seq) return Status::OK();
  return Status::Corruption("replay: " + std::to_string(s.admitted_seq - s.applied_seq) +
                            " admissions are pending");
}

// One event, as the helper's half needs it.
struct Prepared {
  Keys keys;
  BoardSet::Change change;
  int32_t day;
  Window* day_window;  // nullptr: the day is not kept
};

// The caller's half of `events`: everything but the entries, which are left
// to ApplyPrepared with what *out says of each event. Names are interned in
// a pipeline as in ApplyBatch: an event's name slots load while the events
// before it are interned, then its names' records.
void Prepare(EngineState& s, std::span<const AdmittedEvent> events, std::vector<Prepared>* out) {
  constexpr size_t kAhead = 8;   // events between hashing a name and interning it
  constexpr size_t kRecord = 4;  // events between loading its record and interning it
  constexpr size_t kRing = 16;   // > kAhead, a power of two
  uint64_t hash[kRing][kDimensionCount];
  const size_t n = events.size();
  for (size_t i = 0; i < std::min(n, kAhead); ++i) HashNames(s, *events[i].event, hash[i]);
  out->clear();
  for (size_t i = 0; i < n; ++i) {
    if (i + kAhead < n) HashNames(s, *events[i + kAhead].event, hash[(i + kAhead) % kRing]);
    if (i + kRecord < n) PrefetchNameRecords(s, *events[i + kRecord].event, hash[(i + kRecord) % kRing]);
    const Event& e = *events[i].event;
    const Admission& a = events[i].admission;
    EntityIds id;
    InternNames(s, e, hash[i % kRing], &id);
    const int32_t day = DayOfEvent(s, a);
    const BoardSet::Change change = ChangeOf(e, a.seq);
    Window* window = ApplyToTotals(s, a, day, change);
    out->push_back(Prepared{KeysOf(id), change, day, window});
    Applied(s, a);
  }
}

// The helper's half: the entries, as ApplyBatch's last stages put them — the
// total entries' slots, then the entries, then the day entries through their
// links load a few events ahead of the event being applied.
void ApplyPrepared(Window& total, std::span<const Prepared> events) {
  constexpr size_t kStride = 4;
  constexpr size_t kRing = 16;  // > 3 * kStride, a power of two
  TotalEntries found[kRing];
  const size_t n = events.size();
  for (size_t step = 0; step < n + 3 * kStride; ++step) {
    if (step < n) PrefetchTotalSlots(total, events[step].keys, &found[step % kRing]);
    if (step >= kStride && step - kStride < n) {
      const size_t i = step - kStride;
      FindTotalEntries(total, events[i].keys, &found[i % kRing]);
    }
    if (step >= 2 * kStride && step - 2 * kStride < n) {
      const size_t i = step - 2 * kStride;
      const Prepared& p = events[i];
      if (p.day_window != nullptr) PrefetchDayEntries(*p.day_window, p.day, p.keys, found[i % kRing]);
    }
    if (step >= 3 * kStride) {
      const size_t i = step - 3 * kStride;
      const Prepared& p = events[i];
      ApplyToFamilies(total, p.day_window, p.day, p.keys, p.change, &found[i % kRing]);
    }
  }
}

}  // namespace

Status Engine::ReplayBatch(std::span<const LoggedEvent> events, size_t* failed) {
  *failed = 0;
  Status status = CheckNothingPending(*impl_);
  if (!status.ok()) return status;
  std::vector<AdmittedEvent> admitted;
  admitted.reserve(events.size());
  status = AdmitLogged(*impl_, events, &admitted);
  *failed = admitted.size();
  ApplyBatch(admitted);
  return status;
}

struct ReplayPipeline::Impl {
  Engine* engine;
  EngineState* state;
  Helper* helper;
  std::vector<AdmittedEvent> admitted;
  std::vector<Prepared> prepared[2];  // the batch in flight and the next
  int next = 0;                       // the one Add fills
  bool in_flight = false;

  // Whether `events` must run alone (see the top of this file).
  bool MustRunAlone(std::span<const LoggedEvent> events) const {
    const EngineState& s = *state;
    if (!s.has_clock || events.empty()) return true;
    int64_t latest = s.clock_ms;
    for (const LoggedEvent& e : events) {
      if (e.seq <= s.catch_up_seq) return true;
      latest = std::max(latest, e.recv_ms);
    }
    return DayOf(latest, s.options.tz_offset_minutes) != s.Today();
  }
};

ReplayPipeline::ReplayPipeline(Engine* engine, Helper* helper)
    : impl_(std::make_unique<Impl>()) {
  impl_->engine = engine;
  impl_->state = engine->impl_.get();
  impl_->helper = helper;
}

ReplayPipeline::~ReplayPipeline() { Finish(); }

void ReplayPipeline::Finish() {
  if (!impl_->in_flight) return;
  impl_->helper->Wait();
  impl_->in_flight = false;
}

Status ReplayPipeline::Add(std::span<const LoggedEvent> events, size_t* failed) {
  Impl& p = *impl_;
  if (p.helper == nullptr || p.MustRunAlone(events)) {
    Finish();
    return p.engine->ReplayBatch(events, failed);
  }
  *failed = 0;
  Status status = CheckNothingPending(*p.state);
  if (!status.ok()) return status;
  p.admitted.clear();
  status = AdmitLogged(*p.state, events, &p.admitted);
  *failed = p.admitted.size();
  std::vector<Prepared>& batch = p.prepared[p.next];
  Prepare(*p.state, p.admitted, &batch);
  Finish();  // the batch before is on the boards: its notes may be reused
  Window* total = &p.state->total;
  p.helper->Start([total, &batch] { ApplyPrepared(*total, batch); });
  p.in_flight = true;
  p.next ^= 1;
  return status;
}

}  // namespace bangdan
