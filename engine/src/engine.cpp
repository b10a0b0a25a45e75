// Engine: admission, take-backs, replay and queries (applying: engine_apply.cpp).
// and docs/engine.md for the design.
#include "bangdan/engine.h"

#include <algorithm>
#include <vector>

#include "engine_impl.h"

namespace bangdan {

namespace {

std::array<BoardSet, kFamilyCount> MakeSets() {
  return {BoardSet(false), BoardSet(false), BoardSet(true), BoardSet(false), BoardSet(true),
          BoardSet(true),  BoardSet(false), BoardSet(true), BoardSet(false), BoardSet(true)};
}

}  // namespace

Dimension ScopeDimension(ScopeKind s) {
  switch (s) {
    case ScopeKind::kFirm: return Dimension::kFirm;
    case ScopeKind::kTeam: return Dimension::kTeam;
    default: return Dimension::kCity;
  }
}

Window::Window() : sets(MakeSets()) {}

size_t Window::MemoryBytes() const {
  size_t bytes = sizeof(Window);
  for (const BoardSet& s : sets) bytes += s.MemoryBytes();
  return bytes;
}

EngineState::EngineState(EngineOptions o)
    : options(o), dedup(o.dedup_window_ms, o.dedup_max), print_seeds(DrawPrintSeeds(this)) {}

void EngineState::AdvanceClock(int64_t recv_ms) {
  if (has_clock && recv_ms <= clock_ms) return;
  clock_ms = recv_ms;
  has_clock = true;
  const int32_t oldest_kept = Today() - options.keep_days;
  while (!days.empty() && days.begin()->first < oldest_kept) {
    days.erase(days.begin());
    last_day_window = nullptr;
  }
}

Engine::Engine(EngineOptions options) : impl_(std::make_unique<Impl>(options)) {}
Engine::~Engine() = default;

const EngineOptions& Engine::options() const { return impl_->options; }
uint64_t Engine::admitted_seq() const { return impl_->admitted_seq; }
uint64_t Engine::applied_seq() const { return impl_->applied_seq; }
uint64_t Engine::catch_up_seq() const { return impl_->catch_up_seq; }

// ---- Writing ----

namespace {

// An admission's times, before its verdict.
Admission Stamped(const EngineState& s, const Event& e, int64_t recv_ms) {
  // Receive times never go back: frames of different connections reach the
  // engine in any order, and clocks step. Stamped no earlier than the
  // admission before it, an event's dedup verdict does not depend on when the
  // window was last evicted — so replaying the log in batches of any size
  // gives the verdicts the live engine gave (docs/engine.md, "Idempotency").
  if (s.dedup.size() > 0) recv_ms = std::max(recv_ms, s.dedup.back_recv_ms());
  Admission a;
  a.recv_ms = recv_ms;
  a.ts_ms = e.has_ts ? e.ts_ms : recv_ms;
  return a;
}

uint64_t SumLimit(const EngineState& s) {
  return static_cast<uint64_t>(std::max<int64_t>(s.options.max_sum, 0));
}

void Accept(EngineState& s, Admission* a) {
  ++s.admitted_seq;
  a->verdict = Admission::Verdict::kAccepted;
  a->seq = s.admitted_seq;
}

}  // namespace

// The sums are judged after the dedup lookup: the retry of an accepted
// event is a duplicate however full they are.
Admission AdmitFingerprinted(EngineState& s, const Event& e, const Fingerprint& fp,
                             int64_t recv_ms, Admitter who) {
  Admission a = Stamped(s, e, recv_ms);
  const uint64_t next = s.admitted_seq + 1;
  if (s.dedup.Contains(fp, a.recv_ms, next)) return a;  // kDuplicate
  if (who == Admitter::kLog) {
    s.bound.Add(e);
  } else if (!s.bound.TryAdd(e, SumLimit(s), &a.overflow)) {
    a.verdict = Admission::Verdict::kRejected;
    return a;
  }
  s.dedup.Push(fp, a.recv_ms, next);
  Accept(s, &a);
  return a;
}

Admission AdmitUnchecked(EngineState& s, const Event& e, const Fingerprint& fp, int64_t recv_ms) {
  Admission a = Stamped(s, e, recv_ms);
  s.bound.Add(e);
  s.dedup.PushUnchecked(fp, a.recv_ms, s.admitted_seq + 1);
  Accept(s, &a);
  return a;
}

std::string_view Admission::error() const {
  if (verdict != Verdict::kRejected) return {};
  return overflow == Metric::kWeight ? "weight_g: would overflow the campaign's 64-bit sums"
                                     : "amount_fen: would overflow the campaign's 64-bit sums";
}

Admission Engine::Admit(const Event& e, int64_t recv_ms) {
  return AdmitFingerprinted(*impl_, e, FingerprintOf(e.id), recv_ms, Admitter::kLive);
}

void Engine::AdmitBatch(std::span<const Event> events, int64_t recv_ms, Admission* out) {
  // Fingerprints first, their slots' loads started together; then the
  // admissions in order, from cache. Groups keep the fingerprints on the stack.
  constexpr size_t kGroup = 64;
  Fingerprint fps[kGroup];
  for (size_t from = 0; from < events.size(); from += kGroup) {
    const size_t n = std::min(kGroup, events.size() - from);
    for (size_t i = 0; i < n; ++i) {
      fps[i] = FingerprintOf(events[from + i].id);
      impl_->dedup.Prefetch(fps[i]);
    }
    for (size_t i = 0; i < n; ++i) {
      out[from + i] =
          AdmitFingerprinted(*impl_, events[from + i], fps[i], recv_ms, Admitter::kLive);
    }
  }
}

// Apply and ApplyBatch: engine_apply.cpp.

void Engine::Unadmit(uint64_t after_seq) {
  if (after_seq < impl_->applied_seq || after_seq >= impl_->admitted_seq) return;
  impl_->dedup.PopAfter(after_seq);
  impl_->admitted_seq = after_seq;
}

Status Engine::Replay(const Event& e, uint64_t seq, int64_t recv_ms) {
  const LoggedEvent one{e, seq, recv_ms};
  size_t failed;
  return ReplayBatch(std::span(&one, 1), &failed);
}

// ReplayBatch, ReplayPipeline: engine_replay.cpp.

// ---- Reading ----

WindowSpec Engine::Resolve(const WindowSpec& w, int64_t now_ms) const {
  if (w.kind == WindowSpec::Kind::kToday) {
    return WindowSpec::Day(DayOf(now_ms, impl_->options.tz_offset_minutes));
  }
  return w;
}

namespace {

// The window a query names at now_ms, or nullptr for a day that is not kept
// (relative to now) or has no events.
Window* FindWindow(EngineState& s, const WindowSpec& resolved, int64_t now_ms) {
  if (resolved.kind == WindowSpec::Kind::kTotal) return &s.total;
  const int32_t today = DayOf(now_ms, s.options.tz_offset_minutes);
  if (resolved.day < today - s.options.keep_days || resolved.day > today + 1) return nullptr;
  auto it = s.days.find(resolved.day);
  return it == s.days.end() ? nullptr : it->second.get();
}

// A board located: its set, and its scope id. set == nullptr: the board is
// empty (no window, or a scope key never seen).
struct Located {
  BoardSet* set = nullptr;
  uint32_t scope = 0;
};

Status Locate(EngineState& s, const Engine& engine, const BoardRef& ref, int64_t now_ms,
              Located* out) {
  *out = Located{};
  if (!ScopeAllowed(ref.dim, ref.scope)) {
    return Status::InvalidArgument(std::string(ScopeName(ref.scope)) + ": board '" +
                                   std::string(DimensionName(ref.dim)) +
                                   "' cannot be scoped by " + std::string(ScopeName(ref.scope)));
  }
  Window* w = FindWindow(s, engine.Resolve(ref.window, now_ms), now_ms);
  if (w == nullptr) return Status::OK();
  if (ref.scope != ScopeKind::kNone) {
    auto scope = s.names[static_cast<int>(ScopeDimension(ref.scope))].Find(ref.scope_key);
    if (!scope) return Status::OK();
    out->scope = *scope;
  }
  out->set = &w->sets[FamilyIndex(ref.dim, ref.scope)];
  return Status::OK();
}

BoardRow RowOf(const EngineState& s, Dimension dim, const BoardSet& set, uint32_t index,
               uint64_t rank) {
  const BoardSet::Entry& e = set.entry(index);
  return BoardRow{rank, s.names[static_cast<int>(dim)].Name(e.entity), e.value[0], e.value[1],
                  e.value[2]};
}

void AppendRows(const EngineState& s, Dimension dim, const BoardSet& set,
                const BoardSet::Board& b, Metric metric, uint64_t from, uint64_t count,
                std::vector<BoardRow>* rows) {
  const RankTree& tree = b.trees[static_cast<int>(metric)];
  if (from >= tree.size()) return;
  count = std::min<uint64_t>(count, tree.size() - from);
  rows->reserve(rows->size() + count);
  uint64_t rank = from + 1;
  constexpr uint64_t kAhead = 8;
  if (count <= 4 * kAhead) {
    tree.ForEach(from, count, [&](const RankKey& k) {
      rows->push_back(RowOf(s, dim, set, k.id, rank++));
    });
    return;
  }
  // Many rows (a CSV download: the whole board, under the engine's lock):
  // each reads an entry, its name's reference and the name's record, all
  // over memory. Each row has those three loaded ahead of it, in stages
  // kAhead rows apart, as the walk of the leaves hands out the entries'
  // indexes; a ring holds the indexes still in flight, so that the walk
  // allocates nothing (fresh memory would fault in under the lock).
  const Interner& names = s.names[static_cast<int>(dim)];
  constexpr uint64_t kRing = 4 * kAhead;  // a power of two above 3 * kAhead
  uint32_t ring[kRing];
  auto at = [&](uint64_t i) -> const BoardSet::Entry& { return set.entry(ring[i % kRing]); };
  auto stage = [&](uint64_t i) {  // i: the walk's position; count rows in all
    if (i < count) PrefetchLine(&at(i));
    if (i >= kAhead && i - kAhead < count) names.PrefetchRef(at(i - kAhead).entity);
    if (i >= 2 * kAhead && i - 2 * kAhead < count) names.PrefetchName(at(i - 2 * kAhead).entity);
    if (i >= 3 * kAhead) rows->push_back(RowOf(s, dim, set, ring[(i - 3 * kAhead) % kRing], rank++));
  };
  uint64_t i = 0;
  tree.ForEach(from, count, [&](const RankKey& k) {
    ring[i % kRing] = k.id;
    stage(i++);
  });
  for (; i < count + 3 * kAhead; ++i) stage(i);
}

}  // namespace

Status Engine::Top(const BoardRef& board, Metric metric, uint64_t offset, uint64_t limit,
                   int64_t now_ms, BoardPage* out) {
  out->count = 0;
  out->rows.clear();
  Located loc;
  Status st = Locate(*impl_, *this, board, now_ms, &loc);
  if (!st.ok() || loc.set == nullptr) return st;
  BoardSet::Board* b = loc.set->PrepareBoard(loc.scope, metric);
  if (b == nullptr) return st;
  out->count = b->count;
  AppendRows(*impl_, board.dim, *loc.set, *b, metric, offset, limit, &out->rows);
  return st;
}

Status Engine::Entry(const BoardRef& board, Metric metric, std::string_view key,
                     uint32_t radius, int64_t now_ms, EntryResult* out) {
  *out = EntryResult{};
  Located loc;
  Status st = Locate(*impl_, *this, board, now_ms, &loc);
  if (!st.ok()) return st;
  auto not_found = [&] {
    return Status::NotFound(std::string(DimensionName(board.dim)) + " '" + std::string(key) +
                            "' is not on the board");
  };
  if (loc.set == nullptr) return not_found();
  auto entity = impl_->names[static_cast<int>(board.dim)].FindWithName(key);
  if (!entity) return not_found();
  auto index = loc.set->FindEntry(loc.scope, entity->id);
  if (!index) return not_found();
  BoardSet::Board* b = loc.set->PrepareBoard(loc.scope, metric);
  const BoardSet::Entry& e = loc.set->entry(*index);
  const int m = static_cast<int>(metric);
  auto pos = b->trees[m].Rank(RankKey{e.value[m], e.seq[m], *index});
  if (!pos) return Status::Corruption("entry missing from its ordering");
  out->row = BoardRow{*pos + 1, entity->name, e.value[0], e.value[1], e.value[2]};
  if (radius == 0) {  // the row is its own neighbourhood: no second descent
    out->around.push_back(out->row);
    return Status::OK();
  }
  const uint64_t from = *pos >= radius ? *pos - radius : 0;
  AppendRows(*impl_, board.dim, *loc.set, *b, metric, from, *pos + radius + 1 - from,
             &out->around);
  return Status::OK();
}

uint64_t Engine::Count(const BoardRef& board, int64_t now_ms) {
  Located loc;
  if (!Locate(*impl_, *this, board, now_ms, &loc).ok() || loc.set == nullptr) return 0;
  const BoardSet::Board* b = loc.set->FindBoard(loc.scope);
  return b == nullptr ? 0 : b->count;
}

uint64_t Engine::BoardVersion(const BoardRef& board, int64_t now_ms) {
  Located loc;
  if (!Locate(*impl_, *this, board, now_ms, &loc).ok() || loc.set == nullptr) return 0;
  return loc.set->Version(loc.scope);
}

Totals Engine::GetTotals(const WindowSpec& window, int64_t now_ms) {
  Totals t;
  const Window* w = FindWindow(*impl_, Resolve(window, now_ms), now_ms);
  if (w == nullptr) return t;
  t.weight_g = w->weight_g;
  t.amount_fen = w->amount_fen;
  t.orders = w->orders;
  t.events = w->events;
  for (int d = 0; d < kDimensionCount; ++d) {
    const BoardSet& set = w->sets[FamilyIndex(static_cast<Dimension>(d), ScopeKind::kNone)];
    t.entities[d] = set.board(0).count;
  }
  return t;
}

uint64_t Engine::TotalsVersion(const WindowSpec& window, int64_t now_ms) {
  const Window* w = FindWindow(*impl_, Resolve(window, now_ms), now_ms);
  return w == nullptr ? 0 : w->last_seq;
}

size_t Engine::MemoryBytes() const {
  const Impl& s = *impl_;
  size_t bytes = sizeof(Impl) + s.dedup.MemoryBytes() + s.total.MemoryBytes() +
                 s.people_keys.MemoryBytes() + s.product_keys.MemoryBytes();
  for (const Interner& in : s.names) bytes += in.MemoryBytes();
  for (const auto& [day, w] : s.days) bytes += w->MemoryBytes() + 64;  // + the map node
  return bytes;
}

}  // namespace bangdan
