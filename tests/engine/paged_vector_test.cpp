// PagedVector: elements never move as it grows, and index as a vector does.
#include "paged_vector.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bangdan {
namespace {

TEST(PagedVector, ElementsKeepTheirAddressesAsItGrows) {
  PagedVector<std::string, 3> v;  // pages of 8
  std::vector<const std::string*> where;
  for (int i = 0; i < 1000; ++i) {
    v.emplace_back() = "元素" + std::to_string(i);
    where.push_back(&v[i]);
  }
  ASSERT_EQ(v.size(), 1000u);
  EXPECT_EQ(v.back(), "元素999");
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(&v[i], where[i]);
    EXPECT_EQ(v[i], "元素" + std::to_string(i));
  }
  EXPECT_EQ(v.capacity(), 1000u / 8 * 8);
  EXPECT_GE(v.MemoryBytes(), v.capacity() * sizeof(std::string));
}

TEST(PagedVector, NewElementsAreDefaultConstructed) {
  PagedVector<int, 2> v;
  for (int i = 0; i < 9; ++i) EXPECT_EQ(v.emplace_back(), 0);
  EXPECT_EQ(v.capacity(), 12u);
}

}  // namespace
}  // namespace bangdan
