// The vocabulary of boards: names, parsing, scope rules, windows and the
// civil-date arithmetic behind day windows. Everything here is exact integer
// arithmetic; no time-zone database is consulted (the zone is a fixed offset).
#include "bangdan/board.h"

namespace bangdan {

namespace {

constexpr int64_t kMsPerDay = 24LL * 3600 * 1000;

// Floor division: DayOf must put instants before 1970 in the right day too.
int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

bool ParseDigits(std::string_view s, uint32_t* out) {
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  *out = v;
  return !s.empty();
}

bool IsLeap(uint32_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

uint32_t DaysInMonth(uint32_t y, uint32_t m) {
  static constexpr uint8_t kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

}  // namespace

std::string_view DimensionName(Dimension d) {
  switch (d) {
    case Dimension::kCity: return "city";
    case Dimension::kFirm: return "firm";
    case Dimension::kTeam: return "team";
    case Dimension::kUser: return "user";
    case Dimension::kProduct: return "product";
  }
  return "";
}

std::string_view ScopeName(ScopeKind s) {
  switch (s) {
    case ScopeKind::kNone: return "";
    case ScopeKind::kCity: return "city";
    case ScopeKind::kFirm: return "firm";
    case ScopeKind::kTeam: return "team";
  }
  return "";
}

std::string_view MetricName(Metric m) {
  switch (m) {
    case Metric::kWeight: return "weight_g";
    case Metric::kAmount: return "amount_fen";
    case Metric::kOrders: return "orders";
  }
  return "";
}

std::optional<Dimension> ParseDimension(std::string_view s) {
  for (int i = 0; i < kDimensionCount; ++i) {
    auto d = static_cast<Dimension>(i);
    if (s == DimensionName(d)) return d;
  }
  return std::nullopt;
}

std::optional<ScopeKind> ParseScopeKind(std::string_view s) {
  if (s == "city") return ScopeKind::kCity;
  if (s == "firm") return ScopeKind::kFirm;
  if (s == "team") return ScopeKind::kTeam;
  return std::nullopt;
}

std::optional<Metric> ParseMetric(std::string_view s) {
  for (int i = 0; i < kMetricCount; ++i) {
    auto m = static_cast<Metric>(i);
    if (s == MetricName(m)) return m;
  }
  return std::nullopt;
}

// SPEC §2's table of boards and the scopes each one allows.
bool ScopeAllowed(Dimension dim, ScopeKind scope) {
  if (scope == ScopeKind::kNone) return true;
  switch (dim) {
    case Dimension::kCity: return false;
    case Dimension::kFirm: return scope == ScopeKind::kCity;
    case Dimension::kTeam: return scope == ScopeKind::kCity || scope == ScopeKind::kFirm;
    case Dimension::kUser: return scope == ScopeKind::kTeam;
    case Dimension::kProduct: return scope == ScopeKind::kCity;
  }
  return false;
}

Status ParseWindow(std::string_view text, WindowSpec* out) {
  if (text == "total") {
    *out = WindowSpec::Total();
    return Status::OK();
  }
  if (text == "day") {
    *out = WindowSpec::Today();
    return Status::OK();
  }
  auto bad = [&] {
    return Status::InvalidArgument("window: '" + std::string(text) +
                                   "' is not total, day or day:YYYY-MM-DD");
  };
  // Exactly "day:" + 4 + "-" + 2 + "-" + 2 characters.
  if (text.size() != 14 || text.substr(0, 4) != "day:" || text[8] != '-' || text[11] != '-') {
    return bad();
  }
  uint32_t y, m, d;
  if (!ParseDigits(text.substr(4, 4), &y) || !ParseDigits(text.substr(9, 2), &m) ||
      !ParseDigits(text.substr(12, 2), &d)) {
    return bad();
  }
  if (m < 1 || m > 12 || d < 1 || d > DaysInMonth(y, m)) return bad();
  *out = WindowSpec::Day(DaysFromCivil(static_cast<int32_t>(y), m, d));
  return Status::OK();
}

std::string WindowName(const WindowSpec& w) {
  switch (w.kind) {
    case WindowSpec::Kind::kTotal: return "total";
    case WindowSpec::Kind::kToday: return "day";
    case WindowSpec::Kind::kDay: return "day:" + CivilFromDays(w.day);
  }
  return "total";
}

// Howard Hinnant's days_from_civil: eras of 400 years, March-based years so
// that the leap day falls at the end.
int32_t DaysFromCivil(int32_t y, uint32_t m, uint32_t d) {
  y -= m <= 2;
  const int32_t era = (y >= 0 ? y : y - 399) / 400;
  const uint32_t yoe = static_cast<uint32_t>(y - era * 400);             // [0, 399]
  const uint32_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
  const uint32_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            // [0, 146096]
  return era * 146097 + static_cast<int32_t>(doe) - 719468;
}

std::string CivilFromDays(int32_t days) {
  const int32_t z = days + 719468;
  const int32_t era = (z >= 0 ? z : z - 146096) / 146097;
  const uint32_t doe = static_cast<uint32_t>(z - era * 146097);
  const uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int32_t y = static_cast<int32_t>(yoe) + era * 400;
  const uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const uint32_t mp = (5 * doy + 2) / 153;
  const uint32_t d = doy - (153 * mp + 2) / 5 + 1;
  const uint32_t m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  char buf[32];
  // Years outside 0…9999 cannot be named by ParseWindow; print them plainly.
  int n = 0;
  if (y < 0 || y > 9999) {
    std::string s = std::to_string(y);
    n = static_cast<int>(s.size());
    s.copy(buf, s.size());
  } else {
    buf[0] = static_cast<char>('0' + y / 1000);
    buf[1] = static_cast<char>('0' + y / 100 % 10);
    buf[2] = static_cast<char>('0' + y / 10 % 10);
    buf[3] = static_cast<char>('0' + y % 10);
    n = 4;
  }
  buf[n++] = '-';
  buf[n++] = static_cast<char>('0' + m / 10);
  buf[n++] = static_cast<char>('0' + m % 10);
  buf[n++] = '-';
  buf[n++] = static_cast<char>('0' + d / 10);
  buf[n++] = static_cast<char>('0' + d % 10);
  return std::string(buf, static_cast<size_t>(n));
}

int32_t DayOf(int64_t ms, int32_t tz_offset_minutes) {
  return static_cast<int32_t>(FloorDiv(ms + int64_t{tz_offset_minutes} * 60'000, kMsPerDay));
}

}  // namespace bangdan
