// Fuzzes what recovery does with a log segment: log::Reader over the bytes,
// log::DecodeEvent on each record, the events replayed into an Engine. Any
// input must end in a Status (or success), and a checksum-valid record must
// never leave the engine in a state its own snapshot cannot load.
//
// Input: byte 0 says what the rest is.
//   0: one record payload, decoded alone (the fastest way to DecodeEvent);
//   1: a whole segment file, as it lies on disk;
//   2: "damage kind, damage offset (u16), room (u8)" then records, each a u16
//      length and its bytes, that the target frames itself with valid
//      checksums: random bytes almost never pass a CRC, so without this the
//      reader's record assembly and everything after it would go unfuzzed.
//      A filler record makes the first one start `room` bytes before a block
//      boundary, so that small inputs still span blocks; then one bit flip or
//      truncation, and the reader must keep the promises of log_reader.h.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "bangdan/board.h"
#include "bangdan/engine.h"
#include "fuzz_checks.h"
#include "storage/log_format.h"
#include "storage/log_reader.h"
#include "storage/log_writer.h"
#include "storage/record_codec.h"

using namespace bangdan;

namespace {

void Check(bool condition, const char* what) { fuzz::Check(condition, "log_segment_fuzz", what); }

// Decodes `record`; a record that decodes must encode back to itself (but
// for ts_ms, which the decoder ignores when has_ts is clear).
bool Decode(std::string_view record, LoggedEvent* out) {
  if (!log::DecodeEvent(record, &out->event, &out->seq, &out->recv_ms).ok()) return false;
  std::string again;
  log::EncodeEvent(out->event, out->seq, out->recv_ms, &again);
  Check(again.size() == record.size(), "re-encoded record has another size");
  const size_t ts_at = 18;
  const bool same = out->event.has_ts
                        ? again == record
                        : again.compare(0, ts_at, record, 0, ts_at) == 0 &&
                              again.compare(ts_at + 8, std::string::npos, record, ts_at + 8) == 0;
  Check(same, "decoded record does not encode back to itself");
  return true;
}

// Replays what recovery would: the events in order, each as the next
// sequence number (recovery refuses others before replay; renumbering spares
// the fuzzer from guessing them). Then the state must survive a snapshot.
void ReplayAndReload(std::vector<LoggedEvent>& events) {
  if (events.empty()) return;
  Engine engine;
  for (size_t i = 0; i < events.size(); ++i) events[i].seq = i + 1;
  size_t failed = 0;
  engine.ReplayBatch(events, &failed);  // a duplicate id is a clean Corruption

  const int64_t now_ms = events.back().recv_ms;
  BoardRef ref;
  ref.dim = Dimension::kTeam;
  ref.scope = ScopeKind::kCity;
  ref.scope_key = events.front().event.city;
  BoardPage page;
  engine.Top(ref, Metric::kWeight, 0, 10, now_ms, &page);
  engine.GetTotals(WindowSpec::Today(), now_ms);

  fuzz::CheckStateReloads(engine, "log_segment_fuzz");
}

struct ReadResult {
  std::vector<std::string> records;
  std::vector<uint64_t> offsets;
  log::Reader::End end;
  uint64_t valid_end;
  uint64_t damage_offset;
};

// Reads every record of `file`, checking what holds for any bytes.
ReadResult ReadAll(std::string_view file) {
  log::Reader reader(file);
  ReadResult r;
  std::string scratch;
  std::string_view record;
  uint64_t offset = 0;
  while (reader.ReadRecord(&record, &scratch, &offset)) {
    Check(offset < file.size(), "record offset past the end of the file");
    Check(r.offsets.empty() || offset > r.offsets.back(), "record offsets go backwards");
    r.records.emplace_back(record);
    r.offsets.push_back(offset);
  }
  r.end = reader.end();
  r.valid_end = reader.valid_end();
  r.damage_offset = reader.damage_offset();
  Check(r.end != log::Reader::End::kNotYet, "reading stopped before an end");
  Check(r.valid_end <= file.size(), "valid end past the end of the file");
  if (r.end == log::Reader::End::kClean) Check(r.valid_end == file.size(), "clean end short");
  if (r.end == log::Reader::End::kTorn) {
    Check(r.valid_end <= r.damage_offset, "torn tail cut after the damage");
    Check(r.offsets.empty() || r.valid_end > r.offsets.back(), "torn tail cut a good record");
  }
  return r;
}

void DecodeAndReplay(const std::vector<std::string>& records) {
  std::vector<LoggedEvent> events;
  for (const std::string& record : records) {
    LoggedEvent logged;
    if (Decode(record, &logged)) events.push_back(logged);
  }
  ReplayAndReload(events);
}

uint16_t U16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }

// Mode 2: frames the records, damages the file once, reads it back.
void FramedSegment(const uint8_t* data, size_t size) {
  if (size < 4) return;
  const int damage = data[0] % 3;  // none, bit flip, truncation
  const size_t damage_at = U16(data + 1);
  const size_t room = data[3];
  data += 4;
  size -= 4;

  std::vector<std::string> records;
  if (room > 0) {
    records.emplace_back(log::kBlockSize - room - log::kHeaderSize, '\0');
  }
  while (size >= 2) {
    const size_t n = std::min<size_t>(U16(data), size - 2);
    records.emplace_back(reinterpret_cast<const char*>(data + 2), n);
    data += 2 + n;
    size -= 2 + n;
  }
  std::string file;
  std::vector<uint64_t> starts, ends;
  log::Writer writer;
  for (const std::string& record : records) {
    uint64_t start = file.size();
    const size_t block_left = log::kBlockSize - start % log::kBlockSize;
    if (block_left < log::kHeaderSize) start += block_left;
    starts.push_back(start);
    writer.AddRecord(record, &file);
    ends.push_back(file.size());
  }
  if (file.empty()) return;
  if (damage == 1) {
    file[damage_at % file.size()] ^= static_cast<char>(1 << (damage_at % 7));
  } else if (damage == 2) {
    file.resize(damage_at % (file.size() + 1));
  }

  const ReadResult r = ReadAll(file);
  Check(r.records.size() <= records.size(), "more records read than written");
  for (size_t i = 0; i < r.records.size(); ++i) {
    Check(r.records[i] == records[i], "a record read back differs from the one written");
    Check(r.offsets[i] == starts[i], "a record read back at another offset");
  }
  if (damage == 0) {
    Check(r.end == log::Reader::End::kClean && r.records.size() == records.size(),
          "an intact file did not read back whole");
  } else if (damage == 2) {
    // A cut leaves a prefix of whole records and nothing intact after it.
    size_t whole = 0;
    while (whole < records.size() && ends[whole] <= file.size()) ++whole;
    Check(r.records.size() == whole, "a truncated file lost or gained a whole record");
    Check(r.end != log::Reader::End::kCorruption, "a truncated file called corrupt");
    if (r.end == log::Reader::End::kTorn) {
      Check(whole < records.size() && r.valid_end == starts[whole],
            "a truncated file cut somewhere else than at its first partial record");
    }
  }
  DecodeAndReplay(r.records);  // the filler, all zeros, is no event record
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 3) {
    case 0: {
      LoggedEvent logged;
      if (!Decode(rest, &logged)) return 0;
      std::vector<LoggedEvent> events{logged};
      ReplayAndReload(events);
      break;
    }
    case 1:
      DecodeAndReplay(ReadAll(rest).records);
      break;
    case 2:
      FramedSegment(data + 1, size - 1);
      break;
  }
  return 0;
}
