// StateWriter and Engine::Serialize: the state as bytes, in steps.
//
// The writer goes through the state in the order of the encoding
// (state_codec.h): the dedup FIFO, the total window, the day windows in
// ascending order, and the names last. What may change between two steps,
// and why each is still loaded and replayed right (docs/engine.md, "Snapshots
// in steps"):
//  - the dedup FIFO only grows at the back (beyond begin_seq, never written)
//    and is evicted at the front; should eviction pass the writer, it starts
//    the FIFO over from the new front.
//  - an entry's values move on: it carries the seq of its last change, which
//    replay compares; a new entry is appended to its set (entries never move),
//    so the sets are written up to their size at the time.
//  - a day's window may be created (one before the writer's current day is
//    then left to replay) or dropped (the rest of it is written empty; replay
//    drops it again).
//  - names are only appended, and come last, so every id an entry written
//    earlier holds is among them.
#include "bangdan/state_writer.h"

#include <algorithm>
#include <optional>

#include "bangdan/engine.h"
#include "engine_impl.h"
#include "state_codec.h"

namespace bangdan {

using state_codec::Writer;

namespace {

// The encoded size of the whole state: the buffer of a write in one step.
size_t EncodedSize(const EngineState& s) {
  size_t bytes = 8 + 4 + 4 + 4 + 8 + 8 + 8 + 8 + 1 + 8 + 4 * kDimensionCount + 8 + 8 + 4;
  for (const Interner& names : s.names) {
    for (uint32_t id = 0; id < names.size(); ++id) bytes += 4 + names.Name(id).size();
  }
  bytes += 16 * s.dedup.size() + 8 + 16 * s.dedup.run_count();
  auto window = [](const Window& w) {
    size_t b = 5 * 8;
    for (const BoardSet& set : w.sets) b += 4 + size_t{set.entry_count()} * (set.scoped() ? 56 : 52);
    return b;
  };
  bytes += window(s.total);
  for (const auto& [day, w] : s.days) bytes += 4 + window(*w);
  return bytes;
}

}  // namespace

struct StateWriter::Cursor {
  enum class Phase { kDedup, kWindows, kNames, kDone };

  explicit Cursor(size_t first_chunk) : w(first_chunk) {}

  // Notes where the state begins and writes the header: at the first Step.
  void Begin(const EngineState& s);
  void Dedup(const EngineState& s, size_t stop);
  void Windows(const EngineState& s, size_t stop);
  void Names(const EngineState& s, size_t stop);

  Phase phase = Phase::kDedup;
  Writer w;
  bool begun = false;
  uint64_t begin_seq = 0;
  uint64_t end_seq = 0;
  size_t end_seq_at = 0;     // where the header's end_seq goes
  size_t name_counts_at = 0; // where the header's name counts go
  // The dedup FIFO: items dedup_first … dedup_next - 1 are written, and the
  // runs of their receive times gathered, to follow them.
  size_t dedup_at = 0;
  uint64_t dedup_first = 0;
  uint64_t dedup_next = 0;
  std::vector<Dedup::Run> dedup_runs;
  static constexpr size_t kRunsNotStarted = SIZE_MAX;
  size_t runs_written = kRunsNotStarted;  // of dedup_runs, once the FIFO is all written
  // The windows: the total one, then the days.
  bool total_done = false;
  bool in_window = false;
  std::optional<int32_t> day;  // the day window being (or last) written
  int family = 0;
  uint32_t next_entry = 0;
  size_t count_at = 0;  // where the current set's entry count goes
  uint32_t days = 0;
  size_t days_at = 0;
  // The names.
  int dim = 0;
  uint32_t next_name = 0;
};

void StateWriter::Cursor::Begin(const EngineState& s) {
  begun = true;
  begin_seq = end_seq = s.applied_seq;
  w.Bytes(std::string_view(state_codec::kMagic, sizeof state_codec::kMagic));
  w.U32(state_codec::kVersion);
  w.I32(s.options.tz_offset_minutes);
  w.I32(s.options.keep_days);
  w.I64(s.options.dedup_window_ms);
  w.U64(s.options.dedup_max);
  w.U64(begin_seq);
  end_seq_at = w.pos();
  w.U64(end_seq);
  w.U8(s.has_clock ? 1 : 0);
  w.I64(s.clock_ms);
  name_counts_at = w.pos();
  for (int d = 0; d < kDimensionCount; ++d) w.U32(0);
  dedup_at = w.pos();
  w.U64(0);  // n
  w.U64(0);  // front_seq
  dedup_first = dedup_next = s.dedup.size() > 0 ? s.dedup.front_seq() : begin_seq + 1;
}

void StateWriter::Cursor::Dedup(const EngineState& s, size_t stop) {
  // Only applied admissions: the rest are not durable and not in this state.
  const uint64_t last = s.dedup.size() > 0 ? std::min(begin_seq, s.dedup.back_seq()) : 0;
  if (s.dedup.size() > 0 && s.dedup.front_seq() > dedup_next) {
    // Eviction passed what was written: those ids would go again in replay
    // anyway, so start over from the new front.
    w.Truncate(dedup_at + 16);
    dedup_first = dedup_next = s.dedup.front_seq();
    dedup_runs.clear();
    runs_written = kRunsNotStarted;
  }
  while (dedup_next <= last && w.pos() < stop) {
    const uint64_t to = std::min(last, dedup_next + (stop - w.pos()) / 16);
    s.dedup.ForEachIn(dedup_next, to, [this](const Fingerprint& fp, int64_t recv_ms, uint64_t seq) {
      w.U64(fp.lo);
      w.U64(fp.hi);
      if (dedup_runs.empty() || dedup_runs.back().recv_ms != recv_ms) {
        dedup_runs.push_back(Dedup::Run{seq, recv_ms});
      }
    });
    dedup_next = to + 1;
  }
  if (dedup_next <= last) return;
  if (runs_written == kRunsNotStarted) {
    const uint64_t n = dedup_next > dedup_first ? dedup_next - dedup_first : 0;
    w.PatchU64(dedup_at, n);
    w.PatchU64(dedup_at + 8, n == 0 ? 0 : dedup_first);
    w.U64(dedup_runs.size());
    runs_written = 0;
  }
  // Usually one run a frame, but one an event when every event comes at a
  // millisecond of its own: written in steps like the rest.
  while (runs_written < dedup_runs.size() && w.pos() < stop) {
    w.U64(dedup_runs[runs_written].first_seq);
    w.I64(dedup_runs[runs_written].recv_ms);
    ++runs_written;
  }
  if (runs_written < dedup_runs.size()) return;
  dedup_runs = {};
  phase = Phase::kWindows;
}

void StateWriter::Cursor::Windows(const EngineState& s, size_t stop) {
  while (w.pos() < stop) {
    if (!in_window) {
      // The next window: the total one, then each day after the last written.
      const Window* next = nullptr;
      if (!total_done) {
        next = &s.total;
      } else {
        auto it = day ? s.days.upper_bound(*day) : s.days.begin();
        if (it == s.days.end()) {
          w.PatchU32(days_at, days);
          phase = Phase::kNames;
          return;
        }
        day = it->first;
        next = it->second.get();
        w.I32(*day);
        ++days;
      }
      w.I64(next->weight_g);
      w.I64(next->amount_fen);
      w.I64(next->orders);
      w.U64(next->events);
      w.U64(next->last_seq);
      in_window = true;
      family = 0;
      next_entry = 0;
      count_at = w.pos();
      w.U32(0);
    }
    // A day's window dropped meanwhile is finished empty (replay drops it again).
    const Window* win = &s.total;
    if (total_done) {
      auto it = s.days.find(*day);
      win = it == s.days.end() ? nullptr : it->second.get();
    }
    while (family < kFamilyCount) {
      const BoardSet* set = win != nullptr ? &win->sets[family] : nullptr;
      const uint32_t end = set != nullptr ? set->entry_count() : next_entry;
      for (; next_entry < end && w.pos() < stop; ++next_entry) {
        const BoardSet::Entry& e = set->entry(next_entry);
        if (set->scoped()) w.U32(set->ScopeOf(next_entry));
        w.U32(e.entity);
        for (int64_t v : e.value) w.I64(v);
        for (uint64_t q : e.seq) w.U64(q);
      }
      if (next_entry < end) return;
      w.PatchU32(count_at, next_entry);
      if (++family < kFamilyCount) {
        next_entry = 0;
        count_at = w.pos();
        w.U32(0);
      }
    }
    in_window = false;
    if (!total_done) {
      total_done = true;
      days_at = w.pos();
      w.U32(0);
    }
  }
}

void StateWriter::Cursor::Names(const EngineState& s, size_t stop) {
  for (; dim < kDimensionCount; ++dim, next_name = 0) {
    const Interner& names = s.names[dim];
    for (; next_name < names.size() && w.pos() < stop; ++next_name) {
      const std::string_view name = names.Name(next_name);
      w.U32(static_cast<uint32_t>(name.size()));
      w.Bytes(name);
    }
    if (next_name < names.size()) return;
    w.PatchU32(name_counts_at + 4 * static_cast<size_t>(dim), next_name);
  }
  phase = Phase::kDone;
}

StateWriter::StateWriter(const Engine& engine) : StateWriter(engine, Writer::kChunk) {}

StateWriter::StateWriter(const Engine& engine, size_t first_chunk)
    : engine_(&engine), cursor_(std::make_unique<Cursor>(first_chunk)) {}

StateWriter::~StateWriter() = default;

bool StateWriter::Step(size_t budget_bytes) {
  const EngineState& s = *engine_->impl_;
  Cursor& c = *cursor_;
  if (!c.begun) c.Begin(s);
  // At least one byte, whatever the budget; never past the end of memory.
  const size_t stop = c.w.pos() + std::clamp<size_t>(budget_bytes, 1, SIZE_MAX - c.w.pos());
  c.end_seq = std::max(s.applied_seq, s.catch_up_seq);
  while (c.phase != Cursor::Phase::kDone && c.w.pos() < stop) {
    switch (c.phase) {
      case Cursor::Phase::kDedup: c.Dedup(s, stop); break;
      case Cursor::Phase::kWindows: c.Windows(s, stop); break;
      case Cursor::Phase::kNames: c.Names(s, stop); break;
      case Cursor::Phase::kDone: break;
    }
  }
  c.w.PatchU64(c.end_seq_at, c.end_seq);
  return c.phase == Cursor::Phase::kDone;
}

uint64_t StateWriter::begin_seq() const { return cursor_->begin_seq; }
uint64_t StateWriter::end_seq() const { return cursor_->end_seq; }
size_t StateWriter::size() const { return cursor_->w.pos(); }
void StateWriter::Reserve(size_t bytes) { cursor_->w.Reserve(bytes); }

std::string StateWriter::Take() { return cursor_->w.Take(); }
std::vector<std::string_view> StateWriter::Pieces() const { return cursor_->w.Pieces(); }

void Engine::Serialize(std::string* out) const {
  // One step into one buffer of the exact size: no chunks to join.
  StateWriter writer(*this, EncodedSize(*impl_));
  writer.Step(SIZE_MAX);
  if (out->empty()) {
    *out = writer.Take();
  } else {
    out->append(writer.Take());
  }
}

}  // namespace bangdan
