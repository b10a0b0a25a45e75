// Interner: one id space of strings (the cities, or the firms, …).
//
// Each distinct string is stored once, in arena chunks that never move, so the
// string_views handed out stay valid for the interner's life. Ids are dense
// (0, 1, 2, … in order of first appearance), which lets unscoped boards index
// their entries by id directly and makes the id assignment a function of the
// event sequence alone (deterministic).
//
// The lookup table is open addressing with linear probing over 8-byte slots
// {id + 1, upper half of the hash}: the stored hash half rejects almost every
// non-matching slot without touching the string.
//
// Thread safety: none.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace bangdan {

class Interner {
 public:
  Interner();
  Interner(const Interner&) = delete;
  Interner& operator=(const Interner&) = delete;

  // The id of `s`, adding it if new.
  uint32_t Intern(std::string_view s) { return Intern(s, HashOf(s)); }
  // The same with s's hash computed ahead (see Prefetch).
  uint32_t Intern(std::string_view s, uint64_t hash);
  static uint64_t HashOf(std::string_view s);
  // Starts loading the slot where a string of this hash is looked up.
  void Prefetch(uint64_t hash) const { __builtin_prefetch(&slots_[hash & (slots_.size() - 1)]); }
  // The next two levels of a lookup, for batches (see Engine::ApplyBatch):
  // each reads only what the previous level brought into cache and starts
  // loading the next. PrefetchView finds the first slot whose tag matches,
  // starts loading that name's view and returns its id (~0u: none);
  // PrefetchBytes(id) starts loading the name's bytes. Hints only: nothing
  // changes, a wrong guess costs a load.
  uint32_t PrefetchView(uint64_t hash) const;
  void PrefetchBytes(uint32_t id) const {
    if (id != ~0u) __builtin_prefetch(names_[id].data());
  }
  // The id of `s` if it was interned.
  std::optional<uint32_t> Find(std::string_view s) const;
  // REQUIRES: id < size().
  std::string_view Name(uint32_t id) const { return names_[id]; }
  uint32_t size() const { return static_cast<uint32_t>(names_.size()); }

  void Clear();
  size_t MemoryBytes() const;

 private:
  struct Slot {
    uint32_t id_plus_one;  // 0: empty
    uint32_t tag;          // upper 32 bits of the string's hash
  };

  std::string_view Store(std::string_view s);
  void Grow();

  std::vector<std::string_view> names_;
  std::vector<Slot> slots_;  // size is a power of two
  std::vector<std::unique_ptr<char[]>> chunks_;
  size_t chunk_used_ = 0;
  size_t chunk_size_ = 0;
  size_t arena_bytes_ = 0;
};

}  // namespace bangdan
