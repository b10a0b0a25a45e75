// Engine::Deserialize: the engine's state from bytes (state_codec.h has the
// encoding, state_writer.cpp writes it).
//
// Orderings and hash tables are not stored; Deserialize rebuilds them (the
// orderings lazily, by marking every entry dirty). Every read is bounds-
// checked and every count checked against what the input can hold before
// anything is allocated for it.
#include <cstring>

#include "bangdan/engine.h"
#include "engine_impl.h"
#include "state_codec.h"

namespace bangdan {

namespace {

using state_codec::LoadLittleEndian;

// Every read checks the bounds; after the first failure all reads fail and
// return zeros, so callers test ok() at the points where a value matters.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool done() const { return pos_ == in_.size(); }
  size_t pos() const { return pos_; }
  uint8_t U8() { return static_cast<uint8_t>(Fixed(1)); }
  uint32_t U32() { return static_cast<uint32_t>(Fixed(4)); }
  uint64_t U64() { return Fixed(8); }
  int32_t I32() { return static_cast<int32_t>(static_cast<uint32_t>(Fixed(4))); }
  int64_t I64() { return static_cast<int64_t>(Fixed(8)); }
  std::string_view Bytes(size_t n) {
    if (!ok_ || in_.size() - pos_ < n) {
      ok_ = false;
      return {};
    }
    std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  // A count of items of at least `item_bytes` each: rejects counts the input
  // cannot hold, so that no allocation trusts a corrupt number.
  bool Count(uint64_t n, size_t item_bytes) {
    if (ok_ && n > (in_.size() - pos_) / item_bytes) ok_ = false;
    return ok_;
  }

 private:
  uint64_t Fixed(int n) {
    if (!ok_ || in_.size() - pos_ < static_cast<size_t>(n)) {
      ok_ = false;
      return 0;
    }
    const uint64_t v = LoadLittleEndian(in_.data() + pos_, n);
    pos_ += static_cast<size_t>(n);
    return v;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

Status Corrupt(const Reader& r, const std::string& what) {
  return Status::Corruption("engine state at byte " + std::to_string(r.pos()) + ": " + what);
}

// How far the ids and seqs of the entries may go.
struct Limits {
  uint32_t names[kDimensionCount];  // ids per dimension
  uint64_t seq;                     // the state's end_seq
  bool fuzzy;                       // end_seq > begin_seq (StateWriter in steps)
};

// Whether `sum` can be the sum of `events` values each within ±max: a state
// holds only sums the engine could have reached (SPEC §1 bounds every value),
// so that the events after it cannot overflow them sooner than the live
// engine's could.
bool Reachable(int64_t sum, uint64_t events, int64_t max) {
  const unsigned __int128 magnitude =
      sum < 0 ? static_cast<unsigned __int128>(-static_cast<__int128>(sum)) : sum;
  return magnitude <= static_cast<unsigned __int128>(events) * static_cast<uint64_t>(max);
}

constexpr int64_t kMaxValue[kMetricCount] = {kMaxWeightG, kMaxAmountFen, 1};
constexpr const char* kValueName[kMetricCount] = {"weight_g", "amount_fen", "orders"};

Status ReadWindow(Reader& r, const Limits& limits, Window* win) {
  win->weight_g = r.I64();
  win->amount_fen = r.I64();
  win->orders = r.I64();
  win->events = r.U64();
  win->last_seq = r.U64();
  if (!r.ok()) return Corrupt(r, "truncated window");
  if (win->last_seq > limits.seq) return Corrupt(r, "window newer than the state");
  const int64_t totals[kMetricCount] = {win->weight_g, win->amount_fen, win->orders};
  for (int m = 0; m < kMetricCount; ++m) {
    if (!Reachable(totals[m], win->events, kMaxValue[m])) {
      return Corrupt(r, std::string("window ") + kValueName[m] + " beyond its events");
    }
  }
  for (int f = 0; f < kFamilyCount; ++f) {
    BoardSet& set = win->sets[f];
    const uint32_t entity_limit = limits.names[static_cast<int>(kFamilies[f].dim)];
    const uint32_t scope_limit =
        set.scoped() ? limits.names[static_cast<int>(ScopeDimension(kFamilies[f].scope))] : 1;
    const uint64_t n = r.U32();
    if (!r.Count(n, 52)) return Corrupt(r, "entry count beyond the input");
    for (uint64_t i = 0; i < n; ++i) {
      const uint32_t scope = set.scoped() ? r.U32() : 0;
      const uint32_t entity = r.U32();
      int64_t value[kMetricCount];
      uint64_t seq[kMetricCount];
      for (int64_t& v : value) v = r.I64();
      for (uint64_t& q : seq) q = r.U64();
      if (!r.ok()) return Corrupt(r, "truncated entry");
      if (entity >= entity_limit || scope >= scope_limit) return Corrupt(r, "unknown name id");
      for (int m = 0; m < kMetricCount; ++m) {
        // No more events than the state's sequence can have changed it.
        if (!Reachable(value[m], limits.seq, kMaxValue[m])) {
          return Corrupt(r, std::string("entry ") + kValueName[m] + " beyond the events");
        }
      }
      for (uint64_t q : seq) {
        // Written at one instant, an entry is never newer than its window.
        if (q == 0 || q > (limits.fuzzy ? limits.seq : win->last_seq)) {
          return Corrupt(r, "entry seq out of range");
        }
      }
      if (!set.Restore(scope, entity, value, seq)) return Corrupt(r, "entry repeated");
    }
  }
  return Status::OK();
}

// The names of one dimension, `count` of them, in id order.
Status ReadNames(Reader& r, uint64_t count, Interner* names) {
  if (!r.Count(count, 4)) return Corrupt(r, "name count beyond the input");
  for (uint64_t id = 0; id < count; ++id) {
    const uint32_t len = r.U32();
    std::string_view name = r.Bytes(len);
    if (!r.ok()) return Corrupt(r, "truncated name");
    if (name.empty() || names->Intern(name) != id) return Corrupt(r, "bad or repeated name");
  }
  return Status::OK();
}

// Version 3: the fingerprints as they lie in memory, then the runs of receive
// times; copied into the FIFO a block at a time.
Status ReadFingerprintsAndRuns(Reader& r, uint64_t n, uint64_t front, Dedup* dedup) {
  const std::string_view fps = r.Bytes(n * 16);
  const uint64_t run_count = r.U64();
  if (!r.Count(run_count, 16)) return Corrupt(r, "dedup run count beyond the input");
  if ((run_count == 0) != (n == 0)) return Corrupt(r, "dedup runs do not cover the window");
  std::vector<Dedup::Run> runs(run_count);
  for (uint64_t i = 0; i < run_count; ++i) {
    runs[i] = Dedup::Run{r.U64(), r.I64()};
    if (r.ok() && !state_codec::IsTimeInRange(runs[i].recv_ms)) {
      return Corrupt(r, "dedup receive time " + std::to_string(runs[i].recv_ms) + " out of range");
    }
    const bool in_order = i == 0 ? runs[i].first_seq == front
                                 : runs[i].first_seq > runs[i - 1].first_seq &&
                                       runs[i].first_seq < front + n;
    if (!in_order) return Corrupt(r, "dedup run out of order or outside the window");
  }
  if (!r.ok()) return Corrupt(r, "truncated dedup window");
  dedup->AppendUnindexed(fps.data(), n, runs, front);
  return Status::OK();
}

// Versions 1 and 2: (fingerprint, recv_ms) for every id, decoded a chunk at a
// time.
Status ReadIdsWithTimes(Reader& r, uint64_t n, uint64_t front, Dedup* dedup) {
  const std::string_view ids = r.Bytes(n * 24);
  if (!r.ok()) return Corrupt(r, "truncated dedup window");
  constexpr uint64_t kChunk = 4096;
  std::vector<Dedup::Entry> chunk(std::min(n, kChunk));
  for (uint64_t from = 0; from < n; from += kChunk) {
    const uint64_t count = std::min(kChunk, n - from);
    const char* at = ids.data() + from * 24;
    for (uint64_t i = 0; i < count; ++i, at += 24) {
      chunk[i] = Dedup::Entry{Fingerprint{LoadLittleEndian(at, 8), LoadLittleEndian(at + 8, 8)},
                              static_cast<int64_t>(LoadLittleEndian(at + 16, 8))};
      if (!state_codec::IsTimeInRange(chunk[i].recv_ms)) {
        return Corrupt(r, "dedup receive time " + std::to_string(chunk[i].recv_ms) +
                              " out of range");
      }
    }
    dedup->AppendUnindexed(std::span(chunk).first(count), front);
  }
  return Status::OK();
}

// The dedup FIFO, checked against the state's sequence. The set is built once,
// at the end (Dedup::Reindex).
Status ReadDedup(Reader& r, uint32_t version, uint64_t applied_seq, Dedup* dedup) {
  const uint64_t n = r.U64();
  const uint64_t front = r.U64();
  if (!r.Count(n, version >= 3 ? 16 : 24)) return Corrupt(r, "dedup count beyond the input");
  if (n > 0 && (front == 0 || front + n - 1 != applied_seq)) {
    return Corrupt(r, "dedup window does not end at the state's sequence");
  }
  return version >= 3 ? ReadFingerprintsAndRuns(r, n, front, dedup)
                      : ReadIdsWithTimes(r, n, front, dedup);
}

}  // namespace

Status Engine::Deserialize(std::string_view in, LoadNotes* notes) {
  // Build aside and swap in on success: a bad input leaves the engine as it was.
  auto fresh = std::make_unique<Impl>(impl_->options);
  EngineState& s = *fresh;
  Reader r(in);
  std::string_view magic = r.Bytes(sizeof state_codec::kMagic);
  if (!r.ok() || magic != std::string_view(state_codec::kMagic, sizeof state_codec::kMagic)) {
    return Corrupt(r, "not an engine state (bad magic)");
  }
  const uint32_t version = r.U32();
  if (r.ok() && (version < 1 || version > state_codec::kVersion)) {
    return Corrupt(r, "unsupported version " + std::to_string(version));
  }
  const int32_t tz = r.I32();
  r.I32();  // keep_days, dedup window and max: this run's options apply
  r.I64();
  r.U64();
  s.applied_seq = s.admitted_seq = r.U64();
  Limits limits;
  limits.seq = version == 1 ? s.applied_seq : r.U64();
  const uint8_t has_clock = r.U8();
  s.clock_ms = r.I64();
  if (!r.ok()) return Corrupt(r, "truncated header");
  if (has_clock > 1) return Corrupt(r, "bad clock flag");
  if (!state_codec::IsTimeInRange(s.clock_ms)) {
    return Corrupt(r, "clock_ms " + std::to_string(s.clock_ms) + " out of range");
  }
  if (limits.seq < s.applied_seq) return Corrupt(r, "end_seq before begin_seq");
  limits.fuzzy = limits.seq > s.applied_seq;
  s.catch_up_seq = limits.seq;
  s.has_clock = has_clock == 1;
  for (int d = 0; d < kDimensionCount; ++d) {
    if (version == 1) {
      Status st = ReadNames(r, r.U32(), &s.names[d]);
      if (!st.ok()) return st;
      limits.names[d] = s.names[d].size();
    } else {
      limits.names[d] = r.U32();
      if (!r.Count(limits.names[d], 4)) return Corrupt(r, "name count beyond the input");
    }
  }
  Status st = ReadDedup(r, version, s.applied_seq, &s.dedup);
  if (!st.ok()) return st;
  s.dedup.Reindex();
  st = ReadWindow(r, limits, &s.total);
  if (!st.ok()) return st;
  const uint64_t days = r.U32();
  if (!r.Count(days, 4)) return Corrupt(r, "day count beyond the input");
  for (uint64_t i = 0; i < days; ++i) {
    const int32_t day = r.I32();
    if (!r.ok()) return Corrupt(r, "truncated day");
    if (!s.days.empty() && day <= s.days.rbegin()->first) return Corrupt(r, "days out of order");
    auto win = std::make_unique<Window>();
    st = ReadWindow(r, limits, win.get());
    if (!st.ok()) return st;
    s.days.emplace(day, std::move(win));
  }
  if (version != 1) {
    for (int d = 0; d < kDimensionCount; ++d) {
      st = ReadNames(r, limits.names[d], &s.names[d]);
      if (!st.ok()) return st;
    }
  }
  if (!r.done()) return Corrupt(r, "trailing bytes");
  // Day windows of another time zone are other calendar days: drop them (the
  // totals stay exact). A smaller keep_days frees the days it no longer keeps.
  if (tz != s.options.tz_offset_minutes) {
    if (notes != nullptr) *notes = LoadNotes{s.days.size(), tz};
    s.days.clear();
  }
  if (s.has_clock) {
    const int32_t oldest_kept = s.Today() - s.options.keep_days;
    while (!s.days.empty() && s.days.begin()->first < oldest_kept) s.days.erase(s.days.begin());
  }
  s.bound = SumBoundOf(s);  // not stored: the state's own sums bound it (sum_bound.h)
  impl_ = std::move(fresh);
  return Status::OK();
}

}  // namespace bangdan
