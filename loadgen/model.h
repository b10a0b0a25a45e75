// Model: the boards the server should hold, computed from what was sent and
// what the acks said (SPEC §2), for --verify.
//
// Every board of every dimension and scope is kept, with all three metrics and,
// per metric, the seq of the last event that changed it — the tie-break. Seqs
// are exact when the acked frames' seq ranges tile 1..N (each frame's accepted
// events got consecutive seqs: the server applies a frame at a time). Then the
// expected order is exact, ties included. If they do not tile (the server
// interleaved frames), values are still exact and only the order between
// different values is checked; Exact() says which.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "workload.h"

namespace bangdan::loadgen {

enum class Metric { kWeight = 0, kAmount = 1, kOrders = 2 };

// The ten boards an event touches: (dimension, scope dimension).
enum class BoardKind {
  kCity, kFirm, kFirmByCity, kTeam, kTeamByCity, kTeamByFirm, kUser, kUserByTeam, kProduct, kProductByCity
};
inline constexpr int kBoardKinds = 10;

struct BoardKindInfo {
  const char* board;  // path segment
  const char* scope;  // query parameter, "" for none
};
BoardKindInfo InfoOf(BoardKind kind);

struct Row {
  int64_t value[3] = {0, 0, 0};      // by Metric
  uint64_t last_change[3] = {0, 0, 0};
};

struct ExpectedRow {
  uint32_t key;  // entity index in its dimension
  Row row;
};

class Model {
 public:
  explicit Model(const Campaign& campaign) : campaign_(campaign) {}

  void Apply(const GenEvent& e, uint64_t seq);

  // Scope values that have a board of this kind (sorted); {0} for unscoped kinds.
  std::vector<uint32_t> Scopes(BoardKind kind) const;
  // The board's rows in the order §2 gives for `metric`; ties by last change
  // then key bytes (only meaningful when seqs were exact).
  std::vector<ExpectedRow> Board(BoardKind kind, uint32_t scope, Metric metric) const;
  // The name of entity `key` of the dimension of `kind`.
  const std::string& KeyName(BoardKind kind, uint32_t key) const;
  const std::string& ScopeName(BoardKind kind, uint32_t scope) const;

  int64_t total(Metric m) const { return totals_[static_cast<int>(m)]; }
  uint64_t events() const { return events_; }
  size_t entities(BoardKind unscoped_kind) const { return boards_[static_cast<int>(unscoped_kind)].size(); }

 private:
  static uint64_t Pack(uint32_t scope, uint32_t key) { return (static_cast<uint64_t>(scope) << 32) | key; }
  void Add(BoardKind kind, uint32_t scope, uint32_t key, const int64_t delta[3], uint64_t seq);

  const Campaign& campaign_;
  std::unordered_map<uint64_t, Row> boards_[kBoardKinds];
  // boards_ grouped by scope, built at the first Board() of a kind after an
  // Apply: --verify reads thousands of scoped boards, and finding each one's
  // rows by a scan of the whole kind made it quadratic (minutes for a 5 s run).
  mutable std::unordered_map<uint32_t, std::vector<ExpectedRow>> by_scope_[kBoardKinds];
  mutable bool by_scope_ready_[kBoardKinds] = {};
  int64_t totals_[3] = {0, 0, 0};
  uint64_t events_ = 0;
};

}  // namespace bangdan::loadgen
