// ShardedSlots: the slot array of an open-addressing hash table, split by the
// top bits of the hash into shards that grow one at a time.
//
// A table that doubles all at once moves every slot and faults in the whole
// new array within one call — and the engine is behind one lock, so ingest
// waits for it: on the measuring machine 61 ms for a million 16-byte slots,
// seconds for the tables of a long campaign. A shard holds 1/kShards of the
// keys, so one growth moves 1/kShards of them; the total work is the same.
//
// More shards are not free: each is an allocation of its own, and the arrays
// freed as shards grow go back to the allocator. While jemalloc returned
// freed pages to the kernel, 256 shards per table took a quarter of the
// engine's heap off transparent huge pages (half apply's speed, through TLB
// misses) and 1,024 for the dedup set raised ack p99 (the purging ran on the
// engine's thread). With decay off (server/main.cpp) the heap stays on huge
// pages with 256 shards too, at the same speed, and each growth is a quarter
// of 64's: every table uses 256 (bench/RESULTS.md).
//
// The tables (BoardSet's entry lookup, the Interner, Dedup's id set) keep their
// own slot formats and probing: this holds the shards, picks one by the top
// kShardBits of a hash (the owner finds a slot by the low bits, so the two are
// independent), and moves a shard's slots into a larger array.
//
// Thread safety: none.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace bangdan {

template <typename Slot, int kShardBits>
class ShardedSlots {
 public:
  static constexpr size_t kShards = size_t{1} << kShardBits;

  struct Shard {
    std::vector<Slot> slots;  // a power-of-two size
    size_t mask = 0;          // slots.size() - 1, kept at hand for every probe
    size_t count = 0;         // slots in use, kept by the owner
  };

  // Every shard starts with `slots_each` (a power of two) empty slots; with 0
  // there are no shards (a table that is never used).
  ShardedSlots(size_t slots_each, Slot empty) : empty_(empty) { Reset(slots_each); }

  void Reset(size_t slots_each) {
    shards_.assign(slots_each == 0 ? 0 : kShards, Shard{});
    for (Shard& shard : shards_) {
      shard.slots.assign(slots_each, empty_);
      shard.mask = slots_each - 1;
    }
  }

  static size_t ShardIndex(uint64_t hash) { return hash >> (64 - kShardBits); }
  Shard& For(uint64_t hash) { return shards_[ShardIndex(hash)]; }
  Shard& at(size_t index) { return shards_[index]; }
  const Shard& For(uint64_t hash) const { return shards_[hash >> (64 - kShardBits)]; }

  // Moves `shard` into an array of `size` slots (a power of two, larger than
  // its count): each used slot goes to the first empty one from
  // hash_of(slot) & (size - 1). is_empty(slot) tells a free slot; prefetch(slot)
  // is called a few slots ahead of hash_of, for owners whose hash_of reads
  // memory elsewhere.
  template <typename IsEmpty, typename HashOf, typename Prefetch>
  void Resize(Shard& shard, size_t size, IsEmpty&& is_empty, HashOf&& hash_of,
              Prefetch&& prefetch) {
    std::vector<Slot> old(size, empty_);
    old.swap(shard.slots);
    const size_t mask = shard.mask = size - 1;
    constexpr size_t kAhead = 16;
    for (size_t k = 0; k < old.size(); ++k) {
      if (k + kAhead < old.size() && !is_empty(old[k + kAhead])) prefetch(old[k + kAhead]);
      if (is_empty(old[k])) continue;
      size_t i = hash_of(old[k]) & mask;
      while (!is_empty(shard.slots[i])) i = (i + 1) & mask;
      shard.slots[i] = old[k];
    }
  }

  size_t MemoryBytes() const {
    size_t bytes = shards_.capacity() * sizeof(Shard);
    for (const Shard& shard : shards_) bytes += shard.slots.capacity() * sizeof(Slot);
    return bytes;
  }

 private:
  Slot empty_;
  std::vector<Shard> shards_;
};

}  // namespace bangdan
