#include "interner.h"

#include <gtest/gtest.h>

#include <string>

#include "hash.h"

namespace bangdan {
namespace {

TEST(Interner, GivesDenseIdsInOrderOfFirstAppearance) {
  Interner in;
  EXPECT_EQ(in.Intern("合肥"), 0u);
  EXPECT_EQ(in.Intern("芜湖"), 1u);
  EXPECT_EQ(in.Intern("合肥"), 0u);
  EXPECT_EQ(in.size(), 2u);
  EXPECT_EQ(in.Name(1), "芜湖");
}

TEST(Interner, FindsOnlyWhatWasInterned) {
  Interner in;
  in.Intern("a");
  EXPECT_EQ(in.Find("a"), 0u);
  EXPECT_FALSE(in.Find("b"));
  EXPECT_FALSE(in.Find(""));
  EXPECT_EQ(in.size(), 1u);
}

TEST(Interner, ViewsStayValidAcrossGrowth) {
  Interner in;
  std::string_view first = in.Name(in.Intern("first"));
  const char* where = first.data();
  for (int i = 0; i < 200'000; ++i) in.Intern("name-" + std::to_string(i));
  EXPECT_EQ(in.Name(0).data(), where);
  EXPECT_EQ(in.Name(0), "first");
  for (int i = 0; i < 200'000; i += 997) {
    EXPECT_EQ(in.Find("name-" + std::to_string(i)), static_cast<uint32_t>(i + 1));
  }
}

TEST(Interner, TellsApartStringsThatShareAPrefixOrLength) {
  Interner in;
  std::string a(128, 'x'), b(128, 'x');
  b[127] = 'y';
  EXPECT_NE(in.Intern(a), in.Intern(b));
  EXPECT_NE(in.Intern("ab"), in.Intern("ba"));
  EXPECT_EQ(in.size(), 4u);
}

TEST(Interner, ClearForgetsEverything) {
  Interner in;
  in.Intern("x");
  in.Clear();
  EXPECT_EQ(in.size(), 0u);
  EXPECT_FALSE(in.Find("x"));
  EXPECT_EQ(in.Intern("y"), 0u);
}

TEST(Hash64, IsDeterministicAndSeedDependent) {
  EXPECT_EQ(Hash64("合肥"), Hash64(std::string("合肥")));
  EXPECT_NE(Hash64("合肥", 1), Hash64("合肥", 2));
  EXPECT_NE(Hash64(""), Hash64(std::string_view("\0", 1)));
  // Every length up to 40 bytes hashes differently from its neighbours.
  std::string s;
  uint64_t last = Hash64(s);
  for (int i = 0; i < 40; ++i) {
    s.push_back('a');
    uint64_t h = Hash64(s);
    EXPECT_NE(h, last) << i;
    last = h;
  }
}

}  // namespace
}  // namespace bangdan
