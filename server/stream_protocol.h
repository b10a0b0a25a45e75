// The /v1/stream wire protocol (SPEC §5): client requests in, views out.
//
// In:  {"op":"subscribe","sub":"s1","board":"team","scope":{"city":"合肥"},
//       "metric":"weight_g","window":"total","top":10}
//      {"op":"subscribe","sub":"me","board":"team","around":"创源战队","radius":3}
//      {"op":"subscribe","sub":"t","board":"totals","window":"day"}
//      {"op":"unsubscribe","sub":"s1"}
// Out: a frame is a prefix that names the subscription, then a body that any
//      number of subscribers of the same view share byte for byte:
//      {"type":"update","sub":"s1",  +  "version":42,"count":57,"rows":[…]}
//
// Every decision the specification leaves open is written down in
// docs/protocol.md, section "Live push".
//
// Thread safety: a StreamRequestParser is used by one thread at a time; the
// free functions are pure.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "bangdan/live_view.h"
#include "bangdan/status.h"
#include "json_writer.h"  // AppendJsonString

namespace bangdan {

// A subscription's name: 1 … 64 bytes of UTF-8, chosen by the client.
inline constexpr size_t kMaxSubBytes = 64;
inline constexpr uint32_t kMaxTop = 1000;
inline constexpr uint32_t kDefaultTop = 10;
inline constexpr uint32_t kMaxRadius = 500;

struct StreamRequest {
  enum class Op : uint8_t { kSubscribe, kUnsubscribe };
  Op op = Op::kSubscribe;
  std::string sub;
  ViewSpec spec;  // kSubscribe only
};

class StreamRequestParser {
 public:
  explicit StreamRequestParser(uint32_t max_depth = 64);
  ~StreamRequestParser();
  StreamRequestParser(const StreamRequestParser&) = delete;
  StreamRequestParser& operator=(const StreamRequestParser&) = delete;

  // Parses one client message. On failure returns InvalidArgument whose
  // message names the field ("top: must be an integer from 1 to 1000"), and
  // *sub_seen holds the request's sub when it could be read (for the error's
  // "sub"), else nullopt. REQUIRES: out and sub_seen are not null.
  Status Parse(std::string_view text, StreamRequest* out, std::optional<std::string>* sub_seen);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// {"type":"error","sub":"s1","error":"…"} ("sub":null when unknown).
std::string StreamErrorMessage(const std::optional<std::string>& sub, std::string_view error);

// The per-subscriber start of a frame: {"type":"snapshot","sub":"s1",
std::string FramePrefix(bool snapshot, std::string_view sub);

// The shared rest of a frame, from the view's current version to the closing
// brace. `snapshot`: every prev_rank is null. Top views:
//   "version":V,"count":N,"rows":[{"rank","key","weight_g","amount_fen","orders","prev_rank"}…]}
// Around views add "rank":R|null before "rows". Totals views:
//   "version":V,"window":"day","weight_g":…,"amount_fen":…,"orders":…,"events":…,
//   "entities":{"city":…,"firm":…,"team":…,"user":…,"product":…}}
void AppendViewBody(const LiveView& view, bool snapshot, std::string* out);

}  // namespace bangdan
