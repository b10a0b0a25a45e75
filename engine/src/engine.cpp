// Engine: admission, application and queries. See engine.h for the contract
// and docs/engine.md for the design.
#include "bangdan/engine.h"

#include <algorithm>

#include "engine_impl.h"

namespace bangdan {

namespace {

// The ids of one event's entities; kAbsent for a missing optional field.
constexpr uint32_t kAbsent = 0xffffffffu;

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
    : options(o), dedup(o.dedup_window_ms, o.dedup_max) {}

void EngineState::AdvanceClock(int64_t recv_ms) {
  if (has_clock && recv_ms <= clock_ms) return;
  clock_ms = recv_ms;
  has_clock = true;
  const int32_t oldest_kept = Today() - options.keep_days;
  while (!days.empty() && days.begin()->first < oldest_kept) days.erase(days.begin());
}

Engine::Engine(EngineOptions options) : impl_(std::make_unique<Impl>(options)) {}
Engine::~Engine() = default;

const EngineOptions& Engine::options() const { return impl_->options; }
uint64_t Engine::admitted_seq() const { return impl_->admitted_seq; }
uint64_t Engine::applied_seq() const { return impl_->applied_seq; }

// ---- Writing ----

Admission Engine::Admit(const Event& e, int64_t recv_ms) {
  Admission a;
  a.recv_ms = recv_ms;
  a.ts_ms = e.has_ts ? e.ts_ms : recv_ms;
  const Fingerprint fp = FingerprintOf(e.id);
  const uint64_t next = impl_->admitted_seq + 1;
  if (impl_->dedup.Contains(fp, recv_ms, next)) return a;  // kDuplicate
  impl_->dedup.Push(fp, recv_ms, next);
  impl_->admitted_seq = next;
  a.verdict = Admission::Verdict::kAccepted;
  a.seq = next;
  return a;
}

namespace {

// One entry an event touches: which set, which (scope, entity).
struct Touch {
  BoardSet* set;
  uint32_t scope;
  uint32_t entity;
  uint32_t index;
  bool created;
};

// Lists the entries of one window that the event touches: one per family,
// skipping families whose field is absent.
int CollectTouches(Window& w, const std::array<uint32_t, kDimensionCount>& id, Touch* out) {
  const uint32_t city = id[0], firm = id[1], team = id[2], user = id[3], product = id[4];
  int n = 0;
  auto add = [&](int family, uint32_t scope, uint32_t entity) {
    out[n++] = Touch{&w.sets[family], scope, entity, 0, false};
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

}  // namespace

void Engine::Apply(const Event& e, const Admission& a) {
  EngineState& s = *impl_;
  const std::string_view fields[kDimensionCount] = {e.city, e.firm, e.team, e.user, e.product};
  uint64_t hashes[kDimensionCount];
  for (int d = 0; d < kDimensionCount; ++d) {
    if (fields[d].empty()) continue;
    hashes[d] = Interner::HashOf(fields[d]);
    s.names[d].Prefetch(hashes[d]);
  }
  std::array<uint32_t, kDimensionCount> id;
  for (int d = 0; d < kDimensionCount; ++d) {
    id[d] = fields[d].empty() ? kAbsent : s.names[d].Intern(fields[d], hashes[d]);
  }
  const int64_t sign = e.refund ? -1 : 1;
  const int64_t delta[kMetricCount] = {sign * e.weight_g, sign * e.amount_fen, sign};

  s.AdvanceClock(a.recv_ms);
  Touch touches[2 * kFamilyCount];
  AddToTotals(s.total, delta, a.seq);
  int n = CollectTouches(s.total, id, touches);
  // The event's day counts if it is kept: not older than keep_days before the
  // day of its receipt (and of the engine's clock, which is never earlier).
  const int32_t day = DayOf(a.ts_ms, s.options.tz_offset_minutes);
  if (day >= s.Today() - s.options.keep_days) {
    std::unique_ptr<Window>& w = s.days[day];
    if (!w) w = std::make_unique<Window>();
    AddToTotals(*w, delta, a.seq);
    n += CollectTouches(*w, id, touches + n);
  }
  // Three passes over the touched entries, so that their cache misses overlap
  // instead of queueing one after another (see BoardSet::Prefetch).
  for (int i = 0; i < n; ++i) touches[i].set->Prefetch(touches[i].scope, touches[i].entity);
  for (int i = 0; i < n; ++i) {
    Touch& t = touches[i];
    t.index = t.set->Locate(t.scope, t.entity, &t.created);
  }
  for (int i = 0; i < n; ++i) touches[i].set->Update(touches[i].index, touches[i].created, delta, a.seq);
  s.applied_seq = a.seq;
  s.dedup.Evict(a.recv_ms, a.seq);
}

void Engine::Unadmit(uint64_t after_seq) {
  if (after_seq < impl_->applied_seq || after_seq >= impl_->admitted_seq) return;
  impl_->dedup.PopAfter(after_seq);
  impl_->admitted_seq = after_seq;
}

Status Engine::Replay(const Event& e, uint64_t seq, int64_t recv_ms) {
  Impl& s = *impl_;
  if (s.admitted_seq != s.applied_seq || seq != s.applied_seq + 1) {
    return Status::Corruption("replay: sequence " + std::to_string(seq) + " follows " +
                              std::to_string(s.applied_seq));
  }
  const Admission a = Admit(e, recv_ms);
  if (!a.accepted()) {
    return Status::Corruption("replay: sequence " + std::to_string(seq) + " repeats id '" +
                              std::string(e.id) + "' within the dedup window");
  }
  Apply(e, a);
  return Status::OK();
}

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
  tree.ForEach(from, count, [&](const RankKey& k) {
    rows->push_back(RowOf(s, dim, set, k.id, rank++));
  });
}

}  // namespace

Status Engine::Top(const BoardRef& board, Metric metric, uint64_t offset, uint64_t limit,
                   int64_t now_ms, BoardPage* out) {
  out->count = 0;
  out->rows.clear();
  Located loc;
  Status st = Locate(*impl_, *this, board, now_ms, &loc);
  if (!st.ok() || loc.set == nullptr) return st;
  BoardSet::Board* b = loc.set->PrepareBoard(loc.scope);
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
  auto entity = impl_->names[static_cast<int>(board.dim)].Find(key);
  if (!entity) return not_found();
  auto index = loc.set->FindEntry(loc.scope, *entity);
  if (!index) return not_found();
  BoardSet::Board* b = loc.set->PrepareBoard(loc.scope);
  const BoardSet::Entry& e = loc.set->entry(*index);
  const int m = static_cast<int>(metric);
  auto pos = b->trees[m].Rank(RankKey{e.value[m], e.seq[m], *index});
  if (!pos) return Status::Corruption("entry missing from its ordering");
  out->row = RowOf(*impl_, board.dim, *loc.set, *index, *pos + 1);
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
  const BoardSet::Board* b = loc.set->FindBoard(loc.scope);
  return b == nullptr ? 0 : b->version;
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
  size_t bytes = sizeof(Impl) + s.dedup.MemoryBytes() + s.total.MemoryBytes();
  for (const Interner& in : s.names) bytes += in.MemoryBytes();
  for (const auto& [day, w] : s.days) bytes += w->MemoryBytes() + 64;  // + the map node
  return bytes;
}

}  // namespace bangdan
