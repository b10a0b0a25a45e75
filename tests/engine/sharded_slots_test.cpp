// ShardedSlots: a shard is picked by the hash's top bits, and resizing one
// keeps every key of that shard findable and leaves the others alone.
#include "sharded_slots.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <set>

#include "hash.h"

namespace bangdan {
namespace {

using Slots = ShardedSlots<uint64_t, 4>;  // a slot is a key; 0 is empty

bool Contains(const Slots& s, uint64_t key) {
  const uint64_t h = HashInt(key);
  const auto& slots = s.For(h).slots;
  const size_t mask = slots.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    if (slots[i] == key) return true;
    if (slots[i] == 0) return false;
  }
}

void Insert(Slots& s, uint64_t key) {
  const uint64_t h = HashInt(key);
  Slots::Shard& shard = s.For(h);
  if ((shard.count + 1) * 2 > shard.slots.size()) {
    s.Resize(
        shard, shard.slots.size() * 2, [](uint64_t k) { return k == 0; },
        [](uint64_t k) { return HashInt(k); }, [](uint64_t) {});
  }
  const size_t mask = shard.slots.size() - 1;
  size_t i = h & mask;
  while (shard.slots[i] != 0) i = (i + 1) & mask;
  shard.slots[i] = key;
  ++shard.count;
}

TEST(ShardedSlots, EveryKeyStaysFindableAsShardsGrowOneAtATime) {
  Slots s(2, 0);
  std::mt19937_64 rng(5);
  std::set<uint64_t> keys;
  while (keys.size() < 20'000) {
    const uint64_t k = rng() | 1;  // never 0
    if (keys.insert(k).second) Insert(s, k);
  }
  for (uint64_t k : keys) ASSERT_TRUE(Contains(s, k)) << k;
  for (int i = 0; i < 1000; ++i) {
    const uint64_t k = rng() | 1;
    if (!keys.count(k)) {
      EXPECT_FALSE(Contains(s, k));
    }
  }
  // The keys spread over all shards, each grown on its own.
  size_t total = 0;
  for (uint64_t top = 0; top < Slots::kShards; ++top) {
    const Slots::Shard& shard = s.For(top << 60);
    EXPECT_GT(shard.count, 20'000u / Slots::kShards / 2) << "shard " << top;
    EXPECT_LE(shard.count * 2, shard.slots.size());
    total += shard.count;
  }
  EXPECT_EQ(total, keys.size());
  EXPECT_GE(s.MemoryBytes(), total * sizeof(uint64_t));
}

TEST(ShardedSlots, ZeroSlotsMeansNoShards) {
  Slots s(0, 0);
  EXPECT_LT(s.MemoryBytes(), 64u);
}

}  // namespace
}  // namespace bangdan
