#include "interner.h"

#include <cstdlib>
#include <cstring>

#include "hash.h"

namespace bangdan {

namespace {
// A chunk's offsets are counted in 8-byte units and must fit kOffsetBits.
constexpr size_t kChunkBytes = 64 * 1024;
// Slots per shard to begin with: 256 shards × 4 × 8 bytes = 8 KiB.
constexpr size_t kInitialShardSlots = 4;
}  // namespace

Interner::Interner() : slots_(kInitialShardSlots, Slot{0, 0}) {}

const Interner::Record* Interner::Lookup(std::string_view s) const {
  size_t empty;
  return Probe(s, Hash64(s), &empty);
}

uint32_t Interner::Add(std::string_view s, uint64_t h, size_t i) {
  const uint32_t id = size();
  const Ref ref = Store(id, s);
  refs_.emplace_back() = ref;
  // Keep the load at most 1/2 so that misses stay short.
  Slots::Shard& shard = slots_.For(h);
  if (++shard.count * 2 > shard.slots.size()) {
    Grow(shard);
    const size_t mask = shard.mask;
    for (i = h & mask; shard.slots[i].ref_plus_one != 0; i = (i + 1) & mask) {
    }
  }
  shard.slots[i] = Slot{static_cast<uint32_t>(h >> 32), ref + 1};
  return id;
}

Interner::Ref Interner::Store(uint32_t id, std::string_view s) {
  const size_t bytes = (sizeof(Record) + s.size() + 7) & ~size_t{7};
  // A record longer than a chunk's free tail starts a new chunk; one larger
  // than a chunk (never, with §1's limits) gets a chunk of its own.
  if (chunks_.empty() || chunk_used_ + bytes > chunk_size_) {
    // The last chunk index would give a reference of 2^32 - 1 at its last
    // offset, which a slot's ref + 1 cannot hold: 32 GiB of names, less a chunk.
    if (chunks_.size() + 1 >= (size_t{1} << (32 - kOffsetBits))) std::abort();
    chunk_size_ = bytes > kChunkBytes ? bytes : kChunkBytes;
    chunks_.push_back(std::make_unique<uint64_t[]>(chunk_size_ / 8));
    chunk_used_ = 0;
    arena_bytes_ += chunk_size_;
  }
  char* at = reinterpret_cast<char*>(chunks_.back().get()) + chunk_used_;
  const Record header{id, static_cast<uint32_t>(s.size())};
  std::memcpy(at, &header, sizeof header);
  if (!s.empty()) std::memcpy(at + sizeof header, s.data(), s.size());
  const Ref ref = static_cast<Ref>((chunks_.size() - 1) << kOffsetBits | chunk_used_ / 8);
  chunk_used_ += bytes;
  return ref;
}

void Interner::Grow(Slots::Shard& shard) {
  // The table holds no full hashes: each is recomputed from the stored name.
  slots_.Resize(
      shard, shard.slots.size() * 2, [](const Slot& slot) { return slot.ref_plus_one == 0; },
      [this](const Slot& slot) { return Hash64(RecordAt(slot.ref_plus_one - 1).name()); },
      [this](const Slot& slot) { PrefetchLine(&RecordAt(slot.ref_plus_one - 1)); });
}

void Interner::Clear() {
  refs_.clear();
  slots_.Reset(kInitialShardSlots);
  chunks_.clear();
  chunk_used_ = chunk_size_ = arena_bytes_ = 0;
}

size_t Interner::MemoryBytes() const {
  return arena_bytes_ + refs_.MemoryBytes() + slots_.MemoryBytes() +
         chunks_.capacity() * sizeof(void*);
}

}  // namespace bangdan
