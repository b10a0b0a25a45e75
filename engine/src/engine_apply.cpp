// Engine::Apply and Engine::ApplyBatch: putting admitted events on the boards.
//
// Applying is bound by memory, not arithmetic: an event touches about twenty
// board entries (ten families × the total and the day window) plus five
// interned names, and in a large campaign most of them are cache misses.
// Taken one after another each miss costs a full trip to memory; issued
// together they overlap. So the work is split into steps that only load, and
// one final step that changes state:
//
//   Apply (one event): three passes over its entries — prefetch the lookup
//   slots, locate the entries (prefetching them), update them.
//
//   ApplyBatch (a group of events): warm-up passes over the whole group, each
//   reading what the previous pass brought into cache and prefetching the next
//   level — the interner's slot, the name's view, the name's bytes; then the
//   names are interned in event order, and two more passes warm the boards'
//   lookup slots and entries — before the events are applied one by one,
//   exactly as Apply does, now from cache.
//
// The warm-up passes never change anything, so the result is the same as
// Apply on each event in turn, by construction.
#include <span>

#include "bangdan/engine.h"
#include "engine_impl.h"

namespace bangdan {

namespace {

// The id of a missing optional field.
constexpr uint32_t kAbsent = 0xffffffffu;

using EntityIds = std::array<uint32_t, kDimensionCount>;  // indexed by Dimension

// One entry an event touches: which set, which (scope, entity), and its index
// in the set if known (BoardSet::kNone until found or created).
struct Touch {
  BoardSet* set;
  uint32_t scope;
  uint32_t entity;
  uint32_t index;
};

// Lists the entries of one window that the event touches: one per family,
// skipping families whose field is absent.
int CollectTouches(Window& w, const EntityIds& id, Touch* out) {
  const uint32_t city = id[0], firm = id[1], team = id[2], user = id[3], product = id[4];
  int n = 0;
  auto add = [&](int family, uint32_t scope, uint32_t entity) {
    out[n++] = Touch{&w.sets[family], scope, entity, BoardSet::kNone};
  };
  add(0, 0, city);     // city
  add(1, 0, firm);     // firm
  add(2, city, firm);  // firm / city
  if (team != kAbsent) {
    add(3, 0, team);     // team
    add(4, city, team);  // team / city
    add(5, firm, team);  // team / firm
  }
  if (user != kAbsent) {
    add(6, 0, user);                          // user
    if (team != kAbsent) add(7, team, user);  // user / team
  }
  if (product != kAbsent) {
    add(8, 0, product);     // product
    add(9, city, product);  // product / city
  }
  return n;
}

void AddToTotals(Window& w, const int64_t delta[kMetricCount], uint64_t seq) {
  w.weight_g += delta[0];
  w.amount_fen += delta[1];
  w.orders += delta[2];
  ++w.events;
  w.last_seq = seq;
}

std::array<std::string_view, kDimensionCount> FieldsOf(const Event& e) {
  return {e.city, e.firm, e.team, e.user, e.product};
}

// What the warm-up passes learned of one event: its ids, and its touches in
// the total window and in its day's window as that was then (`day_window`,
// nullptr if the day had none yet), with the indexes of entries that exist.
struct Warmed {
  EntityIds id;
  int32_t day;
  Window* day_window;
  int total_touches;
  int touches;
  Touch touch[2 * kFamilyCount];
};

// Puts one event on the boards. `w`, if given, holds its touches with the
// indexes found ahead; they are still right, because entries never move and
// a day's window, once dropped, never comes back (its day is past the kept
// ones for good) — so the same window at the same day is the same window.
void ApplyInterned(EngineState& s, const Event& e, const Admission& a, const EntityIds& id,
                   Warmed* w) {
  const int64_t sign = e.refund ? -1 : 1;
  const int64_t delta[kMetricCount] = {sign * e.weight_g, sign * e.amount_fen, sign};

  s.AdvanceClock(a.recv_ms);
  Touch own[2 * kFamilyCount];
  Touch* touches = w != nullptr ? w->touch : own;
  int n = w != nullptr ? w->total_touches : CollectTouches(s.total, id, own);
  AddToTotals(s.total, delta, a.seq);
  // The event's day counts if it is kept: not older than keep_days before the
  // day of its receipt (and of the engine's clock, which is never earlier).
  const int32_t day = DayOf(a.ts_ms, s.options.tz_offset_minutes);
  if (day >= s.Today() - s.options.keep_days) {
    std::unique_ptr<Window>& window = s.days[day];
    if (!window) window = std::make_unique<Window>();
    AddToTotals(*window, delta, a.seq);
    if (w != nullptr && w->day_window == window.get()) {
      n = w->touches;
    } else {
      n += CollectTouches(*window, id, touches + n);
    }
  }
  // Entries not found ahead: their misses overlap too (prefetch all, then
  // locate, then update).
  for (int i = 0; i < n; ++i) {
    if (touches[i].index == BoardSet::kNone) touches[i].set->Prefetch(touches[i].scope, touches[i].entity);
  }
  bool created[2 * kFamilyCount];
  for (int i = 0; i < n; ++i) {
    Touch& t = touches[i];
    created[i] = false;
    if (t.index == BoardSet::kNone) t.index = t.set->Locate(t.scope, t.entity, &created[i]);
  }
  for (int i = 0; i < n; ++i) touches[i].set->Update(touches[i].index, created[i], delta, a.seq);
  s.applied_seq = a.seq;
  s.dedup.Evict(a.recv_ms, a.seq);
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
  ApplyInterned(s, e, a, id, nullptr);
}

void Engine::ApplyBatch(std::span<const AdmittedEvent> events) {
  EngineState& s = *impl_;
  // A group's lines (~75 per event) must stay in cache from the first pass to
  // the last: 32 events is ~150 KiB, within a core's L2.
  constexpr size_t kGroup = 32;
  uint64_t hash[kGroup][kDimensionCount];
  uint32_t guess[kGroup][kDimensionCount];  // the interner's candidate ids
  Warmed warm[kGroup];
  for (size_t from = 0; from < events.size(); from += kGroup) {
    const std::span<const AdmittedEvent> group =
        events.subspan(from, std::min(kGroup, events.size() - from));
    // The names: slot, view, bytes; then interned in event order (ids are
    // handed out in order of first appearance).
    for (size_t i = 0; i < group.size(); ++i) {
      const auto fields = FieldsOf(*group[i].event);
      for (int d = 0; d < kDimensionCount; ++d) {
        if (fields[d].empty()) continue;
        hash[i][d] = Interner::HashOf(fields[d]);
        s.names[d].Prefetch(hash[i][d]);
      }
    }
    for (size_t i = 0; i < group.size(); ++i) {
      const auto fields = FieldsOf(*group[i].event);
      for (int d = 0; d < kDimensionCount; ++d) {
        if (!fields[d].empty()) guess[i][d] = s.names[d].PrefetchView(hash[i][d]);
      }
    }
    for (size_t i = 0; i < group.size(); ++i) {
      const auto fields = FieldsOf(*group[i].event);
      for (int d = 0; d < kDimensionCount; ++d) {
        if (!fields[d].empty()) s.names[d].PrefetchBytes(guess[i][d]);
      }
    }
    // The entries: interned ids give the touches, whose lookup slots start
    // loading; then the entries that exist are found and start loading.
    for (size_t i = 0; i < group.size(); ++i) {
      const auto fields = FieldsOf(*group[i].event);
      Warmed& w = warm[i];
      for (int d = 0; d < kDimensionCount; ++d) {
        w.id[d] = fields[d].empty() ? kAbsent : s.names[d].Intern(fields[d], hash[i][d]);
      }
      w.total_touches = w.touches = CollectTouches(s.total, w.id, w.touch);
      w.day = DayOf(group[i].admission.ts_ms, s.options.tz_offset_minutes);
      auto it = s.days.find(w.day);
      w.day_window = it == s.days.end() ? nullptr : it->second.get();
      if (w.day_window != nullptr) w.touches += CollectTouches(*w.day_window, w.id, w.touch + w.touches);
      for (int t = 0; t < w.touches; ++t) w.touch[t].set->Prefetch(w.touch[t].scope, w.touch[t].entity);
    }
    for (size_t i = 0; i < group.size(); ++i) {
      for (int t = 0; t < warm[i].touches; ++t) {
        Touch& touch = warm[i].touch[t];
        touch.index = touch.set->FindAndPrefetch(touch.scope, touch.entity);
      }
    }
    for (size_t i = 0; i < group.size(); ++i) {
      ApplyInterned(s, *group[i].event, group[i].admission, warm[i].id, &warm[i]);
    }
  }
}

}  // namespace bangdan
