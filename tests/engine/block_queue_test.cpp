#include "block_queue.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <random>
#include <vector>

namespace bangdan {
namespace {

// Small blocks (8 items), so that a few thousand operations cross block
// edges at both ends many times.
using SmallQueue = BlockQueue<uint64_t, 3>;

void ExpectSame(const SmallQueue& q, const std::deque<uint64_t>& model) {
  ASSERT_EQ(q.size(), model.size());
  ASSERT_EQ(q.empty(), model.empty());
  for (size_t i = 0; i < model.size(); ++i) ASSERT_EQ(q[i], model[i]) << i;
  if (!model.empty()) {
    EXPECT_EQ(q.front(), model.front());
    EXPECT_EQ(q.back(), model.back());
  }
}

TEST(BlockQueue, MatchesADequeUnderRandomOperations) {
  std::mt19937_64 rng(11);
  SmallQueue q;
  std::deque<uint64_t> model;
  uint64_t next = 1;
  for (int op = 0; op < 20'000; ++op) {
    switch (rng() % 6) {
      case 0:
      case 1:
        q.push_back(next);
        model.push_back(next++);
        break;
      case 2: {  // a run of up to 20 items: may fill a block and start more
        std::vector<uint64_t> run(rng() % 21);
        for (uint64_t& v : run) v = next++;
        q.append(run.data(), run.size());
        model.insert(model.end(), run.begin(), run.end());
        break;
      }
      case 3:
      case 4:
        if (!model.empty()) {
          q.pop_front();
          model.pop_front();
        }
        break;
      case 5:
        if (!model.empty()) {
          q.pop_back();
          model.pop_back();
        }
        break;
    }
    if (op % 97 == 0) ExpectSame(q, model);
  }
  ExpectSame(q, model);
  q.clear();
  model.clear();
  ExpectSame(q, model);
}

TEST(BlockQueue, FreesBlocksItNoLongerUses) {
  SmallQueue q;
  for (uint64_t i = 0; i < 80; ++i) q.push_back(i);  // 10 blocks
  const size_t full = q.MemoryBytes();
  for (int i = 0; i < 40; ++i) q.pop_front();  // 5 blocks spent at the front
  EXPECT_LT(q.MemoryBytes(), full);
  for (int i = 0; i < 39; ++i) q.pop_back();
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.front(), 40u);
  EXPECT_LE(q.MemoryBytes(), SmallQueue::kBlockItems * sizeof(uint64_t) + 16 * sizeof(void*));
  q.pop_back();
  EXPECT_TRUE(q.empty());
  q.push_back(7);  // an emptied queue starts over
  EXPECT_EQ(q.front(), 7u);
}

}  // namespace
}  // namespace bangdan
