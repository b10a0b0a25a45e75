// Subscriber: one dashboard connection to /v1/stream (SPEC §5).
//
// Each subscriber holds one view. Views are spread over a mix like a real
// campaign's screens: the grand totals, top-10 city/firm/team boards, and
// boards scoped by a city or a firm. One view in ten is the totals.
//
// Push latency is measured on the totals views: a push whose `events` count
// rose from E to E' first reflects the events with seq E+1 … E'; the oldest of
// them, seq E+1, was sent at the send time of the frame whose ack seq range
// holds E+1 (resolved after the run from the acks). That is the worst latency
// among the events this push reveals. See docs/loadgen.md for the error.
//
// Lifetime: like IngestClient; Stop() is reached through ctx.stop flags.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "run_context.h"

namespace bangdan::loadgen {

struct ViewSpec {
  std::string subscribe_json;  // the subscribe message
  std::string name;            // for reports: "firm?city=合肥 top 10"
  bool totals = false;
};

// The first `count` views of the campaign's mix.
std::vector<ViewSpec> MakeViews(const Campaign& campaign, uint32_t count);

// What one subscriber saw, read after its thread stopped.
struct SubscriberTally {
  uint64_t updates = 0;      // "update" messages while events flowed
  uint64_t messages = 0;     // all messages
  uint64_t errors = 0;       // "error" messages or a failed connection
  bool ready = false;        // got its first view
  uint32_t view = 0;
  std::string first_error;
};

class Subscriber {
 public:
  // Starts connecting; `tally` must outlive the io_context's run.
  static void Launch(boost::asio::io_context& io, RunContext& ctx, ThreadStats& stats,
                     const ViewSpec& view, uint32_t view_index, SubscriberTally* tally);
};

}  // namespace bangdan::loadgen
