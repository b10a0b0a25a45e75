// PagedVector: a vector whose elements live in fixed pages and never move.
//
// Growing a std::vector of a million elements copies (or moves) them all in
// one call, while ingest waits behind the engine's lock; here growth adds a
// page, and only the small array of page pointers is ever copied. Elements
// are constructed a page at a time, when the page is added.
//
// Thread safety: none.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <vector>

namespace bangdan {

template <typename T, unsigned kPageBits>
class PagedVector {
 public:
  static constexpr size_t kPageSize = size_t{1} << kPageBits;

  size_t size() const { return size_; }
  T& operator[](size_t i) { return pages_[i >> kPageBits][i & (kPageSize - 1)]; }
  const T& operator[](size_t i) const { return pages_[i >> kPageBits][i & (kPageSize - 1)]; }
  T& back() { return (*this)[size_ - 1]; }

  // The next element (default-constructed), now part of the vector.
  T& emplace_back() {
    if ((size_ & (kPageSize - 1)) == 0) pages_.push_back(std::make_unique<T[]>(kPageSize));
    return (*this)[size_++];
  }

  // Grows to n elements if it has fewer, the new ones copies of `fill`.
  void GrowTo(size_t n, const T& fill) {
    while (size_ < n) {
      const size_t offset = size_ & (kPageSize - 1);
      if (offset == 0) pages_.push_back(std::make_unique<T[]>(kPageSize));
      const size_t count = std::min(n - size_, kPageSize - offset);
      std::fill_n(&pages_.back()[offset], count, fill);
      size_ += count;
    }
  }

  void clear() {
    pages_.clear();
    size_ = 0;
  }

  // Elements that the pages hold room for, used or not.
  size_t capacity() const { return pages_.size() * kPageSize; }
  size_t MemoryBytes() const {
    return capacity() * sizeof(T) + pages_.capacity() * sizeof(std::unique_ptr<T[]>);
  }

 private:
  std::vector<std::unique_ptr<T[]>> pages_;
  size_t size_ = 0;
};

}  // namespace bangdan
