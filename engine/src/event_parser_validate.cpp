// ValidateEvent: SPEC §1's rules for an Event already in memory (built by
// hand, or read back from somewhere other than a frame). The parser applies
// the same rules as it reads, with the same messages (event_parser_fields.h).
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "bangdan/event_parser.h"
#include "event_parser_fields.h"

namespace bangdan {

std::string ValidateEvent(const Event& e, int64_t now_ms) {
  struct StringField {
    Field field;
    std::string_view value;
    size_t max_bytes;
  };
  const StringField strings[] = {
      {Field::kId, e.id, kMaxIdBytes},       {Field::kCity, e.city, kMaxCityBytes},
      {Field::kFirm, e.firm, kMaxNameBytes}, {Field::kTeam, e.team, kMaxNameBytes},
      {Field::kUser, e.user, kMaxNameBytes}, {Field::kProduct, e.product, kMaxNameBytes},
  };
  for (const StringField& s : strings) {
    // An Event cannot tell a missing string from an empty one: empty is absent.
    if (s.value.empty()) {
      if (kRequiredFields & FieldBit(s.field)) return ProblemMessage(s.field, Problem::kRequired);
      continue;
    }
    if (!IsValidUtf8(s.value)) return ProblemMessage(s.field, Problem::kBadUtf8);
    if (s.value.size() > s.max_bytes) return ProblemMessage(s.field, Problem::kBadValue);
  }
  if (e.weight_g < 0 || e.weight_g > kMaxWeightG) {
    return ProblemMessage(Field::kWeightG, Problem::kBadValue);
  }
  if (e.amount_fen < 0 || e.amount_fen > kMaxAmountFen) {
    return ProblemMessage(Field::kAmountFen, Problem::kBadValue);
  }
  if (e.has_ts) {
    if (e.ts_ms < kMinTsMs) return ProblemMessage(Field::kTs, Problem::kTooEarly);
    if (now_ms <= std::numeric_limits<int64_t>::max() - kMaxFutureMs &&
        e.ts_ms > now_ms + kMaxFutureMs) {
      return ProblemMessage(Field::kTs, Problem::kTooLate);
    }
  }
  return "";
}

}  // namespace bangdan
