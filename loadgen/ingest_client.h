// IngestClient: one producer connection to /v1/ingest (SPEC §3).
//
// It pipelines: up to --window frames are sent before their acks arrive, one
// WebSocket write in flight at a time, one read always pending. Acks come back
// in order, so the oldest unacked frame's send time gives each frame's ack
// latency. With --rate the frames are paced on a schedule (frame k is due at
// start + k·interval); latency is measured from the actual send.
//
// Lifetime: the object keeps itself alive through shared_from_this in every
// handler and is done when it has sent its quota (or the run stopped) and has
// every ack, or when the connection fails; then it bumps ctx.ingest_done.
// Thread safety: lives on one io_context run by one thread.
#pragma once

#include <cstdint>
#include <memory>

#include <boost/asio/io_context.hpp>

#include "run_context.h"

namespace bangdan::loadgen {

class IngestClient {
 public:
  // Starts connecting. `frame_quota`: frames to send before stopping
  // (UINT64_MAX: until ctx.stop_sending).
  static void Launch(boost::asio::io_context& io, RunContext& ctx, ThreadStats& stats,
                     uint32_t conn_index, uint64_t frame_quota);
};

}  // namespace bangdan::loadgen
