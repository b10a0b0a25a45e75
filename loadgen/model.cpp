#include "model.h"

#include <algorithm>
#include <set>

namespace bangdan::loadgen {

BoardKindInfo InfoOf(BoardKind kind) {
  switch (kind) {
    case BoardKind::kCity: return {"city", ""};
    case BoardKind::kFirm: return {"firm", ""};
    case BoardKind::kFirmByCity: return {"firm", "city"};
    case BoardKind::kTeam: return {"team", ""};
    case BoardKind::kTeamByCity: return {"team", "city"};
    case BoardKind::kTeamByFirm: return {"team", "firm"};
    case BoardKind::kUser: return {"user", ""};
    case BoardKind::kUserByTeam: return {"user", "team"};
    case BoardKind::kProduct: return {"product", ""};
    case BoardKind::kProductByCity: return {"product", "city"};
  }
  return {"", ""};
}

void Model::Add(BoardKind kind, uint32_t scope, uint32_t key, const int64_t delta[3], uint64_t seq) {
  by_scope_ready_[static_cast<int>(kind)] = false;
  Row& row = boards_[static_cast<int>(kind)][Pack(scope, key)];
  for (int m = 0; m < 3; ++m) {
    // An event that leaves a value as it was is not a change (SPEC §2), but
    // an entity's first event always is: a new row gets its seq regardless.
    if (delta[m] != 0 || row.last_change[m] == 0) {
      row.value[m] += delta[m];
      row.last_change[m] = std::max(row.last_change[m], seq);
    }
  }
}

void Model::Apply(const GenEvent& e, uint64_t seq) {
  int64_t sign = e.refund ? -1 : 1;
  const int64_t delta[3] = {sign * e.weight_g, sign * e.amount_fen, sign};
  Add(BoardKind::kCity, 0, e.city, delta, seq);
  Add(BoardKind::kFirm, 0, e.firm, delta, seq);
  Add(BoardKind::kFirmByCity, e.city, e.firm, delta, seq);
  Add(BoardKind::kTeam, 0, e.team, delta, seq);
  Add(BoardKind::kTeamByCity, e.city, e.team, delta, seq);
  Add(BoardKind::kTeamByFirm, e.firm, e.team, delta, seq);
  Add(BoardKind::kUser, 0, e.user, delta, seq);
  Add(BoardKind::kUserByTeam, e.team, e.user, delta, seq);
  Add(BoardKind::kProduct, 0, e.product, delta, seq);
  Add(BoardKind::kProductByCity, e.city, e.product, delta, seq);
  for (int m = 0; m < 3; ++m) totals_[m] += delta[m];
  ++events_;
}

std::vector<uint32_t> Model::Scopes(BoardKind kind) const {
  std::set<uint32_t> scopes;
  for (const auto& [packed, row] : boards_[static_cast<int>(kind)]) scopes.insert(static_cast<uint32_t>(packed >> 32));
  return std::vector<uint32_t>(scopes.begin(), scopes.end());
}

std::vector<ExpectedRow> Model::Board(BoardKind kind, uint32_t scope, Metric metric) const {
  const int k = static_cast<int>(kind);
  if (!by_scope_ready_[k]) {
    by_scope_[k].clear();
    for (const auto& [packed, row] : boards_[k]) {
      by_scope_[k][static_cast<uint32_t>(packed >> 32)].push_back(ExpectedRow{static_cast<uint32_t>(packed), row});
    }
    by_scope_ready_[k] = true;
  }
  auto found = by_scope_[k].find(scope);
  std::vector<ExpectedRow> rows = found == by_scope_[k].end() ? std::vector<ExpectedRow>{} : found->second;
  int m = static_cast<int>(metric);
  std::sort(rows.begin(), rows.end(), [&](const ExpectedRow& a, const ExpectedRow& b) {
    if (a.row.value[m] != b.row.value[m]) return a.row.value[m] > b.row.value[m];
    if (a.row.last_change[m] != b.row.last_change[m]) return a.row.last_change[m] < b.row.last_change[m];
    return KeyName(kind, a.key) < KeyName(kind, b.key);  // bytewise: std::string compares as unsigned char
  });
  return rows;
}

const std::string& Model::KeyName(BoardKind kind, uint32_t key) const {
  switch (kind) {
    case BoardKind::kCity: return campaign_.city(key);
    case BoardKind::kFirm: case BoardKind::kFirmByCity: return campaign_.firm(key);
    case BoardKind::kTeam: case BoardKind::kTeamByCity: case BoardKind::kTeamByFirm: return campaign_.team(key);
    case BoardKind::kUser: case BoardKind::kUserByTeam: return campaign_.user(key);
    default: return campaign_.product(key);
  }
}

const std::string& Model::ScopeName(BoardKind kind, uint32_t scope) const {
  switch (kind) {
    case BoardKind::kTeamByFirm: return campaign_.firm(scope);
    case BoardKind::kUserByTeam: return campaign_.team(scope);
    default: return campaign_.city(scope);
  }
}

}  // namespace bangdan::loadgen
