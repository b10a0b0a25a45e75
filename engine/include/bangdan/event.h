// Event: one purchase (or refund), validated, as the engine consumes it.
//
// The string fields are views into storage owned by whoever produced the event
// (a ParsedFrame, a log record, a test): they must stay valid for the duration
// of the call that takes the event. The engine interns what it keeps.
#pragma once

#include <cstdint>
#include <string_view>

namespace bangdan {

// Limits of SPEC §1.
inline constexpr size_t kMaxIdBytes = 128;
inline constexpr size_t kMaxCityBytes = 64;
inline constexpr size_t kMaxNameBytes = 128;  // firm, team, user, product
inline constexpr int64_t kMaxWeightG = 1'000'000'000;
inline constexpr int64_t kMaxAmountFen = 1'000'000'000'000;
inline constexpr int64_t kMinTsMs = 946'684'800'000;  // 2000-01-01T00:00:00Z
inline constexpr int64_t kMaxFutureMs = 24LL * 3600 * 1000;

struct Event {
  std::string_view id;
  std::string_view city;
  std::string_view firm;
  std::string_view team;     // empty: absent (counts on no team board)
  std::string_view user;     // empty: absent
  std::string_view product;  // empty: absent
  int64_t weight_g = 0;
  int64_t amount_fen = 0;
  int64_t ts_ms = 0;         // event time; meaningful only when has_ts
  bool has_ts = false;       // false: the receive time is the event time
  bool refund = false;
};

}  // namespace bangdan
