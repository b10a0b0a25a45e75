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
//   ApplyBatch (a run of events): a pipeline of warm-up stages, each
//   reading what the stage before brought into cache and prefetching the next
//   level — the prints of the event's two keys and their lines in the key
//   caches (key_cache.h); for an event whose keys are there, its ids and total
//   entries come from those lines; for the others, the interner's slot; the
//   name's record (id and bytes); the ids, interned in event order, and the
//   total entries' lookup slots; the total entries — then, for all, through
//   their links, the day entries; then each event is applied exactly as Apply
//   does, now from cache, and an event that missed the caches fills them. A
//   few events separate consecutive stages, so that each stage's loads have
//   time to arrive.
//
// The warm-up stages never change anything but the interner (ids are
// handed out in event order either way: a key can be in a cache only after
// its names were interned), so the result is the same as Apply on each event
// in turn, by construction; the caches only say where things already are.
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
  KeyCache::Print print[2];  // of (city, firm, team, user), (city, product)
  bool known;                // its keys were in the cache: nothing to intern or find
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

// Puts one event, of day `day`, on the boards. `found`, `indices`: as
// ApplyToFamilies takes them; false if `indices` was not filled (an event a
// snapshot written in steps may hold already).
bool ApplyInterned(EngineState& s, const Event& e, const Admission& a, const Keys& k,
                   int32_t day, const TotalEntries* found, uint32_t* indices = nullptr) {
  if (a.seq <= s.catch_up_seq) {
    ApplyCatchingUp(s, e, a, k);
    return false;
  }
  const BoardSet::Change change = ChangeOf(e, a.seq);
  Window* window = ApplyToTotals(s, a, day, change);
  ApplyToFamilies(s.total, window, day, k, change, found, indices);
  Applied(s, a);
  return true;
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

constexpr uint32_t kPeopleFamilies = 0xffu;   // city … user/team: KeyCache's people lines
constexpr int kFirstProductFamily = 8;        // product, product/city: its product lines

// 0. The prints of the event's keys, and their lines in the key caches.
void PrintKeys(const EngineState& s, const Event& e, Warmed& w) {
  const std::string_view people[4] = {e.city, e.firm, e.team, e.user};
  w.print[0] = PrintNames(people, 4, s.print_seeds);
  s.people_keys.Prefetch(w.print[0]);
  if (!e.product.empty()) {
    const std::string_view product[2] = {e.product, e.city};
    w.print[1] = PrintNames(product, 2, s.print_seeds);
    s.product_keys.Prefetch(w.print[1]);
  }
}

// 1. Known keys: their ids and total entries from the caches, whose lines
//    load. Else the names' lookup slots, as the rest of the way goes.
void Recall(EngineState& s, const AdmittedEvent& a, Warmed& w) {
  const Event& e = *a.event;
  const KeyCache::Line* people = s.people_keys.Find(w.print[0]);
  const KeyCache::Line* product = e.product.empty() ? nullptr : s.product_keys.Find(w.print[1]);
  w.known = people != nullptr && (e.product.empty() || product != nullptr);
  if (!w.known) {
    apply::HashNames(s, FieldsOf(e), w.hash);
    return;
  }
  w.id = {people->id[0], people->id[1], people->id[2], people->id[3],
          product != nullptr ? product->id[1] : kAbsent};
  w.keys = KeysOf(w.id);
  w.day = DayOfEvent(s, a.admission);
  ForEachFamily(w.keys, [&](auto f) {
    const uint32_t index = f < kFirstProductFamily ? people->entry[f]
                                                    : product->entry[f - kFirstProductFamily];
    BoardSet::Entry* entry = &s.total.sets[f].EntryForUpdate(index);
    PrefetchLine(entry);
    w.totals.index[f] = index;
    w.totals.entry[f] = entry;
  });
}

// After an event whose keys were not known: its keys' lines, from its ids
// and the total entries' indices. Only a key whose most specific entity
// (user, else team, else firm; for the other key, the product in its city)
// has had kRegularOrders orders takes a line: the long tail of a campaign's
// one-off buyers would otherwise push its regulars out of caches smaller than
// its users.
constexpr int64_t kRegularOrders = 3;
void Remember(EngineState& s, const Warmed& w, const uint32_t indices[kFamilyCount]) {
  auto regular = [&](int f) {
    return s.total.sets[f].entry(indices[f]).value[static_cast<int>(Metric::kOrders)] >=
           kRegularOrders;
  };
  const int people_family = w.id[3] != kAbsent ? 6 : w.id[2] != kAbsent ? 3 : 1;
  if (regular(people_family)) {
    KeyCache::Line people{w.print[0], {w.id[0], w.id[1], w.id[2], w.id[3]}, {}};
    for (int f = 0; f < kFirstProductFamily; ++f) {
      people.entry[f] = (w.keys.present & kPeopleFamilies) >> f & 1 ? indices[f] : KeyCache::kNone;
    }
    s.people_keys.Put(people);
  }
  if (w.id[4] == kAbsent || !regular(kFirstProductFamily + 1)) return;
  KeyCache::Line product{w.print[1], {w.id[0], w.id[4], KeyCache::kNone, KeyCache::kNone}, {}};
  for (int f = 0; f < 8; ++f) product.entry[f] = KeyCache::kNone;
  product.entry[0] = indices[kFirstProductFamily];
  product.entry[1] = indices[kFirstProductFamily + 1];
  s.product_keys.Put(product);
}

// 2. (Keys not known.) The names' records (id and bytes).
void LoadNames(const EngineState& s, const Event& e, const Warmed& w) {
  PrefetchNameRecords(s, FieldsOf(e), w.hash);
}

// 3. (Keys not known.) The ids (interned in event order: ids are handed out
//    in order of first appearance), hence the keys; their lookup slots in the
//    total window.
void InternNames(EngineState& s, const AdmittedEvent& a, Warmed& w) {
  apply::InternNames(s, FieldsOf(*a.event), w.hash, &w.id);
  w.keys = KeysOf(w.id);
  w.day = DayOfEvent(s, a.admission);
  PrefetchTotalSlots(s.total, w.keys, &w.totals);
}

// 4. (Keys not known.) The total entries that exist already.
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

// The key caches, sized to the users and (city, product) pairs the total
// window holds, up to 2^18 lines (16 MiB) and 2^16 (4 MiB): emptied and
// doubled as they grow past half of it. A Zipf campaign's 2^18 most frequent
// users make most of its events.
void SizeKeyCaches(EngineState& s) {
  auto fit = [](KeyCache& cache, size_t keys, size_t max_lines) {
    if (cache.lines() == 0 || (keys > cache.lines() / 2 && cache.lines() < max_lines)) {
      cache.Reset(2 * keys, max_lines);
    }
  };
  fit(s.people_keys, s.total.sets[6].entry_count(), size_t{1} << 18);  // users
  fit(s.product_keys, s.total.sets[9].entry_count(), size_t{1} << 16);  // product/city
}

void Engine::ApplyBatch(std::span<const AdmittedEvent> events) {
  EngineState& s = *impl_;
  SizeKeyCaches(s);
  const size_t n = events.size();
  const bool use_keys = s.key_gate.Use(n);
  uint64_t hits = 0;
  // While event i is applied, event i + kStride * k is in stage 7 - k: each
  // stage's loads have kStride events' work to arrive before they are read.
  // Four events (~100 lines) is about as far ahead as prefetching pays on the
  // measuring machine (bench/memory_ceiling_bench.cpp); farther, the lines
  // start to leave the cache before they are used. An event whose keys are
  // known skips the stages of names and lookups.
  constexpr size_t kStride = 4;
  constexpr size_t kStages = 6;
  constexpr size_t kRing = 32;  // > kStride * kStages, a power of two
  static_assert(kRing > kStride * kStages && (kRing & (kRing - 1)) == 0);
  Warmed warm[kRing];
  for (size_t step = 0; step < n + kStride * kStages; ++step) {
    // Event `step - kStride * k` enters stage k (if it exists).
    auto at = [&](size_t k, size_t* i) { return AtStage(step, k, kStride, n, i); };
    size_t i;
    if (at(0, &i) && use_keys) stage::PrintKeys(s, *events[i].event, warm[i % kRing]);
    if (at(1, &i)) {
      Warmed& w = warm[i % kRing];
      if (use_keys) {
        stage::Recall(s, events[i], w);
        hits += w.known;
      } else {
        w.known = false;
        apply::HashNames(s, FieldsOf(*events[i].event), w.hash);
      }
    }
    if (at(2, &i) && !warm[i % kRing].known) stage::LoadNames(s, *events[i].event, warm[i % kRing]);
    if (at(3, &i) && !warm[i % kRing].known) stage::InternNames(s, events[i], warm[i % kRing]);
    if (at(4, &i) && !warm[i % kRing].known) stage::FindTotals(s, warm[i % kRing]);
    if (at(5, &i)) stage::FollowLinks(s, warm[i % kRing]);
    if (at(6, &i)) {
      const Warmed& w = warm[i % kRing];
      uint32_t indices[kFamilyCount];
      if (ApplyInterned(s, *events[i].event, events[i].admission, w.keys, w.day, &w.totals,
                        use_keys && !w.known ? indices : nullptr)) {
        if (use_keys && !w.known) stage::Remember(s, w, indices);
      }
    }
  }
  if (use_keys) s.key_gate.Tally(n, hits);
}

}  // namespace bangdan
