// LiveView: see live_view.h.
#include "bangdan/live_view.h"

#include <unordered_map>

namespace bangdan {

namespace {

// Length-prefixed so that no key can imitate a separator.
void AppendField(std::string* out, std::string_view s) {
  out->append(std::to_string(s.size()));
  out->push_back(':');
  out->append(s);
  out->push_back('|');
}

ViewRow ToViewRow(const BoardRow& r) {
  return ViewRow{r.rank, std::string(r.key), r.weight_g, r.amount_fen, r.orders, std::nullopt};
}

bool SameVisible(const std::vector<ViewRow>& a, const std::vector<ViewRow>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].rank != b[i].rank || a[i].key != b[i].key || a[i].weight_g != b[i].weight_g ||
        a[i].amount_fen != b[i].amount_fen || a[i].orders != b[i].orders) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string ViewSpec::CanonicalKey() const {
  std::string key;
  switch (kind) {
    case Kind::kTop: key = "top|"; break;
    case Kind::kAround: key = "around|"; break;
    case Kind::kTotals: key = "totals|"; break;
  }
  AppendField(&key, WindowName(board.window));
  if (kind == Kind::kTotals) return key;
  AppendField(&key, DimensionName(board.dim));
  AppendField(&key, ScopeName(board.scope));
  AppendField(&key, board.scope == ScopeKind::kNone ? std::string_view() : board.scope_key);
  AppendField(&key, MetricName(metric));
  if (kind == Kind::kTop) {
    AppendField(&key, std::to_string(top));
  } else {
    AppendField(&key, around_key);
    AppendField(&key, std::to_string(radius));
  }
  return key;
}

LiveView::LiveView(ViewSpec spec) : spec_(std::move(spec)) {}

bool LiveView::Refresh(Engine& engine, int64_t now_ms) {
  const WindowSpec window = engine.Resolve(spec_.board.window, now_ms);
  const bool totals = spec_.kind == ViewSpec::Kind::kTotals;
  const uint64_t board_version = totals ? engine.TotalsVersion(window, now_ms)
                                        : engine.BoardVersion(spec_.board, now_ms);
  if (version_ > 0 && board_version == seen_board_version_ && window == seen_window_) {
    return false;
  }
  seen_board_version_ = board_version;
  seen_window_ = window;

  if (totals) {
    Totals t = engine.GetTotals(window, now_ms);
    if (version_ > 0 && t == totals_) return false;
    totals_ = t;
    ++version_;
    return true;
  }

  uint64_t count = 0;
  std::optional<uint64_t> rank;
  std::vector<ViewRow> rows;
  if (spec_.kind == ViewSpec::Kind::kTop) {
    BoardPage page;
    if (engine.Top(spec_.board, spec_.metric, 0, spec_.top, now_ms, &page).ok()) {
      count = page.count;
      rows.reserve(page.rows.size());
      for (const BoardRow& r : page.rows) rows.push_back(ToViewRow(r));
    }
  } else {
    count = engine.Count(spec_.board, now_ms);
    EntryResult entry;
    if (engine.Entry(spec_.board, spec_.metric, spec_.around_key, spec_.radius, now_ms, &entry)
            .ok()) {
      rank = entry.row.rank;
      rows.reserve(entry.around.size());
      for (const BoardRow& r : entry.around) rows.push_back(ToViewRow(r));
    }
  }
  if (version_ > 0 && count == count_ && rank == rank_ && SameVisible(rows, rows_)) return false;

  // prev_rank: each key's rank in the version the watching clients saw last.
  std::unordered_map<std::string_view, uint64_t> previous;
  if (version_ > 0) {
    previous.reserve(published_rows_.size());
    for (const ViewRow& r : published_rows_) previous.emplace(r.key, r.rank);
    for (ViewRow& r : rows) {
      auto it = previous.find(r.key);
      if (it != previous.end()) r.prev_rank = it->second;
    }
  }
  rows_ = std::move(rows);
  count_ = count;
  rank_ = rank;
  ++version_;
  return true;
}

}  // namespace bangdan
