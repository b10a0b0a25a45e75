#include "dedup.h"

#include "hash.h"

namespace bangdan {

namespace {
// The set's load stays at most 3/4. Its slots are 8 bytes, eight to a cache
// line, so even a miss's probe run (about 8 slots at 3/4) reads a line or
// two, while the table is half the size it would be at 1/2 — and a window of
// tens of millions of ids is hundreds of MiB to fault in when a snapshot
// loads.
bool Crowded(uint64_t ids, size_t slots) { return ids * 4 > slots * 3; }
// Two fixed, unrelated seeds: the halves of the fingerprint must not be
// functions of each other.
constexpr uint64_t kSeedLo = 0x2d358dccaa6c78a5ull;
constexpr uint64_t kSeedHi = 0x8bb84b93962eacc9ull;
constexpr size_t kInitialSlots = 64;
}  // namespace

Fingerprint FingerprintOf(std::string_view id) {
  return Fingerprint{Hash64(id, kSeedLo), Hash64(id, kSeedHi)};
}

Dedup::Dedup(int64_t window_ms, uint64_t max_ids)
    : window_ms_(window_ms), max_ids_(max_ids), slots_(kInitialSlots, kEmpty) {}

size_t Dedup::RunOf(uint64_t seq) const {
  // The last run whose first seq is at most seq.
  size_t lo = 0, hi = runs_.size();
  while (hi - lo > 1) {
    const size_t mid = lo + (hi - lo) / 2;
    if (runs_[mid].first_seq <= seq) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return lo;
}

bool Dedup::InWindow(uint64_t seq, int64_t admitted_ms, int64_t recv_ms, uint64_t next_seq) const {
  // The window of the new event holds the max_ids admissions before it.
  return admitted_ms >= recv_ms - window_ms_ && seq + max_ids_ >= next_seq;
}

bool Dedup::Contains(const Fingerprint& fp, int64_t recv_ms, uint64_t next_seq) const {
  const size_t mask = slots_.size() - 1;
  const uint16_t tag = Tag(fp.lo);
  for (size_t i = fp.lo & mask;; i = (i + 1) & mask) {
    const uint64_t slot = slots_[i];
    if (slot == kEmpty) return false;
    if (static_cast<uint16_t>(slot) != tag) continue;
    const uint64_t seq = slot >> 16;
    if (fps_[seq - front_seq_] == fp) {
      return InWindow(seq, runs_[RunOf(seq)].recv_ms, recv_ms, next_seq);
    }
  }
}

void Dedup::Push(const Fingerprint& fp, int64_t recv_ms, uint64_t seq) {
  if (fps_.empty()) front_seq_ = seq;
  fps_.push_back(fp);
  AddToRuns(seq, recv_ms);
  // An id admitted again after it left the window replaces its old entry in
  // the set; the old FIFO entry stays until evicted and is skipped then.
  if (Crowded(fps_.size(), slots_.size())) Grow();
  SetInsert(seq, fp.lo);
}

void Dedup::SetInsert(uint64_t seq, uint64_t h) {
  const size_t mask = slots_.size() - 1;
  size_t i = h & mask;
  const uint16_t tag = Tag(h);
  const Fingerprint& fp = fps_[seq - front_seq_];
  for (;; i = (i + 1) & mask) {
    const uint64_t slot = slots_[i];
    if (slot == kEmpty) break;
    // The same id seen again (it had left the window): point at the new entry.
    if (static_cast<uint16_t>(slot) == tag && fps_[(slot >> 16) - front_seq_] == fp) break;
  }
  slots_[i] = seq << 16 | tag;
}

void Dedup::SetErase(uint64_t seq, uint64_t h) {
  const size_t mask = slots_.size() - 1;
  const uint64_t want = seq << 16 | Tag(h);
  size_t i = h & mask;
  for (;; i = (i + 1) & mask) {
    if (slots_[i] == kEmpty) return;  // replaced by a newer admission of the id
    if (slots_[i] == want) break;
  }
  // Backward-shift deletion: pull later members of the probe run into the
  // hole when their home slot lies at or before it.
  size_t hole = i;
  for (size_t j = (i + 1) & mask;; j = (j + 1) & mask) {
    const uint64_t slot = slots_[j];
    if (slot == kEmpty) break;
    const size_t home = fps_[(slot >> 16) - front_seq_].lo & mask;
    if (((j - home) & mask) >= ((j - hole) & mask)) {
      slots_[hole] = slot;
      hole = j;
    }
  }
  slots_[hole] = kEmpty;
}

void Dedup::PopAfter(uint64_t after_seq) {
  while (!fps_.empty() && back_seq() > after_seq) {
    SetErase(back_seq(), fps_.back().lo);
    if (runs_.back().first_seq == back_seq()) runs_.pop_back();
    fps_.pop_back();
  }
}

void Dedup::Evict(int64_t recv_ms, uint64_t seq) {
  while (!fps_.empty() && front_seq_ < seq) {
    // The first run holds front_seq_, so its receive time is the front's.
    if (InWindow(front_seq_, runs_.front().recv_ms, recv_ms, seq + 1)) break;
    SetErase(front_seq_, fps_.front().lo);
    fps_.pop_front();
    ++front_seq_;
    if (fps_.empty()) {
      runs_.clear();
    } else if (runs_.size() > 1 && runs_[1].first_seq == front_seq_) {
      runs_.pop_front();
    }
  }
}

void Dedup::AppendUnindexed(std::span<const Entry> entries, uint64_t first_seq) {
  if (fps_.empty()) front_seq_ = first_seq;
  uint64_t seq = front_seq_ + fps_.size();
  for (const Entry& e : entries) {
    fps_.push_back(e.fp);
    AddToRuns(seq++, e.recv_ms);
  }
}

void Dedup::Reindex() {
  size_t slots = kInitialSlots;
  while (Crowded(fps_.size(), slots)) slots *= 2;
  Rebuild(slots);
}

void Dedup::Grow() { Rebuild(slots_.size() * 2); }

// Refills the set from the FIFO in admission order: the FIFO is read
// sequentially, not once per slot at random, which on a large window is the
// difference between a pass over memory and a cache miss per id. An id
// admitted again after it left the window is met twice; SetInsert points it
// at the newer entry, as it did when the id came.
void Dedup::Rebuild(size_t slot_count) {
  slots_.assign(slot_count, kEmpty);
  const size_t mask = slot_count - 1;
  constexpr size_t kAhead = 32;
  const size_t n = fps_.size();
  for (size_t i = 0; i < n; ++i) {
    if (i + kAhead < n) __builtin_prefetch(&slots_[fps_[i + kAhead].lo & mask]);
    SetInsert(front_seq_ + i, fps_[i].lo);
  }
}

void Dedup::Clear() {
  fps_.clear();
  runs_.clear();
  front_seq_ = 1;
  slots_.assign(kInitialSlots, kEmpty);
}

size_t Dedup::MemoryBytes() const {
  return fps_.MemoryBytes() + runs_.MemoryBytes() + slots_.capacity() * sizeof(uint64_t);
}

}  // namespace bangdan
