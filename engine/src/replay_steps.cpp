#include "replay_steps.h"

#include <algorithm>

namespace bangdan::replay {

using namespace apply;

namespace {

// The prints of a note's keys from its names' bytes (in kNameOrder):
// (city, firm, team, user) into print[0], (city, product) into print[1].
void PrintKeys(const Notes& batch, const Note& note, const PrintSeeds& seeds,
               SumTable::Print print[2]) {
  const std::string_view names = std::string_view(batch.names).substr(note.names_at);
  auto size = [&note](Dimension d) -> uint64_t { return note.name_size[static_cast<int>(d)]; };
  const uint64_t product = size(Dimension::kProduct), city = size(Dimension::kCity);
  const uint64_t firm = size(Dimension::kFirm), team = size(Dimension::kTeam);
  const uint64_t user = size(Dimension::kUser);
  print[0] = PrintOf(names.substr(product, city + firm + team + user),
                     city | firm << 8 | team << 16 | user << 24, seeds);
  if (product > 0) print[1] = PrintOf(names.substr(0, product + city), product | city << 8, seeds);
}

}  // namespace

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
    out->adds += e.product.empty() ? 1 : 2;  // the total window's sums
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
      for (const Dimension dim : kNameOrder) {
        const int d = static_cast<int>(dim);
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

// Both helper halves are pipelines like ApplyBatch's: each stage, kStride
// events ahead of the next, loads what the next reads.
constexpr size_t kStride = 4;
constexpr size_t kRing = 32;  // > 5 * kStride (up to six stages), a power of two

// One event in SumNotes' pipeline: what each stage learned of it.
struct Summing {
  int keys;                  // 2 with a product, else 1
  SumTable::Print print[2];  // of (city, firm, team, user), (city, product)
  uint32_t index[2];         // in the total window's tables, kNone: not (yet) there
};

// The sum of `note`'s key k (print p) in the total window's table `table`,
// created if it has none: its first event interns the key's names (in event
// order, as SumNotes goes), (city, firm, team, user) or (city, product).
uint32_t CreateSum(EngineState& s, const Notes& batch, const Note& note, int k,
                   const SumTable::Print& p, SumTable& table) {
  const uint32_t found = table.Find(p);  // an earlier event of the batch's
  if (found != SumTable::kNone) return found;
  const Fields fields = batch.FieldsOf(note);
  auto intern = [&](Dimension dim) {
    const int d = static_cast<int>(dim);
    return fields[d].empty() ? kAbsent : s.names[d].Intern(fields[d]);
  };
  const uint32_t city = intern(Dimension::kCity);
  const SumTable::Key key =
      k == 0 ? SumTable::Key{{city, intern(Dimension::kFirm), intern(Dimension::kTeam),
                              intern(Dimension::kUser)}}
             : SumTable::Key{{city, intern(Dimension::kProduct), 0, 0}};
  return table.Locate(p, key);
}

// One event in ApplyNotes' pipeline.
struct Applying {
  Keys keys;
  TotalEntries found;
};

}  // namespace

// Stages: the sums' slots, the sums, the day sums (through the total sums'
// links, unless shared), the add (creating the sums not found).
void SumNotes(EngineState& s, TotalSums& total, const Notes& batch, const PrintSeeds& seeds) {
  Summing f[kRing];
  SumTable* tot[2] = {&total.people, &total.products};
  const std::vector<Note>& notes = batch.notes;
  const size_t n = notes.size();
  int32_t last_day = BoardSet::kNoDay;
  for (size_t step = 0; step < n + 3 * kStride; ++step) {
    auto at = [&](size_t k, size_t* i) { return AtStage(step, k, kStride, n, i); };
    size_t i;
    if (at(0, &i)) {
      Summing& e = f[i % kRing];
      e.keys = notes[i].name_size[static_cast<int>(Dimension::kProduct)] > 0 ? 2 : 1;
      PrintKeys(batch, notes[i], seeds, e.print);
      for (int k = 0; k < e.keys; ++k) tot[k]->Prefetch(e.print[k]);
    }
    if (at(1, &i)) {
      Summing& e = f[i % kRing];
      for (int k = 0; k < e.keys; ++k) {
        e.index[k] = tot[k]->Find(e.print[k]);
        if (e.index[k] != SumTable::kNone) PrefetchLine(&tot[k]->sum(e.index[k]));
      }
    }
    if (at(2, &i) && notes[i].day_sums != nullptr) {
      const Summing& e = f[i % kRing];
      const Note& note = notes[i];
      SumTable* day[2] = {&note.day_sums->people, &note.day_sums->products};
      for (int k = 0; k < e.keys; ++k) {
        if (e.index[k] == SumTable::kNone) continue;
        const SumTable::Sum& sum = tot[k]->sum(e.index[k]);
        if (sum.link_day == note.day && sum.link_index != SumTable::kShared) {
          PrefetchLine(&day[k]->sum(sum.link_index));
        }
      }
    }
    if (at(3, &i)) {
      const Summing& e = f[i % kRing];
      const Note& note = notes[i];
      if (note.day_sums != nullptr && note.day != last_day) {
        total.SawDay(note.day, note.day_sums);
        last_day = note.day;
      }
      for (int k = 0; k < e.keys; ++k) {
        const uint32_t index = e.index[k] != SumTable::kNone
                                   ? e.index[k]
                                   : CreateSum(s, batch, note, k, e.print[k], *tot[k]);
        SumTable::Sum& sum = tot[k]->sum(index);
        AddToDay(sum, e.print[k], tot[k]->key(index), k, note.day, note.day_sums, total,
                 note.change);
        AddToRun(sum.run, note.change);
      }
    }
  }
}

// ApplyBatch's last stages (the caller interned the names): the total
// entries' slots, the entries, the day entries through their links, the
// update.
void ApplyNotes(EngineState& s, const Notes& batch) {
  Applying f[kRing];
  const std::vector<Note>& notes = batch.notes;
  const size_t n = notes.size();
  for (size_t step = 0; step < n + 3 * kStride; ++step) {
    auto at = [&](size_t k, size_t* i) { return AtStage(step, k, kStride, n, i); };
    size_t i;
    if (at(0, &i)) {
      Applying& e = f[i % kRing];
      e.keys = KeysOf(notes[i].id);
      PrefetchTotalSlots(s.total, e.keys, &e.found);
    }
    if (at(1, &i)) FindTotalEntries(s.total, f[i % kRing].keys, &f[i % kRing].found);
    if (at(2, &i) && notes[i].day_window != nullptr) {
      const Note& note = notes[i];
      PrefetchDayEntries(*note.day_window, note.day, f[i % kRing].keys, f[i % kRing].found);
    }
    if (at(3, &i)) {
      const Note& note = notes[i];
      ApplyToFamilies(s.total, note.day_window, note.day, f[i % kRing].keys, note.change,
                      &f[i % kRing].found);
    }
  }
}

namespace {

// Puts n sums on a window's boards — sum i has key key_at(i) and run
// run_at(i), in order of their first events — each on the families its key
// names (`people`: (city, firm, team, user) keys, else (city, product)), in
// that order, which creates every entry where the events one by one would
// have. The entries' slots and lines load a few sums ahead, as in ApplyBatch.
template <typename KeyAt, typename RunAt>
void RollUpSums(size_t n, KeyAt key_at, RunAt run_at, bool people, Window& w) {
  constexpr uint32_t kPeopleFamilies = 0xffu;    // city … user/team
  constexpr uint32_t kProductFamilies = 0x300u;  // product, product/city
  Keys keys[kRing];
  TotalEntries found[kRing];
  for (size_t step = 0; step < n + 2 * kStride; ++step) {
    auto at = [&](size_t k, size_t* i) { return AtStage(step, k, kStride, n, i); };
    size_t i;
    if (at(0, &i)) {
      const SumTable::Key& k = key_at(i);
      Keys& keys_now = keys[i % kRing];
      keys_now = KeysOf(people ? EntityIds{k.id[0], k.id[1], k.id[2], k.id[3], kAbsent}
                               : EntityIds{k.id[0], kAbsent, kAbsent, kAbsent, k.id[1]});
      keys_now.present &= people ? kPeopleFamilies : kProductFamilies;
      PrefetchTotalSlots(w, keys_now, &found[i % kRing]);
    }
    if (at(1, &i)) FindTotalEntries(w, keys[i % kRing], &found[i % kRing]);
    if (at(2, &i)) {
      const Keys& k = keys[i % kRing];
      const TotalEntries& f = found[i % kRing];
      const BoardSet::Run& run = run_at(i);
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

// A day's sums of one table: those it shares with the total window's table
// and those of its own table, in order of their first events (a sum that
// stopped sharing went into the day's table late).
void RollUpDayTable(const SumTable& total, int32_t day, const SumTable& own, bool people,
                    Window& w) {
  struct Ref {
    uint64_t first_seq;
    const SumTable::Key* key;
    const BoardSet::Run* run;
  };
  std::vector<Ref> refs;
  refs.reserve(total.size() + own.size());
  for (uint32_t i = 0; i < total.size(); ++i) {
    const SumTable::Sum& sum = total.sum(i);
    if (sum.link_index == SumTable::kShared && sum.link_day == day) {
      refs.push_back(Ref{sum.run.first_seq, &total.key(i), &sum.run});
    }
  }
  for (uint32_t i = 0; i < own.size(); ++i) {
    refs.push_back(Ref{own.sum(i).run.first_seq, &own.key(i), &own.sum(i).run});
  }
  auto earlier = [](const Ref& a, const Ref& b) { return a.first_seq < b.first_seq; };
  if (!std::is_sorted(refs.begin(), refs.end(), earlier)) {
    std::sort(refs.begin(), refs.end(), earlier);
  }
  RollUpSums(
      refs.size(), [&refs](size_t i) -> const SumTable::Key& { return *refs[i].key; },
      [&refs](size_t i) -> const BoardSet::Run& { return *refs[i].run; }, people, w);
}

void RollUpTable(const SumTable& table, bool people, Window& w) {
  RollUpSums(
      table.size(),
      [&table](size_t i) -> const SumTable::Key& { return table.key(static_cast<uint32_t>(i)); },
      [&table](size_t i) -> const BoardSet::Run& {
        return table.sum(static_cast<uint32_t>(i)).run;
      },
      people, w);
}

}  // namespace

void RollUpTotal(const TotalSums& sums, Window& w) {
  RollUpTable(sums.people, /*people=*/true, w);
  RollUpTable(sums.products, /*people=*/false, w);
}

void RollUpDay(const TotalSums& total, int32_t day, const WindowSums& own, Window& w) {
  RollUpDayTable(total.people, day, own.people, /*people=*/true, w);
  RollUpDayTable(total.products, day, own.products, /*people=*/false, w);
}

}  // namespace bangdan::replay
