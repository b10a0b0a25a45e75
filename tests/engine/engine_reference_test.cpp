// The engine against a plainly written model of SPEC §1–§2: 200,000 random
// events (refunds, duplicates, absent optional fields, days beyond retention,
// timestamps at midnight, zero weights, taken-back admissions), then every
// board of every family, scope, metric and window compared row by row, with
// the totals, at several checkpoints — and again on an engine restored from a
// Serialize → Deserialize round trip and fed the rest of the events.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "bangdan/engine.h"
#include "event_builder.h"
#include "random_stream.h"

namespace bangdan {
namespace {

using namespace testing_util;

constexpr int kKeepDays = 7;
constexpr int64_t kDedupWindowMs = 3600 * 1000;

// ---- The model: maps, and a full sort by §2's rule ----

struct ModelEntry {
  int64_t value[3] = {0, 0, 0};
  uint64_t seq[3] = {0, 0, 0};
};

struct ModelWindow {
  int64_t weight = 0, amount = 0, orders = 0;
  uint64_t events = 0, last_seq = 0;
  // family index → scope key ("" unscoped) → entity key → entry
  std::map<int, std::map<std::string, std::map<std::string, ModelEntry>>> boards;
  std::map<int, std::map<std::string, uint64_t>> versions;
};

struct Family {
  Dimension dim;
  ScopeKind scope;
};
const Family kFamilies[] = {
    {Dimension::kCity, ScopeKind::kNone},    {Dimension::kFirm, ScopeKind::kNone},
    {Dimension::kFirm, ScopeKind::kCity},    {Dimension::kTeam, ScopeKind::kNone},
    {Dimension::kTeam, ScopeKind::kCity},    {Dimension::kTeam, ScopeKind::kFirm},
    {Dimension::kUser, ScopeKind::kNone},    {Dimension::kUser, ScopeKind::kTeam},
    {Dimension::kProduct, ScopeKind::kNone}, {Dimension::kProduct, ScopeKind::kCity},
};

const std::string& Field(const Ev& e, Dimension d) {
  switch (d) {
    case Dimension::kCity: return e.city;
    case Dimension::kFirm: return e.firm;
    case Dimension::kTeam: return e.team;
    case Dimension::kUser: return e.user;
    case Dimension::kProduct: return e.product;
  }
  return e.city;
}

const std::string& ScopeField(const Ev& e, ScopeKind s) {
  static const std::string none;
  switch (s) {
    case ScopeKind::kCity: return e.city;
    case ScopeKind::kFirm: return e.firm;
    case ScopeKind::kTeam: return e.team;
    default: return none;
  }
}

class Model {
 public:
  // Returns the seq, 0 for a duplicate.
  uint64_t Send(const Ev& e, int64_t recv_ms) {
    auto it = last_admission_.find(e.id);
    if (it != last_admission_.end() && it->second.first >= recv_ms - kDedupWindowMs) return 0;
    const uint64_t seq = ++seq_;
    last_admission_[e.id] = {recv_ms, seq};
    if (recv_ms > clock_) clock_ = recv_ms;
    const int32_t today = DayOf(clock_, kTz);
    for (auto d = days_.begin(); d != days_.end();) {
      d = d->first < today - kKeepDays ? days_.erase(d) : std::next(d);
    }
    Add(total_, e, seq);
    const int32_t day = DayOf(e.has_ts ? e.ts_ms : recv_ms, kTz);
    if (day >= today - kKeepDays) Add(days_[day], e, seq);
    return seq;
  }

  // The window a query at now_ms names, nullptr for an empty one.
  const ModelWindow* Find(const WindowSpec& w, int64_t now_ms) const {
    if (w.kind == WindowSpec::Kind::kTotal) return &total_;
    const int32_t today = DayOf(now_ms, kTz);
    const int32_t day = w.kind == WindowSpec::Kind::kToday ? today : w.day;
    if (day < today - kKeepDays || day > today + 1) return nullptr;
    auto it = days_.find(day);
    return it == days_.end() ? nullptr : &it->second;
  }

  int64_t clock() const { return clock_; }

 private:
  static void Add(ModelWindow& w, const Ev& e, uint64_t seq) {
    const int64_t sign = e.refund ? -1 : 1;
    const int64_t delta[3] = {sign * e.weight_g, sign * e.amount_fen, sign};
    w.weight += delta[0];
    w.amount += delta[1];
    w.orders += delta[2];
    ++w.events;
    w.last_seq = seq;
    for (int f = 0; f < 10; ++f) {
      const std::string& key = Field(e, kFamilies[f].dim);
      const std::string& scope = ScopeField(e, kFamilies[f].scope);
      if (key.empty() || (kFamilies[f].scope != ScopeKind::kNone && scope.empty())) continue;
      auto& board = w.boards[f][scope];
      const bool is_new = board.find(key) == board.end();
      ModelEntry& m = board[key];
      for (int k = 0; k < 3; ++k) {
        if (is_new || delta[k] != 0) {
          m.value[k] += delta[k];
          m.seq[k] = seq;
        }
      }
      w.versions[f][scope] = seq;
    }
  }

  uint64_t seq_ = 0;
  int64_t clock_ = 0;
  std::map<std::string, std::pair<int64_t, uint64_t>> last_admission_;  // id → (recv, seq)
  ModelWindow total_;
  std::map<int32_t, ModelWindow> days_;
};

struct ModelRow {
  std::string key;
  ModelEntry e;
};

// §2's order, written out: value desc, last-change seq asc, key bytes asc.
std::vector<ModelRow> Sorted(const std::map<std::string, ModelEntry>& board, int metric) {
  std::vector<ModelRow> rows;
  for (const auto& [k, e] : board) rows.push_back({k, e});
  std::sort(rows.begin(), rows.end(), [&](const ModelRow& a, const ModelRow& b) {
    if (a.e.value[metric] != b.e.value[metric]) return a.e.value[metric] > b.e.value[metric];
    if (a.e.seq[metric] != b.e.seq[metric]) return a.e.seq[metric] < b.e.seq[metric];
    return a.key < b.key;  // std::string compares bytes as unsigned char
  });
  return rows;
}

// ---- Comparison ----

std::string Describe(const BoardRef& ref, Metric m, int64_t now) {
  return std::string(DimensionName(ref.dim)) + "/" + std::string(ScopeName(ref.scope)) + "=" +
         ref.scope_key + " " + WindowName(ref.window) + " " + std::string(MetricName(m)) +
         " now=" + std::to_string(now);
}

void ExpectSameBoard(Engine& engine, const Model& model, const BoardRef& ref, int family,
                     int64_t now) {
  const ModelWindow* w = model.Find(ref.window, now);
  const std::map<std::string, ModelEntry>* board = nullptr;
  if (w != nullptr) {
    auto f = w->boards.find(family);
    if (f != w->boards.end()) {
      auto b = f->second.find(ref.scope_key);
      if (b != f->second.end()) board = &b->second;
    }
  }
  static const std::map<std::string, ModelEntry> kEmpty;
  if (board == nullptr) board = &kEmpty;
  uint64_t version = 0;
  if (w != nullptr && board != &kEmpty) version = w->versions.at(family).at(ref.scope_key);
  ASSERT_EQ(engine.BoardVersion(ref, now), version) << Describe(ref, Metric::kWeight, now);
  for (Metric m : {Metric::kWeight, Metric::kAmount, Metric::kOrders}) {
    const std::vector<ModelRow> want = Sorted(*board, static_cast<int>(m));
    BoardPage page;
    ASSERT_TRUE(engine.Top(ref, m, 0, UINT64_MAX, now, &page).ok());
    ASSERT_EQ(page.count, want.size()) << Describe(ref, m, now);
    ASSERT_EQ(page.rows.size(), want.size()) << Describe(ref, m, now);
    for (size_t i = 0; i < want.size(); ++i) {
      const BoardRow& got = page.rows[i];
      ASSERT_EQ(got.rank, i + 1);
      ASSERT_EQ(got.key, want[i].key) << Describe(ref, m, now) << " rank " << i + 1;
      ASSERT_EQ(got.weight_g, want[i].e.value[0]) << Describe(ref, m, now);
      ASSERT_EQ(got.amount_fen, want[i].e.value[1]) << Describe(ref, m, now);
      ASSERT_EQ(got.orders, want[i].e.value[2]) << Describe(ref, m, now);
    }
    // One Entry per board: its rank and neighbours are the same rows.
    if (!want.empty()) {
      const size_t pick = (want.size() * 7919 + static_cast<size_t>(m)) % want.size();
      EntryResult entry;
      ASSERT_TRUE(engine.Entry(ref, m, want[pick].key, 2, now, &entry).ok());
      ASSERT_EQ(entry.row.rank, pick + 1) << Describe(ref, m, now);
      const size_t from = pick >= 2 ? pick - 2 : 0;
      const size_t to = std::min(want.size(), pick + 3);
      ASSERT_EQ(entry.around.size(), to - from);
      for (size_t i = from; i < to; ++i) ASSERT_EQ(entry.around[i - from].key, want[i].key);
    }
  }
}

void ExpectSameEverything(Engine& engine, const Model& model, int64_t now,
                          const std::vector<std::string> names[5]) {
  std::vector<WindowSpec> windows = {WindowSpec::Total(), WindowSpec::Today()};
  const int32_t today = DayOf(now, kTz);
  for (int32_t d = today - kKeepDays - 2; d <= today + 2; ++d) windows.push_back(WindowSpec::Day(d));
  for (const WindowSpec& window : windows) {
    const ModelWindow* w = model.Find(window, now);
    Totals t = engine.GetTotals(window, now);
    ASSERT_EQ(t.weight_g, w ? w->weight : 0) << WindowName(window);
    ASSERT_EQ(t.amount_fen, w ? w->amount : 0);
    ASSERT_EQ(t.orders, w ? w->orders : 0);
    ASSERT_EQ(t.events, w ? w->events : 0);
    ASSERT_EQ(engine.TotalsVersion(window, now), w ? w->last_seq : 0);
    for (int d = 0; d < 5; ++d) {
      uint64_t want = 0;
      if (w != nullptr) {
        for (int f = 0; f < 10; ++f) {
          if (static_cast<int>(kFamilies[f].dim) == d && kFamilies[f].scope == ScopeKind::kNone &&
              w->boards.count(f)) {
            want = w->boards.at(f).at("").size();
          }
        }
      }
      ASSERT_EQ(t.entities[d], want) << WindowName(window) << " dim " << d;
    }
    for (int f = 0; f < 10; ++f) {
      const Family fam = kFamilies[f];
      if (fam.scope == ScopeKind::kNone) {
        ExpectSameBoard(engine, model, Ref(fam.dim, fam.scope, "", window), f, now);
        continue;
      }
      // Every name ever sent for the scope's dimension, and one never sent.
      const int scope_dim = fam.scope == ScopeKind::kCity ? 0 : fam.scope == ScopeKind::kFirm ? 1 : 2;
      for (const std::string& key : names[scope_dim]) {
        ExpectSameBoard(engine, model, Ref(fam.dim, fam.scope, key, window), f, now);
      }
      ExpectSameBoard(engine, model, Ref(fam.dim, fam.scope, "never-sent", window), f, now);
    }
  }
}

TEST(EngineReference, TwoHundredThousandRandomEventsMatchTheModelOnEveryBoard) {
  EngineOptions options;
  options.keep_days = kKeepDays;
  options.dedup_window_ms = kDedupWindowMs;
  Engine engine(options);
  std::unique_ptr<Engine> restored;  // from a snapshot taken half way
  Model model;
  Stream stream(20261123);
  std::vector<std::string> names[5];
  std::map<std::string, bool> seen[5];

  constexpr int kEvents = 200'000;
  for (int i = 1; i <= kEvents; ++i) {
    int64_t recv_ms;
    Ev e = stream.Next(&recv_ms);
    for (int d = 0; d < 5; ++d) {
      const std::string& v = Field(e, static_cast<Dimension>(d));
      if (!v.empty() && !seen[d][v]) {
        seen[d][v] = true;
        names[d].push_back(v);
      }
    }
    // Now and then a write fails: the admission is taken back first.
    if (stream.Uniform(0, 99) == 0) {
      const uint64_t before = engine.applied_seq();
      Admission a = engine.Admit(e.view(), recv_ms);
      engine.Unadmit(before);
      ASSERT_EQ(engine.admitted_seq(), before);
      if (a.accepted()) {
        ASSERT_EQ(a.seq, before + 1);
      }
    }
    const uint64_t want = model.Send(e, recv_ms);
    ASSERT_EQ(Send(engine, e, recv_ms), want) << "event " << i;
    if (restored) {
      ASSERT_EQ(Send(*restored, e, recv_ms), want) << "event " << i;
    }

    if (i % 50'000 == 0) {
      ExpectSameEverything(engine, model, model.clock(), names);
      ExpectSameEverything(engine, model, model.clock() - kDayMs, names);
      if (restored) ExpectSameEverything(*restored, model, model.clock(), names);
      if (HasFatalFailure()) return;
    }
    if (i == kEvents / 2) {
      std::string state;
      engine.Serialize(&state);
      restored = std::make_unique<Engine>(options);
      ASSERT_TRUE(restored->Deserialize(state).ok());
      ExpectSameEverything(*restored, model, model.clock(), names);
      std::string again;
      restored->Serialize(&again);
      ASSERT_EQ(state, again);
    }
  }
  std::string a, b;
  engine.Serialize(&a);
  restored->Serialize(&b);
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace bangdan
