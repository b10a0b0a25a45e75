// Engine::Apply and Engine::ApplyBatch: putting admitted events on the boards.
//
// Applying is bound by memory, not arithmetic: an event touches twenty board
// entries (ten families × the total and the day window) plus five interned
// names, and in a large campaign many of them are cache misses. Taken one
// after another each miss costs a full trip to memory; issued together they
// overlap. So the work is split into steps that only load, and one final
// step that changes state.
//
// An event's day entries cost no lookup of their own: each entry of the total
// window links to the same (scope, entity)'s entry in the window of the day
// it last went to (Entry::link_day, link_index). Events mostly fall on today,
// so the link almost always holds; when it does not, the day window is
// searched and the link moves there. A link is right whenever its day has a
// window: a day's window, once dropped, never comes back (its day is past the
// kept ones for good), and links are never serialized, so a loaded state
// starts without them.
//
//   Apply (one event): prefetch the total entries' lookup slots, locate and
//   update them, then the day entries through the links.
//
//   ApplyBatch (a run of events): a pipeline of five warm-up stages, each
//   reading what the stage before brought into cache and prefetching the next
//   level — the interner's slot; the name's record (id and bytes); the ids,
//   interned in event order, and the total entries' lookup slots; the total
//   entries; through their links, the day entries — then each event is
//   applied exactly as Apply does, now from cache. A few events separate
//   consecutive stages, so that each stage's loads have time to arrive.
//
// The warm-up stages never change anything but the interner (ids are
// handed out in event order either way), so the result is the same as
// Apply on each event in turn, by construction.
#include <span>

#include "apply_steps.h"
#include "bangdan/engine.h"
#include "engine_impl.h"

namespace bangdan {

namespace {

using namespace apply;

// What the warm-up stages learned of one event: its ids and keys, its day,
// and its total entries that existed then.
struct Warmed {
  uint64_t hash[kDimensionCount];  // of each present field's name
  EntityIds id;
  Keys keys;
  int32_t day;
  TotalEntries totals;
};

// Replay of an event that a state loaded from a snapshot written in steps
// may hold already, in some of its entries (StateWriter): each entry, and each
// window's totals, takes it only if its own last change is older — every
// event changes orders, so seq[kOrders] is an entry's last change. Rare (the
// events of one snapshot's writing, once per start-up), so kept plain.
void ApplyCatchingUp(EngineState& s, const Event& e, const Admission& a, const Keys& k) {
  const BoardSet::Change change = ChangeOf(e, a.seq);
  constexpr int kOrders = static_cast<int>(Metric::kOrders);
  s.AdvanceClock(a.recv_ms);
  auto catch_up = [&](Window& w) {
    if (w.last_seq < a.seq) AddToTotals(w, change);
    ForEachFamily(k, [&](auto f) {
      BoardSet& set = w.sets[f];
      bool created;
      const uint32_t index = set.Locate(k.scope[f], k.entity[f], &created);
      if (created || set.entry(index).seq[kOrders] < a.seq) {
        set.Update(index, created, change);
      }
    });
  };
  catch_up(s.total);
  if (Window* window = KeptDayWindow(s, DayOfEvent(s, a))) catch_up(*window);
  Applied(s, a);
}

// Puts one event, of day `day`, on the boards. `found`: as ApplyToFamilies
// takes it.
void ApplyInterned(EngineState& s, const Event& e, const Admission& a, const Keys& k,
                   int32_t day, const TotalEntries* found) {
  if (a.seq <= s.catch_up_seq) return ApplyCatchingUp(s, e, a, k);
  const BoardSet::Change change = ChangeOf(e, a.seq);
  Window* window = ApplyToTotals(s, a, day, change);
  ApplyToFamilies(s.total, window, day, k, change, found);
  Applied(s, a);
}

}  // namespace

void Engine::Apply(const Event& e, const Admission& a) {
  EngineState& s = *impl_;
  const auto fields = FieldsOf(e);
  uint64_t hashes[kDimensionCount];
  for (int d = 0; d < kDimensionCount; ++d) {
    if (fields[d].empty()) continue;
    hashes[d] = Interner::HashOf(fields[d]);
    s.names[d].Prefetch(hashes[d]);
  }
  EntityIds id;
  for (int d = 0; d < kDimensionCount; ++d) {
    id[d] = fields[d].empty() ? kAbsent : s.names[d].Intern(fields[d], hashes[d]);
  }
  ApplyInterned(s, e, a, KeysOf(id), DayOfEvent(s, a), nullptr);
}

// The stages of ApplyBatch's pipeline, in order: each reads what the one
// before brought into cache and starts loading what the next one reads.
namespace {
namespace stage {

// 1. The names' lookup slots.
void HashNames(const EngineState& s, const Event& e, Warmed& w) {
  apply::HashNames(s, FieldsOf(e), w.hash);
}

// 2. The names' records (id and bytes).
void LoadNames(const EngineState& s, const Event& e, const Warmed& w) {
  PrefetchNameRecords(s, FieldsOf(e), w.hash);
}

// 3. The ids (interned in event order: ids are handed out in order of first
//    appearance), hence the keys; their lookup slots in the total window.
void InternNames(EngineState& s, const AdmittedEvent& a, Warmed& w) {
  apply::InternNames(s, FieldsOf(*a.event), w.hash, &w.id);
  w.keys = KeysOf(w.id);
  w.day = DayOfEvent(s, a.admission);
  PrefetchTotalSlots(s.total, w.keys, &w.totals);
}

// 4. The total entries that exist already.
void FindTotals(EngineState& s, Warmed& w) { FindTotalEntries(s.total, w.keys, &w.totals); }

// 5. Through their links, the day entries (if the day has a window yet).
void FollowLinks(const EngineState& s, const Warmed& w) {
  const Window* window = nullptr;
  if (w.day == s.last_day && s.last_day_window != nullptr) {
    window = s.last_day_window;  // nearly always: today
  } else if (auto it = s.days.find(w.day); it != s.days.end()) {
    window = it->second.get();
  }
  if (window != nullptr) PrefetchDayEntries(*window, w.day, w.keys, w.totals);
}

}  // namespace stage
}  // namespace

void Engine::ApplyBatch(std::span<const AdmittedEvent> events) {
  EngineState& s = *impl_;
  // While event i is applied, event i + kStride * k is in stage 6 - k: each
  // stage's loads have kStride events' work to arrive before they are read.
  // Four events (~100 lines) is about as far ahead as prefetching pays on the
  // measuring machine (bench/memory_ceiling_bench.cpp); farther, the lines
  // start to leave the cache before they are used.
  constexpr size_t kStride = 4;
  constexpr size_t kStages = 5;
  constexpr size_t kRing = 32;  // > kStride * kStages, a power of two
  static_assert(kRing > kStride * kStages && (kRing & (kRing - 1)) == 0);
  Warmed warm[kRing];
  const size_t n = events.size();
  for (size_t step = 0; step < n + kStride * kStages; ++step) {
    // Event `step - kStride * k` enters stage k + 1 (if it exists).
    auto at = [&](size_t k, size_t* i) { return AtStage(step, k, kStride, n, i); };
    size_t i;
    if (at(0, &i)) stage::HashNames(s, *events[i].event, warm[i % kRing]);
    if (at(1, &i)) stage::LoadNames(s, *events[i].event, warm[i % kRing]);
    if (at(2, &i)) stage::InternNames(s, events[i], warm[i % kRing]);
    if (at(3, &i)) stage::FindTotals(s, warm[i % kRing]);
    if (at(4, &i)) stage::FollowLinks(s, warm[i % kRing]);
    if (at(5, &i)) {
      const Warmed& w = warm[i % kRing];
      ApplyInterned(s, *events[i].event, events[i].admission, w.keys, w.day, &w.totals);
    }
  }
}

}  // namespace bangdan
