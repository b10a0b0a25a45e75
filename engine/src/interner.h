// Interner: one id space of strings (the cities, or the firms, …).
//
// Each distinct string is stored once, as a record {id, size, bytes} in arena
// chunks that never move, so the string_views handed out stay valid for the
// interner's life. Ids are dense (0, 1, 2, … in order of first appearance),
// which lets unscoped boards index their entries by id directly and makes the
// id assignment a function of the event sequence alone (deterministic).
//
// The lookup table is open addressing with linear probing over 8-byte slots
// {upper half of the hash, record reference}: the stored hash half rejects
// almost every non-matching slot without touching a record, and a matching
// slot leads straight to the record that holds both the bytes to compare and
// the id. A cold lookup is two cache misses (slot, record), not three. The
// table is split into shards that grow one at a time (ShardedSlots), so that
// interning a name never waits for a million names to be moved.
//
// Thread safety: none.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "hash.h"
#include "paged_vector.h"
#include "prefetch.h"
#include "sharded_slots.h"

namespace bangdan {

class Interner {
 public:
  Interner();
  Interner(const Interner&) = delete;
  Interner& operator=(const Interner&) = delete;

  // The id of `s`, adding it if new.
  uint32_t Intern(std::string_view s) { return Intern(s, HashOf(s)); }
  // The same with s's hash computed ahead (see Prefetch). Inline: a batch
  // interns five names an event, nearly all of them known already.
  uint32_t Intern(std::string_view s, uint64_t hash) {
    size_t empty;
    if (const Record* r = Probe(s, hash, &empty)) return r->id;
    return Add(s, hash, empty);
  }
  static uint64_t HashOf(std::string_view s) { return Hash64(s); }
  // Starts loading the slot where a string of this hash is looked up.
  void Prefetch(uint64_t hash) const {
    const auto& shard = slots_.For(hash);
    PrefetchLine(&shard.slots[hash & shard.mask]);
  }
  // The next level of a lookup, for batches (see Engine::ApplyBatch): reads
  // only the slots (which Prefetch brought into cache) and starts loading the
  // record of the first slot whose tag matches. A hint: nothing changes, a
  // wrong guess costs a load.
  void PrefetchRecord(uint64_t hash) const {
    const uint32_t tag = static_cast<uint32_t>(hash >> 32);
    const Slots::Shard& shard = slots_.For(hash);
    const std::vector<Slot>& slots = shard.slots;
    const size_t mask = shard.mask;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot& slot = slots[i];
      if (slot.ref_plus_one == 0) return;
      if (slot.tag == tag) {
        // The header and the first 32 bytes of the name (ten CJK characters,
        // longer than most names): its line and, when the record starts late
        // in it, the next. Not further: a line fetched for nothing costs as
        // much as one used (bench/memory_ceiling_bench.cpp, decoys).
        const char* r = reinterpret_cast<const char*>(&RecordAt(slot.ref_plus_one - 1));
        PrefetchLine(r);
        PrefetchLine(r + sizeof(Record) + 31);
        return;
      }
    }
  }
  // The id of `s` if it was interned.
  std::optional<uint32_t> Find(std::string_view s) const {
    const Record* r = Lookup(s);
    return r == nullptr ? std::nullopt : std::optional<uint32_t>(r->id);
  }
  // The same with the interned copy of s, which lives as long as the
  // interner (no second trip through the id to find it).
  struct Found {
    uint32_t id;
    std::string_view name;
  };
  std::optional<Found> FindWithName(std::string_view s) const {
    const Record* r = Lookup(s);
    return r == nullptr ? std::nullopt : std::optional<Found>(Found{r->id, r->name()});
  }
  // REQUIRES: id < size().
  std::string_view Name(uint32_t id) const { return RecordAt(refs_[id]).name(); }
  // For a walk over many names (a whole board): start loading id's reference
  // to its record; once that is in cache, the record.
  void PrefetchRef(uint32_t id) const { PrefetchLine(&refs_[id]); }
  void PrefetchName(uint32_t id) const { PrefetchLine(&RecordAt(refs_[id])); }
  uint32_t size() const { return static_cast<uint32_t>(refs_.size()); }

  void Clear();
  size_t MemoryBytes() const;

 private:
  // A string as stored: its id and size, then its bytes, 8-byte aligned.
  struct Record {
    uint32_t id;
    uint32_t size;
    std::string_view name() const { return {reinterpret_cast<const char*>(this + 1), size}; }
  };
  // Where a record is: its chunk << kOffsetBits | its offset in 8-byte units.
  // 19 bits of chunk and 13 of offset address 32 GiB of names.
  using Ref = uint32_t;
  static constexpr unsigned kOffsetBits = 13;
  struct Slot {
    uint32_t tag;  // upper 32 bits of the string's hash
    Ref ref_plus_one;  // 0: empty
  };

  const Record& RecordAt(Ref ref) const {
    return *reinterpret_cast<const Record*>(chunks_[ref >> kOffsetBits].get() +
                                            (ref & ((1u << kOffsetBits) - 1)));
  }
  // Whether n bytes at a and at b are equal, reading nothing outside them.
  // Names are short (tens of bytes): word compares inline beat a call to memcmp.
  static bool SameBytes(const char* a, const char* b, size_t n) {
    using hash_internal::Read32;
    using hash_internal::Read64;
    if (n >= 8) {
      for (size_t i = 0; i + 8 < n; i += 8) {
        if (Read64(a + i) != Read64(b + i)) return false;
      }
      return Read64(a + n - 8) == Read64(b + n - 8);  // the last word may overlap
    }
    if (n >= 4) return Read32(a) == Read32(b) && Read32(a + n - 4) == Read32(b + n - 4);
    for (size_t i = 0; i < n; ++i) {
      if (a[i] != b[i]) return false;
    }
    return true;
  }
  // The record of `s` (hash h), or nullptr and *empty = the empty slot that
  // ends its probe run, where it would go.
  const Record* Probe(std::string_view s, uint64_t h, size_t* empty) const {
    const uint32_t tag = static_cast<uint32_t>(h >> 32);
    const Slots::Shard& shard = slots_.For(h);
    const std::vector<Slot>& slots = shard.slots;
    const size_t mask = shard.mask;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot& slot = slots[i];
      if (slot.ref_plus_one == 0) {
        *empty = i;
        return nullptr;
      }
      if (slot.tag == tag) {
        const Record& r = RecordAt(slot.ref_plus_one - 1);
        if (r.size == s.size() && SameBytes(r.name().data(), s.data(), s.size())) return &r;
      }
    }
  }
  const Record* Lookup(std::string_view s) const;
  // Adds `s` (hash h, not interned) in the empty slot `slot` of its probe run.
  uint32_t Add(std::string_view s, uint64_t h, size_t slot);
  Ref Store(uint32_t id, std::string_view s);
  using Slots = ShardedSlots<Slot, 8>;
  void Grow(Slots::Shard& shard);

  // id → record. In pages: a million ids' array doubling at once took
  // milliseconds of copying and faults.
  PagedVector<Ref, 14> refs_;
  Slots slots_;
  std::vector<std::unique_ptr<uint64_t[]>> chunks_;  // uint64_t: 8-byte aligned
  size_t chunk_used_ = 0;  // bytes
  size_t chunk_size_ = 0;  // bytes
  size_t arena_bytes_ = 0;
};

}  // namespace bangdan
