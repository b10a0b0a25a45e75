#include "dedup.h"

#include <bit>

#include "hash.h"
#include "state_codec.h"

namespace bangdan {

namespace {
// The set's load stays at most 3/4. Its slots are 8 bytes, eight to a cache
// line, so even a miss's probe run (about 8 slots at 3/4) reads a line or
// two, while the table is half the size it would be at 1/2 — and a window of
// tens of millions of ids is hundreds of MiB to fault in when a snapshot
// loads.
bool Crowded(uint64_t ids, size_t slots) { return ids * 4 > slots * 3; }
// Slots per shard to begin with: 256 shards × 16 × 8 bytes = 32 KiB.
constexpr size_t kInitialShardSlots = 16;
// Two fixed, unrelated seeds: the halves of the fingerprint must not be
// functions of each other.
constexpr uint64_t kSeedLo = 0x2d358dccaa6c78a5ull;
constexpr uint64_t kSeedHi = 0x8bb84b93962eacc9ull;
}  // namespace

Fingerprint FingerprintOf(std::string_view id) {
  return Fingerprint{Hash64(id, kSeedLo), Hash64(id, kSeedHi)};
}

Dedup::Dedup(int64_t window_ms, uint64_t max_ids)
    : window_ms_(window_ms), max_ids_(max_ids), set_(kInitialShardSlots, kEmpty) {}

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
  const Set::Shard& shard = set_.For(fp.lo);
  const std::vector<uint64_t>& slots = shard.slots;
  const size_t mask = shard.mask;
  const uint64_t bits = HashBits(fp.lo);
  for (size_t i = bits & mask;; i = (i + 1) & mask) {
    const uint64_t slot = slots[i];
    if (slot == kEmpty) return false;
    if (HashBitsOf(slot) != bits) continue;
    const uint64_t seq = SeqOf(slot);
    if (fps_[seq - front_seq_] == fp) {
      return InWindow(seq, runs_[RunOf(seq)].recv_ms, recv_ms, next_seq);
    }
  }
}

void Dedup::Append(const Fingerprint& fp, int64_t recv_ms, uint64_t seq) {
  if (fps_.empty()) front_seq_ = seq;
  fps_.push_back(fp);
  AddToRuns(seq, recv_ms);
}

void Dedup::Push(const Fingerprint& fp, int64_t recv_ms, uint64_t seq) {
  Append(fp, recv_ms, seq);
  // An id admitted again after it left the window replaces its old entry in
  // the set; the old FIFO entry stays until evicted and is skipped then.
  SetInsert(seq, fp.lo);
}

void Dedup::PushUnchecked(const Fingerprint& fp, int64_t recv_ms, uint64_t seq) {
  Append(fp, recv_ms, seq);
  ++pending_;
}

uint64_t Dedup::InsertSlot(Set::Shard& shard, uint64_t slot) {
  if (Crowded(shard.count + 1, shard.slots.size())) Grow(shard);
  std::vector<uint64_t>& slots = shard.slots;
  const size_t mask = shard.mask;
  const uint64_t bits = HashBitsOf(slot);
  const Fingerprint& fp = fps_[SeqOf(slot) - front_seq_];
  uint64_t replaced = 0;
  size_t i = bits & mask;
  for (;; i = (i + 1) & mask) {
    const uint64_t other = slots[i];
    if (other == kEmpty) {
      ++shard.count;
      break;
    }
    // The same id seen again (it had left the window): point at the new entry.
    if (HashBitsOf(other) == bits && fps_[SeqOf(other) - front_seq_] == fp) {
      replaced = SeqOf(other);
      break;
    }
  }
  slots[i] = slot;
  return replaced;
}

void Dedup::InsertChecked(Set::Shard& shard, uint64_t slot, uint64_t check_from) {
  const uint64_t earlier = InsertSlot(shard, slot);
  const uint64_t seq = SeqOf(slot);
  if (earlier == 0 || seq < check_from) return;
  if (!InWindow(earlier, RecvMsOf(earlier), RecvMsOf(seq), seq)) return;
  if (repeat_.seq == 0 || seq < repeat_.seq) repeat_ = Repeat{seq, earlier};
}

// Most of the window pending (a replay from an empty or small window): the
// whole set is built again in Reindex's passes over memory, which cost far
// less than a miss an id. A few (a replay whose window evicts as it goes):
// they are inserted in order, each slot loaded a few ids ahead.
void Dedup::IndexPending() {
  if (pending_ == 0) return;
  const uint64_t from = back_seq() + 1 - pending_;
  if (pending_ * 2 >= fps_.size()) {
    Rebuild(from);
  } else {
    constexpr uint64_t kAhead = 16;
    for (uint64_t seq = from; seq <= back_seq(); ++seq) {
      if (seq + kAhead <= back_seq()) Prefetch(fps_[seq + kAhead - front_seq_]);
      const uint64_t h = fps_[seq - front_seq_].lo;
      InsertChecked(set_.For(h), MakeSlot(seq, h), from);
    }
  }
  pending_ = 0;
}

void Dedup::SetErase(uint64_t seq, uint64_t h) {
  Set::Shard& shard = set_.For(h);
  std::vector<uint64_t>& slots = shard.slots;
  const size_t mask = shard.mask;
  const uint64_t want = MakeSlot(seq, h);
  size_t i = HashBits(h) & mask;
  for (;; i = (i + 1) & mask) {
    if (slots[i] == kEmpty) return;  // replaced by a newer admission of the id
    if (slots[i] == want) break;
  }
  // Backward-shift deletion: pull later members of the probe run into the
  // hole when their home slot lies at or before it.
  size_t hole = i;
  for (size_t j = (i + 1) & mask;; j = (j + 1) & mask) {
    const uint64_t slot = slots[j];
    if (slot == kEmpty) break;
    const size_t home = HashBitsOf(slot) & mask;
    if (((j - home) & mask) >= ((j - hole) & mask)) {
      slots[hole] = slot;
      hole = j;
    }
  }
  slots[hole] = kEmpty;
  --shard.count;
}

// A slot carries the hash bits that place it, so moving one reads nothing
// else: a shard's growth costs a pass over its own slots.
void Dedup::Grow(Set::Shard& shard) {
  set_.Resize(
      shard, shard.slots.size() * 2, [](uint64_t slot) { return slot == kEmpty; },
      [](uint64_t slot) { return HashBitsOf(slot); }, [](uint64_t) {});
}

void Dedup::PopAfter(uint64_t after_seq) {
  while (!fps_.empty() && back_seq() > after_seq) {
    if (pending_ > 0) {
      --pending_;  // never in the set
    } else {
      SetErase(back_seq(), fps_.back().lo);
    }
    if (runs_.back().first_seq == back_seq()) runs_.pop_back();
    fps_.pop_back();
  }
}

void Dedup::Evict(int64_t recv_ms, uint64_t seq) {
  while (!fps_.empty() && front_seq_ < seq) {
    // The first run holds front_seq_, so its receive time is the front's.
    if (InWindow(front_seq_, runs_.front().recv_ms, recv_ms, seq + 1)) break;
    // The admission about to go could be the one a pending id repeats.
    if (pending_ > 0) IndexPending();
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

void Dedup::AppendUnindexed(const char* fingerprints, uint64_t n, std::span<const Run> runs,
                            uint64_t first_seq) {
  if (n == 0) return;
  front_seq_ = first_seq;
  if constexpr (std::endian::native == std::endian::little) {
    fps_.append(fingerprints, n);  // the stored layout is the in-memory one
  } else {
    for (uint64_t i = 0; i < n; ++i, fingerprints += 16) {
      fps_.push_back(Fingerprint{state_codec::LoadLittleEndian(fingerprints, 8),
                                 state_codec::LoadLittleEndian(fingerprints + 8, 8)});
    }
  }
  runs_.append(runs.data(), runs.size());
}

// Indexes the FIFO. Inserting the ids in FIFO order straight into the set
// writes 20 M random slots of a 256 MiB set for a 20 M-id window: a cache miss
// and a write-back each, most of a snapshot load's own work. So it goes in two
// passes over memory that is needed anyway:
//  1. The FIFO is read in order and each id's slot is staged at the front of
//     its shard's own array (256 sequential streams).
//  2. Shard by shard, the staged slots are copied aside, the array is
//     cleared, and they are inserted again: one shard's array (1 MiB for a
//     20 M-id window) stays in cache while it fills.
// Each shard gets its ids in FIFO order and grows by the same rule, so the
// set is the same, slot for slot, as inserting them one by one; an id
// admitted again after it left the window points at its newer entry, as it
// did when the id came. Each shard is first sized for its share of the ids,
// so few grow on the way; ids that find their shard's array already full of
// staged slots (a shard far above its share) are inserted last, in order.
void Dedup::Rebuild(uint64_t check_from) {
  size_t each = kInitialShardSlots;
  // A shard gets about n / kShards ids; room for 1/8 more absorbs the spread.
  const size_t share = fps_.size() / Set::kShards;
  while (Crowded(share + share / 8, each)) each *= 2;
  set_.Reset(each);
  const size_t n = fps_.size();
  std::vector<std::pair<size_t, uint64_t>> spilled;  // {shard, slot}, in FIFO order
  for (size_t i = 0; i < n; ++i) {
    const uint64_t h = fps_[i].lo;
    const size_t s = Set::ShardIndex(h);
    Set::Shard& shard = set_.at(s);
    const uint64_t slot = MakeSlot(front_seq_ + i, h);
    if (shard.count < each) {
      shard.slots[shard.count++] = slot;
    } else {
      spilled.emplace_back(s, slot);
    }
  }
  std::vector<uint64_t> staged;
  staged.reserve(each);
  constexpr size_t kAhead = 16;
  for (size_t s = 0; s < Set::kShards; ++s) {
    Set::Shard& shard = set_.at(s);
    staged.assign(shard.slots.begin(), shard.slots.begin() + static_cast<ptrdiff_t>(shard.count));
    std::fill(shard.slots.begin(), shard.slots.end(), kEmpty);
    shard.count = 0;
    for (size_t k = 0; k < staged.size(); ++k) {
      if (k + kAhead < staged.size()) {
        PrefetchLine(&shard.slots[HashBitsOf(staged[k + kAhead]) & shard.mask]);
      }
      InsertChecked(shard, staged[k], check_from);
    }
  }
  for (const auto& [s, slot] : spilled) InsertChecked(set_.at(s), slot, check_from);
  pending_ = 0;
}

void Dedup::Clear() {
  fps_.clear();
  runs_.clear();
  front_seq_ = 1;
  pending_ = 0;
  repeat_ = Repeat();
  set_.Reset(kInitialShardSlots);
}

size_t Dedup::MemoryBytes() const {
  return fps_.MemoryBytes() + runs_.MemoryBytes() + set_.MemoryBytes();
}

}  // namespace bangdan
