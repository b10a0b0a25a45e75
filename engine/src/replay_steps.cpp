#include "replay_steps.h"

#include <algorithm>

namespace bangdan::replay {

using namespace apply;

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
        Note{out->names.size(), {}, {}, change, day, window, sums});
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

namespace {

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
void HelperHalf(EngineState& s, WindowSums* total, const Notes& batch) {
  constexpr size_t kStride = 4;
  constexpr size_t kStages = 6;
  constexpr size_t kRing = 32;  // > (kStages - 1) * kStride, a power of two
  InFlight f[kRing];
  [[maybe_unused]] SumTable* tot[2] = {};  // the total window's tables, into sums
  if constexpr (kIntoSums) {
    tot[0] = &total->people;
    tot[1] = &total->products;
  }
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

}  // namespace

void SumNotes(EngineState& s, WindowSums& total, const Notes& batch) {
  HelperHalf<true>(s, &total, batch);
}

void ApplyNotes(EngineState& s, const Notes& batch) {
  HelperHalf<false>(s, nullptr, batch);
}

void RollUp(const WindowSums& sums, Window& w) {
  RollUpTable(sums.people, kPeopleFamilies, w);
  RollUpTable(sums.products, kProductFamilies, w);
}

}  // namespace bangdan::replay
