// LiveView: one view of a board (its top N, or the neighbourhood of one key) or
// of the grand totals, kept between refreshes so that live push can tell
// cheaply whether it changed and give each row its rank in the previous
// version (`prev_rank`, SPEC §5).
//
// The server keeps one LiveView per distinct view, however many clients watch
// it, refreshes it once per push interval and serializes it once (and also
// when a client subscribes, for its snapshot: see Published).
//
// Thread safety: Refresh needs the engine (same rules as Engine); the
// accessors read only the view's own copy and may be used after the engine
// lock is released, by one thread at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bangdan/board.h"
#include "bangdan/engine.h"

namespace bangdan {

struct ViewSpec {
  enum class Kind : uint8_t { kTop, kAround, kTotals };
  Kind kind = Kind::kTop;
  BoardRef board;               // kTotals: only board.window is used
  Metric metric = Metric::kWeight;
  uint32_t top = 10;            // kTop: 1 … 1000
  std::string around_key;       // kAround
  uint32_t radius = 0;          // kAround: 0 … 500

  // A canonical text that two equal specs share (used to share views).
  std::string CanonicalKey() const;
};

struct ViewRow {
  uint64_t rank = 0;
  std::string key;  // owned: the view outlives the engine lock
  int64_t weight_g = 0;
  int64_t amount_fen = 0;
  int64_t orders = 0;
  std::optional<uint64_t> prev_rank;  // rank in the previous version, if there
  bool operator==(const ViewRow&) const = default;
};

class LiveView {
 public:
  explicit LiveView(ViewSpec spec);

  const ViewSpec& spec() const { return spec_; }

  // Brings the view up to date with `engine` at `now_ms`. Returns true when
  // what a client sees changed (rows, count, rank or totals); the version then
  // goes up by one. The first call always returns true (version 1). Each
  // row's prev_rank is its rank in the version last Published().
  bool Refresh(Engine& engine, int64_t now_ms);

  // Every client watching the view now has the current version: later
  // versions' prev_rank count from it. Not called for a version made only
  // for a newcomer's snapshot, so that the clients that watched before, who
  // get a later version, see every move since the one they showed.
  void Published() { published_rows_ = rows_; }

  uint64_t version() const { return version_; }
  uint64_t count() const { return count_; }                       // kTop, kAround
  std::optional<uint64_t> rank() const { return rank_; }          // kAround
  const std::vector<ViewRow>& rows() const { return rows_; }      // kTop, kAround
  const Totals& totals() const { return totals_; }                // kTotals

 private:
  ViewSpec spec_;
  uint64_t version_ = 0;
  uint64_t seen_board_version_ = 0;  // engine's BoardVersion at the last refresh
  WindowSpec seen_window_;           // the resolved window at the last refresh
  uint64_t count_ = 0;
  std::optional<uint64_t> rank_;
  std::vector<ViewRow> rows_;
  std::vector<ViewRow> published_rows_;  // of the version last Published()
  Totals totals_;
};

}  // namespace bangdan
