// Recovery: snapshot, then the log after it (recovery.h, docs/format.md).
//
// Segment i, named after its first sequence number F_i, contributes the
// records F_i … F_{i+1} - 1, in order, without gaps. What it holds after
// F_{i+1} - 1 was rolled back (an fsync failed and the log went on in a new
// segment) and is not read. Only the last segment may end in a torn record.
#include "bangdan/recovery.h"

#include <chrono>
#include <cstdio>
#include <deque>
#include <vector>

#include "bangdan/snapshot.h"
#include "storage/file_names.h"
#include "storage/log_reader.h"
#include "storage/record_codec.h"

namespace bangdan {
namespace {

// A --tz offset as the flag is written: +08:00, -03:30.
std::string TzText(int32_t minutes) {
  const int32_t m = minutes < 0 ? -minutes : minutes;
  char text[16];
  std::snprintf(text, sizeof text, "%c%02d:%02d", minutes < 0 ? '-' : '+', m / 60, m % 60);
  return text;
}

Status At(const std::string& path, uint64_t offset, const std::string& what) {
  return Status::Corruption(path + ": offset " + std::to_string(offset) + ": " + what);
}

Status LoadNewestSnapshot(Env* env, const std::string& dir, Engine* engine,
                          RecoveryStats* stats) {
  std::string name;
  uint64_t seq = 0;
  Status s = FindNewestSnapshot(env, dir, &name, &seq);
  if (s.IsNotFound()) return Status::OK();
  if (!s.ok()) return s;
  const std::string path = JoinPath(dir, name);
  std::unique_ptr<FileContents> file;
  std::string_view payload;
  s = ReadSnapshot(env, path, &seq, &file, &payload);
  if (!s.ok()) return s;
  Engine::LoadNotes notes;
  s = engine->Deserialize(payload, &notes);
  if (!s.ok()) return At(path, 32, "engine state: " + s.message());
  if (notes.days_dropped_for_tz > 0) {
    stats->warnings.push_back(path + ": written at --tz " + TzText(notes.state_tz_offset_minutes) +
                              ", not " + TzText(engine->options().tz_offset_minutes) + ": its " +
                              std::to_string(notes.days_dropped_for_tz) +
                              " day window(s) are other calendar days and were dropped; the"
                              " total window is whole, the day windows count from the log on");
  }
  if (engine->applied_seq() != seq) {
    return At(path, 32, "engine state is at sequence number " +
                            std::to_string(engine->applied_seq()) + ", header says " +
                            std::to_string(seq));
  }
  stats->snapshot_file = name;
  stats->snapshot_seq = seq;
  return Status::OK();
}

// Replays what segment `path` holds from `first_seq` up to `limit` (the last
// sequence number it may hold), skipping what the engine already has.
// *next_seq: the sequence number after the segment's last record read.
Status ReplaySegment(Env* env, const std::string& path, uint64_t first_seq, uint64_t limit,
                     bool last, Engine* engine, ReplayPipeline* replay, RecoveryStats* stats,
                     uint64_t* next_seq) {
  // Mapped, not copied (see Env::ReadFileContents): a segment is 64 MiB.
  std::unique_ptr<FileContents> file;
  Status s = env->ReadFileContents(path, &file);
  if (!s.ok()) return s;
  const std::string_view data = file->data();
  stats->bytes_read += data.size();
  stats->segments_read++;

  log::Reader reader(data);
  std::string scratch;
  std::string_view record;
  uint64_t offset = 0;
  uint64_t expected = first_seq;
  bool reached_limit = false;
  // Events go to the engine in batches (ReplayBatch overlaps their memory
  // loads; with a helper thread, the pipeline puts a batch on the boards while
  // the next is decoded and admitted). Their fields point into the records:
  // into `data`, or, for a record that spanned blocks, into a copy kept until
  // the batch is added.
  constexpr size_t kBatch = 8192;
  std::vector<LoggedEvent> batch;
  std::vector<uint64_t> offsets;
  std::deque<std::string> copies;
  auto flush = [&]() -> Status {
    size_t failed;
    Status st = replay->Add(batch, &failed);
    stats->events_replayed += failed;
    // A repeated id may be in an earlier batch: Recover names its record.
    if (!st.ok() && replay->repeat().seq != 0) return st;
    if (!st.ok()) return At(path, offsets[failed], st.message());
    batch.clear();
    offsets.clear();
    copies.clear();
    return Status::OK();
  };
  while (!reached_limit && reader.ReadRecord(&record, &scratch, &offset)) {
    if (record.data() < data.data() || record.data() >= data.data() + data.size()) {
      record = copies.emplace_back(record);
    }
    LoggedEvent logged;
    s = log::DecodeEvent(record, &logged.event, &logged.seq, &logged.recv_ms);
    if (!s.ok()) return At(path, offset, s.message());
    if (logged.seq != expected) {
      return At(path, offset, "sequence number " + std::to_string(logged.seq) + " where " +
                                  std::to_string(expected) + " was expected");
    }
    ++expected;
    // Past `limit` the segment holds rolled-back records: stop here.
    reached_limit = (logged.seq == limit);
    if (logged.seq <= engine->applied_seq()) continue;  // in the snapshot
    batch.push_back(logged);
    offsets.push_back(offset);
    if (batch.size() == kBatch) {
      s = flush();
      if (!s.ok()) return s;
    }
  }
  s = flush();
  if (!s.ok()) return s;
  *next_seq = expected;
  if (reached_limit) return Status::OK();

  switch (reader.end()) {
    case log::Reader::End::kCorruption:
      return At(path, reader.damage_offset(), reader.damage());
    case log::Reader::End::kTorn:
      if (!last) return At(path, reader.damage_offset(), reader.damage());
      {
        const uint64_t dropped = data.size() - reader.valid_end();
        // What is cut goes to <segment>.torn first (the last cut only): a
        // torn write and damage inside the last block look alike (docs/
        // format.md, "Reading: torn tail or corruption"), and the bytes
        // let an operator tell which after the fact.
        const std::string kept = path + ".torn";
        s = WriteStringToFileSync(env, data.substr(reader.valid_end()), kept);
        if (!s.ok()) return s;
        // A mapping must not outlive the bytes truncation takes away; what the
        // reader tells below it holds itself (and the pipeline keeps no event
        // bytes past Add).
        file.reset();
        s = env->TruncateFile(path, reader.valid_end());
        if (!s.ok()) return s;
        stats->torn_bytes_dropped += dropped;
        stats->warnings.push_back(path + ": torn record at offset " +
                                  std::to_string(reader.damage_offset()) + " (" +
                                  reader.damage() + "): cut " + std::to_string(dropped) +
                                  " bytes off the end of the log (kept in " + kept + ")");
      }
      return Status::OK();
    case log::Reader::End::kClean:
    case log::Reader::End::kNotYet:
      break;
  }
  if (!last) {
    return At(path, data.size(), "segment ends before sequence number " +
                                     std::to_string(expected) + "; the next segment starts at " +
                                     std::to_string(limit + 1));
  }
  return Status::OK();
}

// The error for an event that repeats an id within the dedup window, found
// after its segment was read (ReplayPipeline checks ids in bulk): it names
// the event's record, read again from its segment, and its id.
Status RepeatAt(Env* env, const std::string& dir, const std::vector<SegmentFile>& segments,
                const ReplayPipeline::Repeat& repeat) {
  const std::string what = "replay: sequence " + std::to_string(repeat.seq) + " repeats id '";
  const std::string earlier = "' of sequence " + std::to_string(repeat.earlier_seq) +
                              " within the dedup window";
  const SegmentFile* holder = nullptr;
  for (const SegmentFile& segment : segments) {
    if (segment.first_seq <= repeat.seq) holder = &segment;
  }
  if (holder != nullptr) {
    const std::string path = JoinPath(dir, holder->name);
    std::unique_ptr<FileContents> file;
    if (env->ReadFileContents(path, &file).ok()) {
      log::Reader reader(file->data());
      std::string scratch;
      std::string_view record;
      uint64_t offset = 0;
      while (reader.ReadRecord(&record, &scratch, &offset)) {
        LoggedEvent logged;
        if (!log::DecodeEvent(record, &logged.event, &logged.seq, &logged.recv_ms).ok()) break;
        if (logged.seq == repeat.seq) {
          return At(path, offset, what + std::string(logged.event.id) + earlier);
        }
      }
    }
  }
  return Status::Corruption(what + "?" + earlier);
}

}  // namespace

Status LockDataDir(Env* env, const std::string& dir, std::unique_ptr<FileLock>* lock) {
  Status s = env->CreateDir(dir);
  if (!s.ok()) return s;
  return env->LockFile(JoinPath(dir, "LOCK"), lock);
}

Status Recover(Env* env, const std::string& dir, Engine* engine, RecoveryStats* stats,
               const RecoveryProgress& progress) {
  const auto start = std::chrono::steady_clock::now();
  auto elapsed_us = [&start] {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::steady_clock::now() - start)
                                     .count());
  };
  *stats = RecoveryStats();
  Status s = env->CreateDir(dir);
  if (!s.ok()) return s;

  std::vector<std::string> names;
  s = env->GetChildren(dir, &names);
  if (!s.ok()) return s;
  for (const auto& name : names) {
    if (!IsTempFileName(name)) continue;
    s = env->RemoveFile(JoinPath(dir, name));
    if (!s.ok()) return s;
    stats->warnings.push_back(JoinPath(dir, name) + ": removed (an interrupted write)");
  }

  s = LoadNewestSnapshot(env, dir, engine, stats);
  if (!s.ok()) return s;

  std::vector<SegmentFile> segments;
  s = ListSegments(env, dir, &segments);
  if (!s.ok()) return s;
  // Start at the segment holding the first sequence number after the
  // snapshot; the ones before are covered by it.
  uint64_t next = engine->applied_seq() + 1;
  size_t first = 0;
  for (size_t i = 0; i < segments.size(); ++i) {
    if (segments[i].first_seq <= next) first = i;
  }
  if (first < segments.size() && segments[first].first_seq > next) {
    return At(JoinPath(dir, segments[first].name), 0,
              "log starts at sequence number " + std::to_string(segments[first].first_seq) +
                  " but the state ends at " + std::to_string(next - 1) +
                  " (a segment is missing)");
  }
  // The env's helper thread, if it has one, puts events on the boards beside
  // the decoding and admitting (bangdan/helper.h); declared first, it
  // outlives `replay`, whose end waits for it.
  const std::unique_ptr<Helper> helper = env->NewHelper();
  ReplayPipeline replay(engine, helper.get());
  const size_t to_replay = segments.size() - std::min(first, segments.size());
  auto report = [&](size_t done) {
    if (!progress) return;
    stats->elapsed_us = elapsed_us();
    progress(*stats, done, to_replay);
  };
  report(0);
  for (size_t i = first; i < segments.size(); ++i) {
    const bool last = (i + 1 == segments.size());
    const uint64_t limit = last ? UINT64_MAX : segments[i + 1].first_seq - 1;
    s = ReplaySegment(env, JoinPath(dir, segments[i].name), segments[i].first_seq, limit, last,
                      engine, &replay, stats, &next);
    if (!s.ok() && replay.repeat().seq != 0) return RepeatAt(env, dir, segments, replay.repeat());
    if (!s.ok()) return s;
    if (!last) report(i + 1 - first);
  }
  s = replay.Finish();
  if (!s.ok()) return replay.repeat().seq != 0 ? RepeatAt(env, dir, segments, replay.repeat()) : s;
  stats->replayed_without_sums = !replay.summing();

  // A snapshot written in steps holds some effects of the events up to its
  // end_seq: without them in the log the state cannot be made exact.
  if (engine->applied_seq() < engine->catch_up_seq()) {
    return Status::Corruption(JoinPath(dir, stats->snapshot_file) + ": holds events up to seq " +
                              std::to_string(engine->catch_up_seq()) +
                              " but the log ends at seq " + std::to_string(engine->applied_seq()));
  }
  stats->last_seq = engine->applied_seq();
  stats->elapsed_us = elapsed_us();
  report(to_replay);
  return Status::OK();
}

}  // namespace bangdan
