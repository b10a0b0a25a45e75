// What the event parser's tests share: a valid event to start from, and
// one-call ways to ask "is this event accepted, and if not, why?".
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "bangdan/event_parser.h"

namespace bangdan::testing {

// 2026-11-23T00:00:00Z: the receive time of every test frame.
inline constexpr int64_t kNowMs = 1'795'392'000'000;

// An event as ordered JSON fields (raw JSON values), starting valid.
class EventJson {
 public:
  EventJson() {
    fields_ = {{"id", R"("e-1")"},
               {"city", R"("合肥")"},
               {"firm", R"("安徽新华物业")"},
               {"weight_g", "500"},
               {"amount_fen", "1280"}};
  }

  // Sets `name` to the raw JSON `value`, in place if present, else at the end.
  EventJson& Set(const std::string& name, const std::string& value) {
    for (auto& [n, v] : fields_) {
      if (n == name) {
        v = value;
        return *this;
      }
    }
    fields_.emplace_back(name, value);
    return *this;
  }
  // Appends a field even if one of that name exists (for duplicates).
  EventJson& Add(const std::string& name, const std::string& value) {
    fields_.emplace_back(name, value);
    return *this;
  }
  EventJson& Drop(const std::string& name) {
    std::erase_if(fields_, [&](const auto& f) { return f.first == name; });
    return *this;
  }
  std::string Json() const {
    std::string s = "{";
    for (const auto& [n, v] : fields_) {
      if (s.size() > 1) s += ",";
      s += "\"" + n + "\":" + v;
    }
    return s + "}";
  }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

// A JSON string literal of `s` (which must need no escaping).
inline std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

// Parses `frame`, which must be accepted as a frame (OK status).
inline ParsedFrame ParseOk(const std::string& frame, ParserOptions options = {}) {
  EventParser parser(options);
  ParsedFrame out;
  const Status s = parser.Parse(frame, kNowMs, &out);
  EXPECT_TRUE(s.ok()) << s.message() << " for " << frame;
  return out;
}

// The frame-level error message for `frame` ("" if the frame was accepted).
inline std::string FrameError(const std::string& frame, ParserOptions options = {}) {
  EventParser parser(options);
  ParsedFrame out;
  const Status s = parser.Parse(frame, kNowMs, &out);
  if (s.ok()) return "";
  EXPECT_TRUE(s.IsInvalidArgument());
  return s.message();
}

// The verdict on a single-event frame: "" if accepted, else its rejection.
inline std::string Verdict(const EventJson& event) {
  const ParsedFrame out = ParseOk(event.Json());
  EXPECT_EQ(out.total, 1u);
  if (out.rejected.empty()) {
    EXPECT_EQ(out.events.size(), 1u);
    return "";
  }
  EXPECT_EQ(out.rejected.size(), 1u);
  EXPECT_EQ(out.rejected[0].index, 0u);
  return out.rejected[0].error;
}

// The one accepted event of a single-event frame (copied out with its arena).
struct OneEvent {
  ParsedFrame frame;
  const Event& event() const { return frame.events.at(0); }
};
inline OneEvent Accepted(const EventJson& event) {
  OneEvent one{ParseOk(event.Json())};
  EXPECT_EQ(one.frame.events.size(), 1u) << event.Json();
  if (one.frame.events.empty()) one.frame.events.emplace_back();
  return one;
}

}  // namespace bangdan::testing
