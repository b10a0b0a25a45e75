#include "interner.h"

#include <cstring>

#include "hash.h"

namespace bangdan {

namespace {
constexpr size_t kChunkBytes = 64 * 1024;
constexpr size_t kInitialSlots = 16;
}  // namespace

Interner::Interner() { slots_.assign(kInitialSlots, Slot{0, 0}); }

std::optional<uint32_t> Interner::Find(std::string_view s) const {
  const uint64_t h = Hash64(s);
  const uint32_t tag = static_cast<uint32_t>(h >> 32);
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.id_plus_one == 0) return std::nullopt;
    if (slot.tag == tag && names_[slot.id_plus_one - 1] == s) return slot.id_plus_one - 1;
  }
}

uint32_t Interner::PrefetchView(uint64_t h) const {
  const uint32_t tag = static_cast<uint32_t>(h >> 32);
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.id_plus_one == 0) return ~0u;
    if (slot.tag == tag) {
      __builtin_prefetch(&names_[slot.id_plus_one - 1]);
      return slot.id_plus_one - 1;
    }
  }
}

uint64_t Interner::HashOf(std::string_view s) { return Hash64(s); }

uint32_t Interner::Intern(std::string_view s, uint64_t h) {
  const uint32_t tag = static_cast<uint32_t>(h >> 32);
  size_t mask = slots_.size() - 1;
  size_t i = h & mask;
  for (;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.id_plus_one == 0) break;
    if (slot.tag == tag && names_[slot.id_plus_one - 1] == s) return slot.id_plus_one - 1;
  }
  const uint32_t id = size();
  names_.push_back(Store(s));
  // Keep the load at most 1/2 so that misses stay short.
  if ((names_.size()) * 2 > slots_.size()) {
    Grow();
    mask = slots_.size() - 1;
    for (i = h & mask; slots_[i].id_plus_one != 0; i = (i + 1) & mask) {
    }
  }
  slots_[i] = Slot{id + 1, tag};
  return id;
}

std::string_view Interner::Store(std::string_view s) {
  if (s.empty()) return std::string_view();
  // Strings longer than a chunk's free tail start a new chunk; a string larger
  // than a chunk (never, with §1's limits) gets one of its own.
  if (chunks_.empty() || chunk_used_ + s.size() > chunk_size_) {
    chunk_size_ = s.size() > kChunkBytes ? s.size() : kChunkBytes;
    chunks_.push_back(std::make_unique<char[]>(chunk_size_));
    chunk_used_ = 0;
    arena_bytes_ += chunk_size_;
  }
  char* dst = chunks_.back().get() + chunk_used_;
  std::memcpy(dst, s.data(), s.size());
  chunk_used_ += s.size();
  return std::string_view(dst, s.size());
}

void Interner::Grow() {
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.assign(old.size() * 2, Slot{0, 0});
  const size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.id_plus_one == 0) continue;
    // The table holds no full hashes: recompute from the stored string.
    const uint64_t h = Hash64(names_[slot.id_plus_one - 1]);
    size_t i = h & mask;
    while (slots_[i].id_plus_one != 0) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

void Interner::Clear() {
  names_.clear();
  slots_.assign(kInitialSlots, Slot{0, 0});
  chunks_.clear();
  chunk_used_ = chunk_size_ = arena_bytes_ = 0;
}

size_t Interner::MemoryBytes() const {
  return arena_bytes_ + names_.capacity() * sizeof(std::string_view) +
         slots_.capacity() * sizeof(Slot) + chunks_.capacity() * sizeof(void*);
}

}  // namespace bangdan
