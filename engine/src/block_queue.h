// BlockQueue: a double-ended queue of trivially copyable items in fixed
// blocks of 2^kBits, for the dedup window's FIFO (tens of millions of items).
//
// Why not std::deque: libstdc++'s blocks are 512 bytes (21 items of 24
// bytes), so a large FIFO is millions of small allocations and indexing it
// divides by 21. Here a block holds 65,536 items (1.5 MiB of 24-byte items,
// whole huge pages), indexing is a shift and a mask, items never move, and a
// run of items can be appended with one copy per block (a snapshot's window).
//
// Thread safety: none.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

namespace bangdan {

template <typename T, unsigned kBits = 16>
class BlockQueue {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_default_constructible_v<T>);

 public:
  static constexpr size_t kBlockItems = size_t{1} << kBits;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  const T& operator[](size_t i) const {
    assert(i < size_);
    const size_t at = head_ + i;
    return blocks_[at >> kBits][at & (kBlockItems - 1)];
  }
  const T& front() const { return (*this)[0]; }
  const T& back() const { return (*this)[size_ - 1]; }

  void push_back(const T& item) {
    const size_t at = head_ + size_;
    if (at == blocks_.size() * kBlockItems) AddBlock();
    blocks_[at >> kBits][at & (kBlockItems - 1)] = item;
    ++size_;
  }
  // Appends n items from `items` (their bytes, any alignment), block by block.
  void append(const void* items, size_t n) {
    const char* from = static_cast<const char*>(items);
    while (n > 0) {
      const size_t at = head_ + size_;
      if (at == blocks_.size() * kBlockItems) AddBlock();
      const size_t offset = at & (kBlockItems - 1);
      const size_t k = std::min(n, kBlockItems - offset);
      std::memcpy(&blocks_[at >> kBits][offset], from, k * sizeof(T));
      from += k * sizeof(T);
      n -= k;
      size_ += k;
    }
  }
  void pop_front() {
    assert(size_ > 0);
    --size_;
    if (++head_ == kBlockItems) {
      // The front block is spent. At most a few thousand blocks: moving
      // their pointers down is nothing next to the 65,536 pops that led here.
      blocks_.erase(blocks_.begin());
      head_ = 0;
    }
    if (size_ == 0) clear();
  }
  void pop_back() {
    assert(size_ > 0);
    --size_;
    // Free a block the back has left wholly (never the front's).
    if (blocks_.size() > 1 && head_ + size_ <= (blocks_.size() - 1) * kBlockItems) {
      blocks_.pop_back();
    }
    if (size_ == 0) clear();
  }
  void clear() {
    blocks_.clear();
    head_ = size_ = 0;
  }

  size_t MemoryBytes() const {
    return blocks_.size() * kBlockItems * sizeof(T) + blocks_.capacity() * sizeof(void*);
  }

 private:
  void AddBlock() { blocks_.push_back(std::make_unique_for_overwrite<T[]>(kBlockItems)); }

  std::vector<std::unique_ptr<T[]>> blocks_;
  size_t head_ = 0;  // the front's position in blocks_[0]
  size_t size_ = 0;
};

}  // namespace bangdan
