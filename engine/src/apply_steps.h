// The steps of applying an event, shared by ApplyBatch's pipeline
// (engine_apply.cpp) and the replay pipeline (engine_replay.cpp): an
// event's names and keys, its change, its day, and the windows' totals;
// then, per family, its entries (which replay's roll-up also finds through
// the warm-up steps).
#pragma once

#include <array>
#include <utility>
#include <string_view>

#include "bangdan/engine.h"
#include "engine_impl.h"

namespace bangdan::apply {

// The id of a missing optional field.
constexpr uint32_t kAbsent = 0xffffffffu;

using EntityIds = std::array<uint32_t, kDimensionCount>;  // indexed by Dimension

// The (scope, entity) of each family, and which families the event touches
// (those whose fields are present): an event's touches in any window are
// these. Indexed by family, so that the loops over them (ForEachFamily) know
// each family, and whether it is scoped, at compile time.
struct Keys {
  uint32_t present;  // bit f: the event touches family f
  uint32_t scope[kFamilyCount];
  uint32_t entity[kFamilyCount];
};

inline Keys KeysOf(const EntityIds& id) {
  const uint32_t city = id[0], firm = id[1], team = id[2], user = id[3], product = id[4];
  const bool has_team = team != kAbsent, has_user = user != kAbsent;
  const bool has_product = product != kAbsent;
  // In kFamilies' order: city; firm, firm/city; team, team/city, team/firm;
  // user, user/team; product, product/city.
  Keys k{0b111u | (has_team ? 0b111000u : 0) | (has_user ? 1u << 6 : 0) |
             (has_user && has_team ? 1u << 7 : 0) | (has_product ? 0b11u << 8 : 0),
         {0, 0, city, 0, city, firm, 0, team, 0, city},
         {city, firm, firm, team, team, team, user, user, product, product}};
  return k;
}

// The pipelines (ApplyBatch's, replay's) run n events through stages
// `stride` events apart: at step `step`, stage k works on event
// step - k * stride. Whether that event exists, and which it is (*i).
inline bool AtStage(size_t step, size_t k, size_t stride, size_t n, size_t* i) {
  if (step < k * stride || step - k * stride >= n) return false;
  *i = step - k * stride;
  return true;
}

// Whether family F is scoped, at compile time.
template <int F>
inline constexpr bool kScoped = kFamilies[F].scope != ScopeKind::kNone;

// fn(std::integral_constant<int, F>{}) for each family F the event touches,
// in family order.
template <typename Fn>
inline void ForEachFamily(const Keys& k, Fn&& fn) {
  [&]<int... F>(std::integer_sequence<int, F...>) {
    ((k.present >> F & 1 ? fn(std::integral_constant<int, F>{}) : void()), ...);
  }(std::make_integer_sequence<int, kFamilyCount>{});
}

inline void AddToTotals(Window& w, const BoardSet::Change& c) {
  w.weight_g += c.delta[0];
  w.amount_fen += c.delta[1];
  w.orders += c.delta[2];
  ++w.events;
  w.last_seq = c.seq;
}

// An event's names, indexed by Dimension; empty: absent.
using Fields = std::array<std::string_view, kDimensionCount>;

inline Fields FieldsOf(const Event& e) { return {e.city, e.firm, e.team, e.user, e.product}; }

// Hashes the names into hash[d] (present ones only) and starts loading their
// slots in the interners.
inline void HashNames(const EngineState& s, const Fields& fields, uint64_t hash[kDimensionCount]) {
  for (int d = 0; d < kDimensionCount; ++d) {
    if (fields[d].empty()) continue;
    hash[d] = Interner::HashOf(fields[d]);
    s.names[d].Prefetch(hash[d]);
  }
}

// Starts loading the names' records, once HashNames' slots are in cache:
// Intern compares the name's bytes with them.
inline void PrefetchNameRecords(const EngineState& s, const Fields& fields,
                                const uint64_t hash[kDimensionCount]) {
  for (int d = 0; d < kDimensionCount; ++d) {
    if (!fields[d].empty()) s.names[d].PrefetchRecord(hash[d]);
  }
}

// The names' ids into *id, interned in event order (ids are handed out in
// order of first appearance). `hash`: from HashNames.
inline void InternNames(EngineState& s, const Fields& fields, const uint64_t hash[kDimensionCount],
                        EntityIds* id) {
  for (int d = 0; d < kDimensionCount; ++d) {
    (*id)[d] = fields[d].empty() ? kAbsent : s.names[d].Intern(fields[d], hash[d]);
  }
}

// What an event adds to each value it touches: a refund subtracts.
inline BoardSet::Change ChangeOf(const Event& e, uint64_t seq) {
  const int64_t sign = e.refund ? -1 : 1;
  const int64_t delta[kMetricCount] = {sign * e.weight_g, sign * e.amount_fen, sign};
  return BoardSet::Change(delta, seq);
}

// The day an event counts in (SPEC §2: the day of its ts).
inline int32_t DayOfEvent(const EngineState& s, const Admission& a) {
  return DayOf(a.ts_ms, s.options.tz_offset_minutes);
}

// The window of `day`, created if need be, or nullptr if that day is not
// kept: older than keep_days before the day of the event's receipt (and of
// the engine's clock, which is never earlier). REQUIRES: the clock advanced.
inline Window* KeptDayWindow(EngineState& s, int32_t day) {
  // A window that exists is kept: windows are freed only as the clock moves,
  // which forgets the one remembered here.
  if (day == s.last_day && s.last_day_window != nullptr) return s.last_day_window;
  if (day < s.Today() - s.options.keep_days) return nullptr;
  std::unique_ptr<Window>& window = s.days[day];
  if (!window) window = std::make_unique<Window>();
  s.last_day = day;
  s.last_day_window = window.get();
  return window.get();
}

// The event is on the boards: the engine's sequence moves on, and the dedup
// window frees what fell out of it.
inline void Applied(EngineState& s, const Admission& a) {
  s.applied_seq = a.seq;
  s.dedup.Evict(a.recv_ms, a.seq);
}

// The windows' share of an event: the clock, the total window's totals and
// those of its day's window (created if need be), which it returns (nullptr:
// a day no longer kept). Then ApplyToFamilies, then Applied.
inline Window* ApplyToTotals(EngineState& s, const Admission& a, int32_t day,
                             const BoardSet::Change& change) {
  s.AdvanceClock(a.recv_ms);
  AddToTotals(s.total, change);
  Window* window = KeptDayWindow(s, day);
  if (window != nullptr) AddToTotals(*window, change);
  return window;
}

// What the warm-up stages of a pipeline (ApplyBatch's, replay's) learned of
// an event's entries in the total window, per family: the lookup hash, and
// the entry with its index if it existed then (nullptr: not yet).
struct TotalEntries {
  uint64_t hash[kFamilyCount];
  uint32_t index[kFamilyCount];
  BoardSet::Entry* entry[kFamilyCount];
};

// Warm-up, in three steps each reading what the one before loaded:
// 1. the total entries' lookup slots;
inline void PrefetchTotalSlots(const Window& total, const Keys& k, TotalEntries* t) {
  ForEachFamily(k, [&](auto f) {
    t->hash[f] = total.sets[f].template PrefetchAs<kScoped<f>>(k.scope[f], k.entity[f]);
  });
}
// 2. the total entries that exist (an index found stays right: entries never
//    move);
inline void FindTotalEntries(Window& total, const Keys& k, TotalEntries* t) {
  ForEachFamily(k, [&](auto f) {
    t->entry[f] = total.sets[f].template FindAndPrefetchAs<kScoped<f>>(k.scope[f], k.entity[f],
                                                                      t->hash[f], &t->index[f]);
  });
}
// 3. through their links, their entries in the window of `day`. Only a hint:
//    apply follows the links again (an event before may have moved one).
inline void PrefetchDayEntries(const Window& day_window, int32_t day, const Keys& k,
                               const TotalEntries& t) {
  ForEachFamily(k, [&](auto f) {
    const BoardSet::Entry* e = t.entry[f];
    if (e != nullptr && e->link_day == day) {
      day_window.sets[f].template PrefetchEntryAs<kScoped<f>>(e->link_index, k.scope[f]);
    }
  });
}

// The entries' share: each family's entry in the total window and, if
// day_window, in it (through the total entry's day link). `found`, if
// given, holds what the warm-up found; an entry it did not find (created
// since by an earlier event of the batch, or new) is located here; `indices`,
// if given, takes each total entry's index by family. Touches nothing but
// the sets of the two windows.
inline void ApplyToFamilies(Window& total, Window* day_window, int32_t day, const Keys& k,
                            const BoardSet::Change& change, const TotalEntries* found,
                            uint32_t* indices = nullptr) {
  if (found == nullptr) {
    // Their misses overlap: prefetch every slot before the first lookup.
    ForEachFamily(k, [&](auto f) {
      total.sets[f].template PrefetchAs<kScoped<f>>(k.scope[f], k.entity[f]);
    });
  }
  // The total entries, kept at hand for their day links below.
  BoardSet::Entry* entry[kFamilyCount];
  ForEachFamily(k, [&](auto f) {
    BoardSet& set = total.sets[f];
    bool created = false;
    uint32_t index;
    if (found != nullptr && found->entry[f] != nullptr) {
      index = found->index[f];
      entry[f] = found->entry[f];
    } else {
      index = set.template LocateAs<kScoped<f>>(k.scope[f], k.entity[f], &created);
      entry[f] = &set.EntryForUpdate(index);
    }
    set.Update(*entry[f], index, created, change);
    if (indices != nullptr) indices[f] = index;
  });
  if (day_window == nullptr) return;
  ForEachFamily(k, [&](auto f) {
    BoardSet& set = day_window->sets[f];
    BoardSet::Entry& link = *entry[f];
    bool created = false;
    if (link.link_day != day) {
      link.link_index = set.template LocateAs<kScoped<f>>(k.scope[f], k.entity[f], &created);
      link.link_day = day;
    }
    set.Update(link.link_index, created, change);
  });
}

}  // namespace bangdan::apply
