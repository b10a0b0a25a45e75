// Redis target (--target redis): the same generated frames sent to Redis the
// way a Redis user builds leaderboards, for the comparison in bench/redis/.
//
// Full variant: per event, one ZINCRBY for every board, scope, metric and
// window it touches (10 boards × 3 metrics × 2 windows = 60) and one PUBLISH
// for the screens. Lean variant: only city, firm and team by weight (3
// ZINCRBY). RESP is written by hand; replies are counted, not kept. Redis has
// no dedup and ties by member, not by who got there first: the comparison
// favours Redis.
//
// Frames are rendered as RESP at send time (pre-built RESP would be ~4 KiB
// per event); Redis, single-threaded, is the bottleneck by a wide margin.
#pragma once

#include <cstdint>
#include <string>

#include <boost/asio/io_context.hpp>

#include "run_context.h"

namespace bangdan::loadgen {

class RedisFrames {
 public:
  RedisFrames(const Campaign& campaign, const FramePool& pool, bool lean, std::string day);
  // Appends the commands of one frame to *out; returns how many replies they get.
  uint32_t Render(const FrameTemplate& frame, std::string* out) const;

 private:
  void Command(std::string* out, std::string_view a, std::string_view b, std::string_view c,
               std::string_view d) const;
  const Campaign& campaign_;
  const FramePool& pool_;
  bool lean_;
  std::string day_;
};

class RedisClient {
 public:
  static void Launch(boost::asio::io_context& io, RunContext& ctx, ThreadStats& stats, uint32_t conn_index,
                     uint64_t frame_quota);
};

// Counts complete RESP replies at the front of `data` (simple, error,
// integer, bulk); *consumed gets the bytes they take, *errors the '-' ones.
// Exposed for tests.
uint64_t CountRespReplies(std::string_view data, size_t* consumed, uint64_t* errors);

}  // namespace bangdan::loadgen
