// The engine's state as bytes: Engine::Serialize and Engine::Deserialize.
//
// Little-endian, fixed-width fields, in this order (docs/engine.md has the
// grammar):
//   "BDENGINE" u32 version
//   i32 tz_offset_minutes  i32 keep_days  i64 dedup_window_ms  u64 dedup_max
//   u64 applied_seq  u8 has_clock  i64 clock_ms
//   5 × (u32 n, n × (u32 len, bytes))         interned names, in id order
//   u64 n  u64 front_seq  n × (u64 lo, u64 hi, i64 recv_ms)   dedup FIFO
//   window "total", u32 days, days × (i32 day, window)
// window := i64 weight_g i64 amount_fen i64 orders u64 events u64 last_seq
//           10 × (u32 n, n × ([u32 scope] u32 entity 3×i64 value 3×u64 seq))
// Entries go in their sets' order (order of first appearance), names in id
// order: both are functions of the event sequence, so equal histories give
// equal bytes. Orderings and hash tables are not stored; Deserialize rebuilds
// them (the orderings lazily, by marking every entry dirty).
#include <cstring>

#include "bangdan/engine.h"
#include "engine_impl.h"

namespace bangdan {

namespace {

constexpr char kMagic[8] = {'B', 'D', 'E', 'N', 'G', 'I', 'N', 'E'};
constexpr uint32_t kVersion = 1;

// Writes into a string sized ahead (Serialize computes the exact size), so
// that each field is one store rather than one append.
class Writer {
 public:
  Writer(std::string* out, size_t expected) : out_(out), pos_(out->size()) {
    out_->resize(pos_ + expected);
  }
  ~Writer() { out_->resize(pos_); }
  void U8(uint8_t v) { Fixed(v, 1); }
  void U32(uint32_t v) { Fixed(v, 4); }
  void U64(uint64_t v) { Fixed(v, 8); }
  void I32(int32_t v) { Fixed(static_cast<uint32_t>(v), 4); }
  void I64(int64_t v) { Fixed(static_cast<uint64_t>(v), 8); }
  void Bytes(std::string_view s) {
    Reserve(s.size());
    std::memcpy(out_->data() + pos_, s.data(), s.size());
    pos_ += s.size();
  }

 private:
  void Reserve(size_t n) {
    if (out_->size() - pos_ < n) out_->resize(2 * out_->size() + n);  // only if the estimate was short
  }
  void Fixed(uint64_t v, int n) {
    Reserve(8);
    char* p = out_->data() + pos_;
    for (int i = 0; i < n; ++i) p[i] = static_cast<char>(v >> (8 * i));
    pos_ += static_cast<size_t>(n);
  }
  std::string* out_;
  size_t pos_;
};

// The encoded size of the state, for Writer.
size_t EncodedSize(const EngineState& s) {
  size_t bytes = 8 + 4 + 4 + 4 + 8 + 8 + 8 + 1 + 8 + 8 + 8 + 4;
  for (const Interner& names : s.names) {
    bytes += 4;
    for (uint32_t id = 0; id < names.size(); ++id) bytes += 4 + names.Name(id).size();
  }
  bytes += 24 * s.dedup.size();
  auto window = [](const Window& w) {
    size_t b = 5 * 8;
    for (const BoardSet& set : w.sets) b += 4 + size_t{set.entry_count()} * (set.scoped() ? 56 : 52);
    return b;
  };
  bytes += window(s.total);
  for (const auto& [day, w] : s.days) bytes += 4 + window(*w);
  return bytes;
}

// The n-byte little-endian integer at p.
uint64_t LoadLittleEndian(const char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= uint64_t{static_cast<uint8_t>(p[i])} << (8 * i);
  return v;
}

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

void WriteWindow(Writer& w, const Window& win) {
  w.I64(win.weight_g);
  w.I64(win.amount_fen);
  w.I64(win.orders);
  w.U64(win.events);
  w.U64(win.last_seq);
  for (const BoardSet& set : win.sets) {
    w.U32(set.entry_count());
    for (uint32_t i = 0; i < set.entry_count(); ++i) {
      const BoardSet::Entry& e = set.entry(i);
      if (set.scoped()) w.U32(set.ScopeOf(i));
      w.U32(e.entity);
      for (int64_t v : e.value) w.I64(v);
      for (uint64_t q : e.seq) w.U64(q);
    }
  }
}

Status Corrupt(const Reader& r, const std::string& what) {
  return Status::Corruption("engine state at byte " + std::to_string(r.pos()) + ": " + what);
}

Status ReadWindow(Reader& r, const EngineState& s, Window* win) {
  win->weight_g = r.I64();
  win->amount_fen = r.I64();
  win->orders = r.I64();
  win->events = r.U64();
  win->last_seq = r.U64();
  if (!r.ok()) return Corrupt(r, "truncated window");
  if (win->last_seq > s.applied_seq) return Corrupt(r, "window newer than the state");
  for (int f = 0; f < kFamilyCount; ++f) {
    BoardSet& set = win->sets[f];
    const uint32_t entity_limit = s.names[static_cast<int>(kFamilies[f].dim)].size();
    const uint32_t scope_limit =
        set.scoped() ? s.names[static_cast<int>(ScopeDimension(kFamilies[f].scope))].size() : 1;
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
      for (uint64_t q : seq) {
        if (q == 0 || q > win->last_seq) return Corrupt(r, "entry seq out of range");
      }
      if (!set.Restore(scope, entity, value, seq)) return Corrupt(r, "entry repeated");
    }
  }
  return Status::OK();
}

}  // namespace

void Engine::Serialize(std::string* out) const {
  const EngineState& s = *impl_;
  Writer w(out, EncodedSize(s));
  w.Bytes(std::string_view(kMagic, sizeof kMagic));
  w.U32(kVersion);
  w.I32(s.options.tz_offset_minutes);
  w.I32(s.options.keep_days);
  w.I64(s.options.dedup_window_ms);
  w.U64(s.options.dedup_max);
  w.U64(s.applied_seq);
  w.U8(s.has_clock ? 1 : 0);
  w.I64(s.clock_ms);
  for (const Interner& names : s.names) {
    w.U32(names.size());
    for (uint32_t id = 0; id < names.size(); ++id) {
      w.U32(static_cast<uint32_t>(names.Name(id).size()));
      w.Bytes(names.Name(id));
    }
  }
  // Only applied admissions: the rest are not durable and not in this state.
  uint64_t n = 0;
  s.dedup.ForEach([&](const Fingerprint&, int64_t, uint64_t seq) { n += seq <= s.applied_seq; });
  w.U64(n);
  w.U64(n == 0 ? 0 : s.dedup.front_seq());
  s.dedup.ForEach([&](const Fingerprint& fp, int64_t recv_ms, uint64_t seq) {
    if (seq > s.applied_seq) return;
    w.U64(fp.lo);
    w.U64(fp.hi);
    w.I64(recv_ms);
  });
  WriteWindow(w, s.total);
  w.U32(static_cast<uint32_t>(s.days.size()));
  for (const auto& [day, win] : s.days) {
    w.I32(day);
    WriteWindow(w, *win);
  }
}

Status Engine::Deserialize(std::string_view in) {
  // Build aside and swap in on success: a bad input leaves the engine as it was.
  auto fresh = std::make_unique<Impl>(impl_->options);
  EngineState& s = *fresh;
  Reader r(in);
  std::string_view magic = r.Bytes(sizeof kMagic);
  if (!r.ok() || magic != std::string_view(kMagic, sizeof kMagic)) {
    return Corrupt(r, "not an engine state (bad magic)");
  }
  const uint32_t version = r.U32();
  if (r.ok() && version != kVersion) {
    return Corrupt(r, "unsupported version " + std::to_string(version));
  }
  const int32_t tz = r.I32();
  r.I32();  // keep_days, dedup window and max: this run's options apply
  r.I64();
  r.U64();
  s.applied_seq = s.admitted_seq = r.U64();
  const uint8_t has_clock = r.U8();
  s.clock_ms = r.I64();
  if (!r.ok()) return Corrupt(r, "truncated header");
  if (has_clock > 1) return Corrupt(r, "bad clock flag");
  s.has_clock = has_clock == 1;
  for (int d = 0; d < kDimensionCount; ++d) {
    const uint64_t n = r.U32();
    if (!r.Count(n, 4)) return Corrupt(r, "name count beyond the input");
    for (uint64_t id = 0; id < n; ++id) {
      const uint32_t len = r.U32();
      std::string_view name = r.Bytes(len);
      if (!r.ok()) return Corrupt(r, "truncated name");
      if (name.empty() || s.names[d].Intern(name) != id) return Corrupt(r, "bad or repeated name");
    }
  }
  const uint64_t n = r.U64();
  const uint64_t front = r.U64();
  if (!r.Count(n, 24)) return Corrupt(r, "dedup count beyond the input");
  if (n > 0 && (front == 0 || front + n - 1 != s.applied_seq)) {
    return Corrupt(r, "dedup window does not end at the state's sequence");
  }
  s.dedup.Reserve(n);
  // Each id lands in a random slot of a set that can be hundreds of MiB: the
  // slot of the id 16 places ahead starts loading while this one is stored.
  const std::string_view ids = r.Bytes(n * 24);
  if (!r.ok()) return Corrupt(r, "truncated dedup window");
  auto le64 = [&ids](size_t at) { return LoadLittleEndian(ids.data() + at, 8); };
  constexpr uint64_t kAhead = 16;
  for (uint64_t i = 0; i < n; ++i) {
    if (i + kAhead < n) s.dedup.Prefetch(Fingerprint{le64((i + kAhead) * 24), 0});
    const Fingerprint fp{le64(i * 24), le64(i * 24 + 8)};
    const int64_t recv_ms = static_cast<int64_t>(le64(i * 24 + 16));
    s.dedup.Push(fp, recv_ms, front + i);
  }
  Status st = ReadWindow(r, s, &s.total);
  if (!st.ok()) return st;
  const uint64_t days = r.U32();
  if (!r.Count(days, 4)) return Corrupt(r, "day count beyond the input");
  for (uint64_t i = 0; i < days; ++i) {
    const int32_t day = r.I32();
    if (!r.ok()) return Corrupt(r, "truncated day");
    if (!s.days.empty() && day <= s.days.rbegin()->first) return Corrupt(r, "days out of order");
    auto win = std::make_unique<Window>();
    st = ReadWindow(r, s, win.get());
    if (!st.ok()) return st;
    s.days.emplace(day, std::move(win));
  }
  if (!r.done()) return Corrupt(r, "trailing bytes");
  // Day windows of another time zone are other calendar days: drop them (the
  // totals stay exact). A smaller keep_days frees the days it no longer keeps.
  if (tz != s.options.tz_offset_minutes) s.days.clear();
  if (s.has_clock) {
    const int32_t oldest_kept = s.Today() - s.options.keep_days;
    while (!s.days.empty() && s.days.begin()->first < oldest_kept) s.days.erase(s.days.begin());
  }
  impl_ = std::move(fresh);
  return Status::OK();
}

}  // namespace bangdan
