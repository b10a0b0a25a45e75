// SumTable: what a run of replayed events did, summed per key, before any
// board entry is touched (engine_replay.cpp).
//
// Every family of an event follows from two keys: city, firm, firm/city,
// team, team/city, team/firm, user and user/team from (city, firm, team,
// user); product and product/city from (city, product). Replay adds an event
// to one sum of each key per window — two lookups instead of ten entries —
// and puts the sums on the boards when the run ends (BoardSet::AddRun),
// each key's families once. A campaign's users buy again and again from the
// same team, so a long log has far fewer keys than events.
//
// A sum is created by its key's first event, so the sums are in order of
// first appearance, and so are the keys of any family within them: going
// through the sums in order creates every entry where the events one by one
// would have. The table is open addressing (linear probing, load ≤ 1/2,
// doubling), the sums one cache line each; nothing is ever deleted but all
// at once (Clear).
//
// A sum is found by a print of its key's names (Print: 128 bits hashed from
// their bytes), not by their ids: an event whose key has a sum — nearly
// every one — then costs no interning, which is four or five lookups in
// tables of up to millions of names. The ids are interned when a sum is
// created, by the key's first event: a name's first event always creates
// one (no key holds the name yet), so names are interned in the order the
// events one by one would intern them. Two keys of a log mistaken for one
// would take a print collision: about n² / 2^129 for n keys, 1e-27 for a
// million, and the seeds are drawn per replay, so no crafted names collide.
//
// Thread safety: none.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <utility>
#include <vector>

#include "board_set.h"
#include "hash.h"
#include "prefetch.h"

namespace bangdan {

class SumTable {
 public:
  static constexpr uint32_t kNone = 0xffffffffu;

  // (city, firm, team, user) or (city, product, 0, 0); an absent name is
  // its own id (apply_steps.h, kAbsent).
  struct Key {
    uint32_t id[4];
    bool operator==(const Key&) const = default;
  };
  // What a key is found by: a print of its names (see above).
  using Print = Print128;

  // In a table of the total window, link_index kShared: every event of the
  // sum went to day link_day's window too, so the day's sum is `run` itself
  // and the day's table holds none. Replay logs mostly lie within one day,
  // which halves the sums an event touches.
  static constexpr uint32_t kShared = 0xfffffffeu;

  struct alignas(64) Sum {
    BoardSet::Run run;  // first_seq 0: no event yet
    // In a table of the total window: the day the key last went to
    // (BoardSet::kNoDay: none, or none kept) and where its sum is in that
    // day's table (as the total window's entries link theirs), so that an
    // event's day sum costs no lookup; or kShared.
    int32_t link_day;
    uint32_t link_index;
  };

  SumTable();

  // Starts loading the slot of print p.
  void Prefetch(const Print& p) const { PrefetchLine(&slots_[p.lo & mask_]); }
  // The sum of the key printed p, kNone if it has none.
  uint32_t Find(const Print& p) const {
    for (size_t i = p.lo & mask_;; i = (i + 1) & mask_) {
      if (slots_[i].index == kNone) return kNone;
      if (slots_[i].print == p) return slots_[i].index;
    }
  }
  // The sum of the key printed p, created empty for ids `k` if need be.
  uint32_t Locate(const Print& p, const Key& k);

  Sum& sum(uint32_t i) { return sums_[i]; }
  const Sum& sum(uint32_t i) const { return sums_[i]; }
  const Key& key(uint32_t i) const { return keys_[i]; }
  uint32_t size() const { return static_cast<uint32_t>(keys_.size()); }

  // Forgets every sum; `release`: gives the memory back too.
  void Clear(bool release);

 private:
  struct Slot {
    Print print;
    uint32_t index;  // kNone: empty
  };
  void Grow();

  std::vector<Slot> slots_;
  size_t mask_;
  std::vector<Sum> sums_;
  std::vector<Key> keys_;
};

// Adds one event's change to a sum.
inline void AddToRun(BoardSet::Run& r, const BoardSet::Change& c) {
  if (r.first_seq == 0) r.first_seq = c.seq;
  for (int m = 0; m < kMetricCount; ++m) {
    r.delta[m] += c.delta[m];
    if (c.moves >> m & 1) r.moved_seq[m] = c.seq;
  }
}

// The sums of one window.
struct WindowSums {
  SumTable people;    // (city, firm, team, user)
  SumTable products;  // (city, product)
  size_t size() const { return size_t{people.size()} + products.size(); }
  void Clear(bool release) {
    people.Clear(release);
    products.Clear(release);
  }
};

// The total window's sums, and the day windows' sums the helper has seen
// notes for: where a shared sum's run goes when its key moves on to another
// day (AddToDay).
struct TotalSums : WindowSums {
  std::vector<std::pair<int32_t, WindowSums*>> days;
  // Remembers the sums of day `day` (the helper, as it meets a note of it).
  void SawDay(int32_t day, WindowSums* sums) {
    for (const auto& [d, known] : days) {
      if (d == day) return;
    }
    days.emplace_back(day, sums);
  }
  WindowSums& Day(int32_t day) const {
    for (const auto& [d, sums] : days) {
      if (d == day) return *sums;
    }
    std::abort();  // a shared sum's day was in a note the helper saw (SawDay)
  }
  void Clear(bool release) {
    WindowSums::Clear(release);
    days.clear();
  }
};

// Adds an event's change (for its day `day`, whose sums are `day_sums`;
// nullptr: the day is not kept) to the day sum of `total`, a sum of the total
// window's table with key k (print p) in table `table` (0: people, 1:
// products) — before the total's own run takes the change. A new key's
// sum is shared with its day; it is copied into the day's table (and
// linked) once one of its events goes to another day, or to none.
inline void AddToDay(SumTable::Sum& total, const SumTable::Print& p, const SumTable::Key& k,
                     int table,
                     int32_t day, WindowSums* day_sums, const TotalSums& totals,
                     const BoardSet::Change& c) {
  auto table_of = [table](WindowSums& w) -> SumTable& { return table == 0 ? w.people : w.products; };
  if (total.link_index == SumTable::kShared) {
    if (day_sums != nullptr && total.link_day == day) return;  // the day's run is the total's
    SumTable& shared_day = table_of(totals.Day(total.link_day));
    total.link_index = shared_day.Locate(p, k);
    shared_day.sum(total.link_index).run = total.run;
  } else if (total.run.first_seq == 0 && day_sums != nullptr) {
    total.link_day = day;
    total.link_index = SumTable::kShared;
    return;
  }
  if (day_sums == nullptr) return;
  SumTable& d = table_of(*day_sums);
  if (total.link_day != day) {  // another day, or a key new to days: look it up once
    total.link_index = d.Locate(p, k);
    total.link_day = day;
  }
  AddToRun(d.sum(total.link_index).run, c);
}

}  // namespace bangdan
