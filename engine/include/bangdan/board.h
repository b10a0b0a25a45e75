// The vocabulary of boards (SPEC §2): dimensions, scopes, metrics, windows, rows.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bangdan/status.h"

namespace bangdan {

enum class Dimension : uint8_t { kCity, kFirm, kTeam, kUser, kProduct };
inline constexpr int kDimensionCount = 5;

// The entity a scoped board is restricted to. kNone: the unscoped board.
enum class ScopeKind : uint8_t { kNone, kCity, kFirm, kTeam };

enum class Metric : uint8_t { kWeight, kAmount, kOrders };
inline constexpr int kMetricCount = 3;

std::string_view DimensionName(Dimension d);   // "city", "firm", …
std::string_view ScopeName(ScopeKind s);       // "", "city", "firm", "team"
std::string_view MetricName(Metric m);         // "weight_g", "amount_fen", "orders"
std::optional<Dimension> ParseDimension(std::string_view s);
std::optional<ScopeKind> ParseScopeKind(std::string_view s);  // "city", "firm", "team"
std::optional<Metric> ParseMetric(std::string_view s);

// True if §2 lists `scope` for boards of `dim` (kNone is always allowed).
bool ScopeAllowed(Dimension dim, ScopeKind scope);

// A window: the whole campaign, the current day at the engine's time zone, or
// a named day. Days are counted from 1970-01-01 in that time zone.
struct WindowSpec {
  enum class Kind : uint8_t { kTotal, kToday, kDay };
  Kind kind = Kind::kTotal;
  int32_t day = 0;  // for kDay only

  static WindowSpec Total() { return {}; }
  static WindowSpec Today() { return {Kind::kToday, 0}; }
  static WindowSpec Day(int32_t d) { return {Kind::kDay, d}; }
  bool operator==(const WindowSpec&) const = default;
};

// Parses "total", "day" or "day:YYYY-MM-DD"; the error names the value.
Status ParseWindow(std::string_view text, WindowSpec* out);
// "total", "day", "day:2026-11-23".
std::string WindowName(const WindowSpec& w);
// Calendar helpers (proleptic Gregorian), exact integer arithmetic.
int32_t DaysFromCivil(int32_t y, uint32_t m, uint32_t d);
std::string CivilFromDays(int32_t days);  // "YYYY-MM-DD"
// The day that `ms` (UTC epoch ms) falls in, at UTC offset `tz_offset_minutes`.
int32_t DayOf(int64_t ms, int32_t tz_offset_minutes);

// Which board: its dimension, scope and window. The metric is asked separately
// because every row carries all three.
struct BoardRef {
  Dimension dim = Dimension::kCity;
  ScopeKind scope = ScopeKind::kNone;
  std::string scope_key;  // the city / firm / team; empty when scope == kNone
  WindowSpec window;
};

struct BoardRow {
  uint64_t rank = 0;  // 1-based
  std::string_view key;  // interned by the engine: valid while the engine lives
  int64_t weight_g = 0;
  int64_t amount_fen = 0;
  int64_t orders = 0;

  int64_t Value(Metric m) const {
    return m == Metric::kWeight ? weight_g : m == Metric::kAmount ? amount_fen : orders;
  }
};

struct BoardPage {
  uint64_t count = 0;  // entities on the board
  std::vector<BoardRow> rows;
};

struct EntryResult {
  BoardRow row;
  std::vector<BoardRow> around;  // ranks row.rank - radius … row.rank + radius
};

struct Totals {
  int64_t weight_g = 0;
  int64_t amount_fen = 0;
  int64_t orders = 0;
  uint64_t events = 0;  // accepted events (refunds included)
  std::array<uint64_t, kDimensionCount> entities{};  // indexed by Dimension
  bool operator==(const Totals&) const = default;
};

}  // namespace bangdan
