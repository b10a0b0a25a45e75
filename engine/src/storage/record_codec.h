// The payload of a log record: one accepted event (docs/format.md, "Event
// record"). One record per event keeps a record small (under one block for
// any valid event), so a torn tail loses at most the events of the group
// being written, and replay needs no batch bookkeeping.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "bangdan/event.h"
#include "bangdan/status.h"

namespace bangdan::log {

inline constexpr uint8_t kEventRecordV1 = 1;
inline constexpr size_t kEventHeaderSize = 48;
// Each string's length is one byte.
inline constexpr size_t kMaxEventStringBytes = 255;

// Appends the record of `e`, accepted as `seq` at `recv_ms`, to *out.
// REQUIRES: every string of e is at most kMaxEventStringBytes long.
void EncodeEvent(const Event& e, uint64_t seq, int64_t recv_ms, std::string* out);

// Decodes a record; e's strings are views into `record`. Corruption (without
// file or offset: the caller knows them) if the record is malformed or holds
// what no Wal logs: an empty id, city or firm, a weight or amount outside
// SPEC §1's bounds, a time outside state_codec::IsTimeInRange.
Status DecodeEvent(std::string_view record, Event* e, uint64_t* seq, int64_t* recv_ms);

}  // namespace bangdan::log
