// Dedup: the window of recently accepted event ids (SPEC §1, idempotency).
//
// Ids are kept as 128-bit fingerprints (two independent 64-bit hashes with
// fixed seeds): with N ids in the window, the chance that a new id is taken
// for one of them is about N / 2^128 — 1.5e-31 at 50 million, far below the
// 1e-12 that §1 asks for. A 64-bit fingerprint would NOT do: 5e7 / 2^64 is
// 2.7e-12.
//
// Layout: a FIFO (BlockQueue) of fingerprints in admission order; because
// every admission gets the next sequence number, the element at position i
// has seq front_seq() + i, so seqs are not stored. Receive times are stored
// once per run of admissions that share one (a frame's events do): a second
// FIFO of {first seq, recv_ms}, so an id costs 16 bytes, not 24 — the window
// is the largest part of a snapshot's load, and of the memory of a server
// that ingests fast. Beside them an open-addressing set of 8-byte slots
// {low 32 bits of seq, a used bit, 31 bits of the hash} (linear probing,
// backward-shift deletion, no tombstones) finds an id in about one probe.
// The window never spans 2^32 seqs (--dedup-max is at most 2^31), so the low
// half of a seq names it; and the slot's hash bits are the ones that place it
// in its table, so the table grows without reading the FIFO.
//
// The set is split by the top bits of the hash into 256 tables that grow one
// at a time (ShardedSlots): doubling one table of tens of millions of slots
// would stop admission for as long as it takes to fault in and fill hundreds
// of MiB (76 ms at 2 M slots on the measuring machine, seconds at the default
// window's 64 M); a shard holds 1/256 of the ids, and its growth at the
// default window takes ~9 ms. (While the allocator returned freed pages to
// the kernel, the many arrays freed as shards grew cost ack latency at p99:
// bench/RESULTS.md.)
//
// Window: an id is "within the window" for an event received at recv_ms if
// its entry's recv_ms >= recv_ms - window_ms and it is one of the last
// max_ids admitted. Contains() applies that rule itself, so stale entries
// that have not been evicted yet never count; Evict() frees them and is
// called only as applied events move the clock forward, which keeps the
// FIFO's contents a function of the applied sequence (see engine.md).
//
// Replay (PushUnchecked): a log holds only admissions the live engine
// accepted, so looking each of its ids up — a cache miss an event, in a
// window of millions — only confirms them. Replay appends them unindexed and
// IndexPending puts them in the set later, in bulk, checking each as the
// lookup would have: whether the newest earlier admission of its id is within
// its window. Evict first indexes what is pending: an admission it frees
// could be the one a pending id repeats.
//
// Thread safety: none.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "block_queue.h"
#include "prefetch.h"
#include "sharded_slots.h"

namespace bangdan {

// Trivial (no default values), so that millions of them can be allocated
// without being zeroed first.
struct Fingerprint {
  uint64_t lo;
  uint64_t hi;
  bool operator==(const Fingerprint&) const = default;
};

Fingerprint FingerprintOf(std::string_view id);

class Dedup {
 public:
  Dedup(int64_t window_ms, uint64_t max_ids);
  Dedup(const Dedup&) = delete;
  Dedup& operator=(const Dedup&) = delete;

  // True if `fp` was admitted within the window of an event received at
  // recv_ms that would get sequence number next_seq.
  bool Contains(const Fingerprint& fp, int64_t recv_ms, uint64_t next_seq) const;
  // Starts loading the slot where `fp` is looked up (for batches).
  void Prefetch(const Fingerprint& fp) const {
    const auto& shard = set_.For(fp.lo);
    PrefetchLine(&shard.slots[HashBits(fp.lo) & shard.mask]);
  }
  // Records an admission. REQUIRES: seq == back_seq() + 1 (or the FIFO is
  // empty and seq is the first sequence number it will hold); nothing
  // pending (Contains answers for indexed admissions only).
  void Push(const Fingerprint& fp, int64_t recv_ms, uint64_t seq);

  // Records an admission as Push does, but leaves it out of the set until
  // IndexPending, which checks it then (see the top of this file).
  void PushUnchecked(const Fingerprint& fp, int64_t recv_ms, uint64_t seq);
  uint64_t pending() const { return pending_; }
  // Indexes the admissions pushed unchecked, in bulk; an id that repeats one
  // admitted within its window is remembered in repeat().
  void IndexPending();
  // An admission whose id repeats that of `earlier_seq` within the window.
  struct Repeat {
    uint64_t seq = 0;  // 0: none found
    uint64_t earlier_seq = 0;
  };
  // The repeat with the lowest seq found since Clear.
  const Repeat& repeat() const { return repeat_; }
  // An admission, as a snapshot lists it.
  struct Entry {
    Fingerprint fp;
    int64_t recv_ms;
  };
  // Admissions from first_seq on, up to the next run's first_seq, were
  // received at recv_ms (a frame's events share one).
  struct Run {
    uint64_t first_seq;
    int64_t recv_ms;
  };
  // Loading a snapshot's window: appends admissions in bulk without indexing
  // them (the first gets seq `first_seq` if the window is empty, else the
  // next), then Reindex() builds the set. Until Reindex,
  // nothing but more AppendUnindexed may be called.
  void AppendUnindexed(std::span<const Entry> entries, uint64_t first_seq);
  // The same from a snapshot's own layout: n fingerprints as 16 little-endian
  // bytes each (lo, hi), and the runs of receive times that cover them.
  // REQUIRES: the window is empty; runs[0].first_seq == first_seq, first
  // seqs ascending and below first_seq + n (the caller checks the input).
  void AppendUnindexed(const char* fingerprints, uint64_t n, std::span<const Run> runs,
                       uint64_t first_seq);
  void Reindex() { Rebuild(/*check_from=*/UINT64_MAX); }
  // Removes admissions with seq > after_seq, newest first.
  void PopAfter(uint64_t after_seq);
  // Frees entries outside the window of an event received at recv_ms with
  // sequence number seq, oldest first, never past seq itself.
  void Evict(int64_t recv_ms, uint64_t seq);

  uint64_t size() const { return fps_.size(); }
  uint64_t run_count() const { return runs_.size(); }
  uint64_t front_seq() const { return front_seq_; }  // seq of fps_[0]
  uint64_t back_seq() const { return front_seq_ + fps_.size() - 1; }
  // REQUIRES: size() > 0. The receive time of the newest admission.
  int64_t back_recv_ms() const { return runs_.back().recv_ms; }

  // Visits entries in FIFO order: f(fingerprint, recv_ms, seq).
  template <typename F>
  void ForEach(F&& f) const {
    if (!fps_.empty()) ForEachIn(front_seq_, back_seq(), std::forward<F>(f));
  }
  // The same for the entries with seq in [from, to] (clamped to the FIFO).
  template <typename F>
  void ForEachIn(uint64_t from, uint64_t to, F&& f) const {
    if (fps_.empty()) return;
    from = std::max(from, front_seq_);
    to = std::min(to, back_seq());
    if (from > to) return;
    size_t run = RunOf(from);
    for (uint64_t seq = from; seq <= to; ++seq) {
      if (run + 1 < runs_.size() && runs_[run + 1].first_seq == seq) ++run;
      f(fps_[seq - front_seq_], runs_[run].recv_ms, seq);
    }
  }
  // Empties the window; the next Push may start at any seq.
  void Clear();
  size_t MemoryBytes() const;

 private:
  static constexpr uint64_t kEmpty = 0;

  // The index in runs_ of the run that holds seq. REQUIRES: seq in the FIFO.
  size_t RunOf(uint64_t seq) const;
  void AddToRuns(uint64_t seq, int64_t recv_ms) {
    if (runs_.empty() || runs_.back().recv_ms != recv_ms) runs_.push_back(Run{seq, recv_ms});
  }
  // Whether admission `seq`, received at admitted_ms, is within the window of
  // an event received at recv_ms that would get sequence number next_seq.
  bool InWindow(uint64_t seq, int64_t admitted_ms, int64_t recv_ms, uint64_t next_seq) const;

  // Slots are kEmpty or MakeSlot(seq, hash). A slot's shard is picked by the
  // hash's top 8 bits and its place in the shard by HashBits (bits 16…46),
  // independent of each other; the slot stores HashBits, which both places it
  // and rejects almost every other id without reading the FIFO.
  using Set = ShardedSlots<uint64_t, 8>;
  static constexpr uint64_t kUsed = uint64_t{1} << 31;
  static uint64_t HashBits(uint64_t h) { return (h >> 16) & (kUsed - 1); }
  static uint64_t HashBitsOf(uint64_t slot) { return slot & (kUsed - 1); }
  static uint64_t MakeSlot(uint64_t seq, uint64_t h) { return seq << 32 | kUsed | HashBits(h); }
  // The seq whose low 32 bits the slot holds: the one within the window.
  uint64_t SeqOf(uint64_t slot) const {
    return front_seq_ + static_cast<uint32_t>((slot >> 32) - static_cast<uint32_t>(front_seq_));
  }

  void SetInsert(uint64_t seq, uint64_t h) { InsertSlot(set_.For(h), MakeSlot(seq, h)); }
  // Puts `slot` in `shard`, or over the slot of the same id (the id came
  // again after it left the window), growing the shard first if crowded.
  // Returns the seq of the slot it replaced (0: none).
  uint64_t InsertSlot(Set::Shard& shard, uint64_t slot);
  // Builds the set from the FIFO (Reindex), checking the admissions from
  // seq check_from on as IndexPending does.
  void Rebuild(uint64_t check_from);
  // InsertSlot, and for an admission from seq check_from on, the check of
  // IndexPending against the admission of the id it replaced, if any.
  void InsertChecked(Set::Shard& shard, uint64_t slot, uint64_t check_from);
  // Appends an admission to the FIFO (Push's and PushUnchecked's part).
  void Append(const Fingerprint& fp, int64_t recv_ms, uint64_t seq);
  int64_t RecvMsOf(uint64_t seq) const { return runs_[RunOf(seq)].recv_ms; }
  void SetErase(uint64_t seq, uint64_t h);
  // Doubles a shard, moving its slots.
  void Grow(Set::Shard& shard);

  int64_t window_ms_;
  uint64_t max_ids_;
  BlockQueue<Fingerprint> fps_;
  BlockQueue<Run> runs_;  // the first run holds front_seq_; empty iff fps_ is
  uint64_t front_seq_ = 1;
  Set set_;
  uint64_t pending_ = 0;  // the newest admissions, not in the set yet
  Repeat repeat_;
};

}  // namespace bangdan
