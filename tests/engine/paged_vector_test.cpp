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

TEST(PagedVector, GrowToFillsAcrossPagesAndNeverShrinks) {
  PagedVector<int, 2> v;  // pages of 4
  v.emplace_back() = 7;
  v.GrowTo(11, -1);
  ASSERT_EQ(v.size(), 11u);
  EXPECT_EQ(v[0], 7);
  for (size_t i = 1; i < 11; ++i) EXPECT_EQ(v[i], -1) << i;
  EXPECT_EQ(v.capacity(), 12u);
  v.GrowTo(5, 3);  // already larger: nothing changes
  EXPECT_EQ(v.size(), 11u);
  EXPECT_EQ(v[4], -1);
  v.GrowTo(12, 9);  // the last slot of the last page
  EXPECT_EQ(v[11], 9);
  EXPECT_EQ(v.capacity(), 12u);
}

TEST(PagedVector, ClearDropsEveryPage) {
  PagedVector<int, 2> v;
  v.GrowTo(9, 1);
  v.clear();
  EXPECT_EQ(v.size(), 0u);
  EXPECT_EQ(v.capacity(), 0u);
  EXPECT_EQ(v.emplace_back(), 0);
}

}  // namespace
}  // namespace bangdan
