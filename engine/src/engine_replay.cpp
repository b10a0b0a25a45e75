// Engine::ReplayBatch and ReplayPipeline: logged events back on the boards.
//
// ReplayBatch admits a run of logged events (checking that the log agrees
// with itself) and applies them with ApplyBatch, as the server applies a
// frame. ReplayPipeline does the same work differently, because during
// recovery nothing reads the boards until the end:
//  - it sums before it touches a board. An event's ten families follow from
//    two keys, (city, firm, team, user) and (city, product), so each event
//    is added to one sum of each key per window (replay_sums.h), and the
//    sums go on the boards when the run ends or the sums grow large
//    (RollUp: each key's families once, through BoardSet::AddRun). A long
//    log holds the same few hundred thousand keys millions of times.
//  - it works in two halves that can run at once, because they touch
//    disjoint parts of the state. The caller's: admission (the dedup
//    window), the clock, the windows' totals and the day windows' map, and a
//    note per event of its names, change and day. The helper's: the names,
//    interned in event order, and the notes into the sums. While the helper
//    works on batch k, the caller prepares batch k + 1; roll-ups run while
//    no batch is in flight, the total window's on the helper beside the
//    days' on the caller.
// Sums are created in order of their keys' first events and rolled up in
// that order, and the names are interned in the same order as by
// ReplayBatch: the state ends the same, byte for byte
// (tests/engine/engine_replay_test.cpp).
//
// Events a snapshot written in steps may hold already go through
// ReplayBatch, once every sum is on the boards: ApplyCatchingUp reads the
// entries to decide.
#include <algorithm>
#include <map>
#include <memory>

#include "apply_steps.h"
#include "bangdan/engine.h"
#include "engine_impl.h"
#include "replay_sums.h"

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

// What the helper's half needs of one event, noted by the caller's.
struct Note {
  // Into sums, the helper interns the names: its bytes. Straight onto the
  // entries, the caller does (the entries are the heavier half): their ids.
  uint32_t names_at;                        // in Notes::names
  uint8_t name_size[kDimensionCount];       // 0: absent
  EntityIds id;
  BoardSet::Change change;
  int32_t day;
  Window* day_window;    // nullptr: the day is not kept
  WindowSums* day_sums;  // its sums; nullptr: not kept, or no sums
};

// A batch's notes, and their names' bytes (copied: the logged events may go
// once Add returns, and names are at most 128 bytes).
struct Notes {
  std::vector<Note> notes;
  std::string names;
  bool into_sums;   // or straight onto the entries
  uint64_t adds;    // key × window sums the events go to (if into sums)
  Fields FieldsOf(const Note& n) const {
    Fields f;
    size_t at = n.names_at;
    for (int d = 0; d < kDimensionCount; ++d) {
      f[d] = std::string_view(names.data() + at, n.name_size[d]);
      at += n.name_size[d];
    }
    return f;
  }
};

// The sums of the day windows, by day. A day's sums outlive its window
// until the next roll-up (notes may still point to them), which drops them.
using DaySums = std::map<int32_t, std::unique_ptr<WindowSums>>;

// The caller's half of `events`: the clock, the windows' totals (creating
// day windows, freeing those retention drops), the dedup window's eviction,
// and a note of what the helper's half needs. `day_sums`: the days' sums the
// events go to; nullptr: they go straight onto the entries, and the names
// are interned here, in a pipeline as in ApplyBatch (an event's name slots
// load while the events before it are interned, then its names' records).
void Prepare(EngineState& s, std::span<const AdmittedEvent> events, DaySums* day_sums,
             Notes* out) {
  out->notes.clear();
  out->names.clear();
  out->into_sums = day_sums != nullptr;
  out->adds = 0;
  constexpr size_t kAhead = 8;   // events between hashing a name and interning it
  constexpr size_t kRecord = 4;  // events between loading its record and interning it
  constexpr size_t kRing = 16;   // > kAhead, a power of two
  uint64_t hash[kRing][kDimensionCount];
  const size_t n = events.size();
  if (!out->into_sums) {
    for (size_t i = 0; i < std::min(n, kAhead); ++i) HashNames(s, FieldsOf(*events[i].event), hash[i]);
  }
  int32_t last_day = BoardSet::kNoDay;
  WindowSums* last_sums = nullptr;
  for (size_t i = 0; i < n; ++i) {
    const Event& e = *events[i].event;
    const Admission& a = events[i].admission;
    const int32_t day = DayOfEvent(s, a);
    const BoardSet::Change change = ChangeOf(e, a.seq);
    WindowSums* sums = nullptr;
    Window* window = ApplyToTotals(s, a, day, change);
    out->adds += (e.product.empty() ? 1 : 2) * (window != nullptr ? 2 : 1);
    if (window != nullptr && day_sums != nullptr) {
      if (day != last_day) {
        std::unique_ptr<WindowSums>& d = (*day_sums)[day];
        if (!d) d = std::make_unique<WindowSums>();
        last_day = day;
        last_sums = d.get();
      }
      sums = last_sums;
    }
    Note& note = out->notes.emplace_back(
        Note{static_cast<uint32_t>(out->names.size()), {}, {}, change, day, window, sums});
    const Fields fields = FieldsOf(e);
    if (out->into_sums) {
      for (int d = 0; d < kDimensionCount; ++d) {
        note.name_size[d] = static_cast<uint8_t>(fields[d].size());  // ≤ 128 (ValidateEvent)
        out->names.append(fields[d]);
      }
    } else {
      if (i + kAhead < n) HashNames(s, FieldsOf(*events[i + kAhead].event), hash[(i + kAhead) % kRing]);
      if (i + kRecord < n) {
        PrefetchNameRecords(s, FieldsOf(*events[i + kRecord].event), hash[(i + kRecord) % kRing]);
      }
      InternNames(s, fields, hash[i % kRing], &note.id);
    }
    Applied(s, a);
  }
}

// One event in the helper's pipeline: what each stage learned of it.
struct InFlight {
  uint64_t name_hash[kDimensionCount];
  // Into sums:
  SumTable::Key key[2];  // (city, firm, team, user), (city, product, 0, 0)
  bool has_product;
  uint64_t hash[2];      // of key[k]
  uint32_t index[2];     // in the total window's tables, kNone: not (yet) there
  // Straight onto the entries:
  Keys keys;
  TotalEntries found;
};

// The helper's half: the names interned (in event order), then each event
// added to its two keys' sums in the total window and, if its day is kept,
// through the total sums' links in its day's window — or, kIntoSums false,
// each event (its names interned by the caller) straight onto its entries as
// ApplyBatch puts it. A pipeline like ApplyBatch's: each stage, a few events
// ahead of the next, loads what the next reads — the names' slots, their
// records, the sums' (entries') slots, the sums (entries), the day sums
// (entries).
template <bool kIntoSums>
void HelperHalf(EngineState& s, WindowSums& total, const Notes& batch) {
  constexpr size_t kStride = 4;
  constexpr size_t kStages = 6;
  constexpr size_t kRing = 32;  // > (kStages - 1) * kStride, a power of two
  InFlight f[kRing];
  [[maybe_unused]] SumTable* tot[2] = {&total.people, &total.products};
  const std::vector<Note>& notes = batch.notes;
  const size_t n = notes.size();
  for (size_t step = 0; step < n + (kStages - 1) * kStride; ++step) {
    // The event that stage k works on at this step, if any.
    auto at = [&](size_t k, size_t* i) {
      if (step < k * kStride || step - k * kStride >= n) return false;
      *i = step - k * kStride;
      return true;
    };
    size_t i;
    if constexpr (!kIntoSums) {
      // The caller interned the names: the first two stages have nothing to do.
      if (at(2, &i)) {
        InFlight& e = f[i % kRing];
        e.keys = KeysOf(notes[i].id);
        PrefetchTotalSlots(s.total, e.keys, &e.found);
      }
      if (at(3, &i)) FindTotalEntries(s.total, f[i % kRing].keys, &f[i % kRing].found);
      if (at(4, &i) && notes[i].day_window != nullptr) {
        const Note& note = notes[i];
        PrefetchDayEntries(*note.day_window, note.day, f[i % kRing].keys, f[i % kRing].found);
      }
      if (at(5, &i)) {
        const Note& note = notes[i];
        ApplyToFamilies(s.total, note.day_window, note.day, f[i % kRing].keys, note.change,
                        &f[i % kRing].found);
      }
    } else {
      if (at(0, &i)) HashNames(s, batch.FieldsOf(notes[i]), f[i % kRing].name_hash);
      if (at(1, &i)) PrefetchNameRecords(s, batch.FieldsOf(notes[i]), f[i % kRing].name_hash);
      if (at(2, &i)) {
        InFlight& e = f[i % kRing];
        EntityIds id;
        InternNames(s, batch.FieldsOf(notes[i]), e.name_hash, &id);
        e.key[0] = SumTable::Key{{id[0], id[1], id[2], id[3]}};
        e.key[1] = SumTable::Key{{id[0], id[4], 0, 0}};
        e.has_product = id[4] != kAbsent;
        for (int k = 0; k < (e.has_product ? 2 : 1); ++k) {
          e.hash[k] = SumTable::HashOf(e.key[k]);
          tot[k]->Prefetch(e.hash[k]);
        }
      }
      if (at(3, &i)) {
        InFlight& e = f[i % kRing];
        for (int k = 0; k < (e.has_product ? 2 : 1); ++k) {
          e.index[k] = tot[k]->Find(e.key[k], e.hash[k]);
          if (e.index[k] != SumTable::kNone) PrefetchLine(&tot[k]->sum(e.index[k]));
        }
      }
      if (at(4, &i) && notes[i].day_sums != nullptr) {
        const InFlight& e = f[i % kRing];
        const Note& note = notes[i];
        SumTable* day[2] = {&note.day_sums->people, &note.day_sums->products};
        for (int k = 0; k < (e.has_product ? 2 : 1); ++k) {
          if (e.index[k] == SumTable::kNone) continue;
          const SumTable::Sum& sum = tot[k]->sum(e.index[k]);
          if (sum.link_day == note.day) PrefetchLine(&day[k]->sum(sum.link_index));
        }
      }
      if (at(5, &i)) {
        const InFlight& e = f[i % kRing];
        const Note& note = notes[i];
        for (int k = 0; k < (e.has_product ? 2 : 1); ++k) {
          // Found ahead, unless an earlier event of the batch created it since.
          const uint32_t index = e.index[k] != SumTable::kNone ? e.index[k]
                                                               : tot[k]->Locate(e.key[k], e.hash[k]);
          SumTable::Sum& sum = tot[k]->sum(index);
          AddToRun(sum.run, note.change);
          if (note.day_sums == nullptr) continue;
          SumTable& day = k == 0 ? note.day_sums->people : note.day_sums->products;
          if (sum.link_day != note.day) {  // another day, or a new key: look it up once
            sum.link_index = day.Locate(e.key[k], e.hash[k]);
            sum.link_day = note.day;
          }
          AddToRun(day.sum(sum.link_index).run, note.change);
        }
      }
    }
  }
}

// Puts one table's sums on a window's boards, each on the families its key
// names (`families`: a mask of them), in the order the sums were created —
// which creates every entry where the events one by one would have. The
// entries' slots and lines load a few sums ahead, as in ApplyBatch.
void RollUpTable(const SumTable& table, uint32_t families, Window& w) {
  constexpr size_t kStride = 4;
  constexpr size_t kRing = 16;
  Keys keys[kRing];
  TotalEntries found[kRing];
  const size_t n = table.size();
  for (size_t step = 0; step < n + 2 * kStride; ++step) {
    if (step < n) {
      const SumTable::Key& k = table.key(static_cast<uint32_t>(step));
      const bool people = families & 1;
      Keys& keys_now = keys[step % kRing];
      keys_now = KeysOf(people ? EntityIds{k.id[0], k.id[1], k.id[2], k.id[3], kAbsent}
                               : EntityIds{k.id[0], kAbsent, kAbsent, kAbsent, k.id[1]});
      keys_now.present &= families;
      PrefetchTotalSlots(w, keys_now, &found[step % kRing]);
    }
    if (step >= kStride && step - kStride < n) {
      const size_t i = step - kStride;
      FindTotalEntries(w, keys[i % kRing], &found[i % kRing]);
    }
    if (step >= 2 * kStride) {
      const size_t i = step - 2 * kStride;
      const Keys& k = keys[i % kRing];
      const TotalEntries& f = found[i % kRing];
      const BoardSet::Run& run = table.sum(static_cast<uint32_t>(i)).run;
      ForEachFamily(k, [&](auto fam) {
        BoardSet& set = w.sets[fam];
        bool created = false;
        // Found ahead, unless an earlier sum created it since.
        const uint32_t index =
            f.entry[fam] != nullptr
                ? f.index[fam]
                : set.template LocateAs<kScoped<fam>>(k.scope[fam], k.entity[fam], &created);
        set.AddRun(index, created, run);
      });
    }
  }
}

constexpr uint32_t kPeopleFamilies = 0xffu;     // city … user/team
constexpr uint32_t kProductFamilies = 0x300u;   // product, product/city

void RollUp(WindowSums& sums, Window& w) {
  RollUpTable(sums.people, kPeopleFamilies, w);
  RollUpTable(sums.products, kProductFamilies, w);
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
  Options options;
  std::vector<AdmittedEvent> admitted;
  Notes notes[2];  // the batch in flight and the next
  int next = 0;    // the one Add fills
  bool in_flight = false;
  WindowSums total_sums;
  DaySums day_sums;
  // Whether events still go into sums: not once a log has shown that they
  // hardly add up (see Add).
  bool summing = true;
  uint64_t adds = 0;  // key × window sums the events since the last roll-up went to
  // The number of sums at which to look at how well they add up next: from
  // 256 Ki (a quarter of a million events into a fresh engine), doubling.
  static constexpr size_t kFirstCheck = size_t{1} << 18;
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

  // Puts every sum on the boards and empties them. The helper must be idle;
  // it rolls up the total window while the caller's thread does the days
  // (the windows' sets are disjoint). A day whose window retention has freed
  // since is dropped with its sums; `drop_days`: every day's sums go (no
  // note points to them any more).
  void RollUpAll(bool drop_days) {
    EngineState& s = *state;
    WindowSums* sums = &total_sums;
    Window* total = &s.total;
    if (helper != nullptr && !day_sums.empty()) {
      helper->Start([sums, total] { RollUp(*sums, *total); });
      in_flight = true;
    } else {
      RollUp(*sums, *total);
    }
    for (auto it = day_sums.begin(); it != day_sums.end();) {
      const auto window = s.days.find(it->first);
      if (window != s.days.end()) RollUp(*it->second, *window->second);
      it->second->Clear(/*release=*/drop_days || window == s.days.end());
      it = drop_days ? day_sums.erase(it) : std::next(it);
    }
    Wait();
    total_sums.Clear(drop_days);
    adds = 0;
    ResetChecks();
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

  Status Alone(std::span<const LoggedEvent> events, size_t* failed) {
    Wait();
    RollUpAll(/*drop_days=*/true);
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
}

ReplayPipeline::~ReplayPipeline() { Finish(); }

void ReplayPipeline::Finish() {
  impl_->Wait();
  impl_->RollUpAll(/*drop_days=*/true);
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
  status = AdmitLogged(*p.state, events, &p.admitted);
  *failed = p.admitted.size();
  Notes& batch = p.notes[p.next];
  // Straight onto the entries, the caller interns the names: not while the
  // helper still interns those of a batch into sums.
  if (!p.summing && p.in_flight && p.notes[p.next ^ 1].into_sums) p.Wait();
  Prepare(*p.state, p.admitted, p.summing ? &p.day_sums : nullptr, &batch);
  p.Wait();  // the batch before is done: its notes may be reused
  if (batch.into_sums) {
    p.adds += batch.adds;
    const size_t sums = p.SumCount();
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
    if (sums >= p.options.max_sums) p.RollUpAll(/*drop_days=*/false);
  } else if (p.SumCount() > 0) {
    p.RollUpAll(/*drop_days=*/false);  // the entries take events in order
  }
  EngineState* s = p.state;
  WindowSums* total = &p.total_sums;
  auto work = [s, total, &batch] {
    if (batch.into_sums) {
      HelperHalf<true>(*s, *total, batch);
    } else {
      HelperHalf<false>(*s, *total, batch);
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
