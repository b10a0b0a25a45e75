// The engine's state as bytes: round trip, determinism, corrupt input.
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "bangdan/engine.h"
#include "event_builder.h"

namespace bangdan {
namespace {

using namespace testing_util;

constexpr int64_t kNow = kMidnight + 10 * kHourMs;

class EngineStateTest : public ::testing::Test {
 protected:
  using V = std::vector<std::string>;
  static V Keys(Engine& e, const BoardRef& ref, Metric m) {
    BoardPage page;
    EXPECT_TRUE(e.Top(ref, m, 0, 1000, kNow, &page).ok());
    V keys;
    for (const BoardRow& r : page.rows) keys.emplace_back(r.key);
    return keys;
  }

  void Fill(Engine& e) {
    int n = 0;
    for (int i = 0; i < 300; ++i) {
      Ev ev;
      ev.id = Name("s", n++);
      ev.city = Name("c", i % 3);
      ev.firm = Name("f", i % 5);
      if (i % 4) ev.team = Name("t", i % 7);
      if (i % 3) ev.user = Name("u", i % 11);
      if (i % 2) ev.product = Name("p", i % 2);
      ev.weight_g = i * 13 % 50;
      ev.amount_fen = i * 7 % 90;
      ev.refund = i % 9 == 0;
      ev.has_ts = true;
      ev.ts_ms = kNow - (i % 10) * kDayMs;
      Send(e, ev, kNow + i);
    }
  }
  Engine engine_;
};

TEST_F(EngineStateTest, SerializeRoundTripsByteForByte) {
  Fill(engine_);
  std::string a;
  engine_.Serialize(&a);
  Engine copy;
  ASSERT_TRUE(copy.Deserialize(a).ok());
  std::string b;
  copy.Serialize(&b);
  EXPECT_EQ(a, b);
  EXPECT_EQ(copy.applied_seq(), engine_.applied_seq());
  for (Dimension d : {Dimension::kCity, Dimension::kTeam, Dimension::kUser}) {
    for (Metric m : {Metric::kWeight, Metric::kAmount, Metric::kOrders}) {
      EXPECT_EQ(Keys(engine_, Ref(d), m), Keys(copy, Ref(d), m));
    }
  }
  // The dedup window came along: an old id is still a duplicate.
  EXPECT_EQ(Send(copy, Ev{.id = "s5"}, kNow + 400), 0u);
  EXPECT_EQ(Send(copy, Ev{.id = "new"}, kNow + 400), 301u);
}

TEST_F(EngineStateTest, TwoEnginesFedTheSameEventsSerializeIdentically) {
  Engine other;
  Fill(engine_);
  Fill(other);
  // Reads change internal orderings but not the state.
  BoardPage page;
  ASSERT_TRUE(engine_.Top(Ref(Dimension::kUser), Metric::kOrders, 0, 5, kNow, &page).ok());
  std::string a, b;
  engine_.Serialize(&a);
  other.Serialize(&b);
  EXPECT_EQ(a, b);
}

TEST_F(EngineStateTest, PendingAdmissionsAreNotPartOfTheState) {
  Fill(engine_);
  std::string before;
  engine_.Serialize(&before);
  engine_.Admit(Ev{.id = "pending"}.view(), kNow + 500);
  std::string after;
  engine_.Serialize(&after);
  EXPECT_EQ(before, after);
}

TEST_F(EngineStateTest, TruncatedInputIsCorruptionAndLeavesTheEngineAsItWas) {
  Fill(engine_);
  std::string s;
  engine_.Serialize(&s);
  Engine target;
  Send(target, Ev{.id = "keep", .team = "t", .weight_g = 9}, kNow);
  for (size_t n = 0; n < s.size(); n += (n < 200 ? 1 : 97)) {
    Status st = target.Deserialize(std::string_view(s.data(), n));
    ASSERT_TRUE(st.IsCorruption()) << n;
  }
  EXPECT_EQ(target.applied_seq(), 1u);
  EXPECT_EQ(target.GetTotals(WindowSpec::Total(), kNow).weight_g, 9);
  EXPECT_TRUE(target.Deserialize(s + "x").IsCorruption());
}

TEST_F(EngineStateTest, GarbledInputNeverCrashes) {
  Fill(engine_);
  std::string s;
  engine_.Serialize(&s);
  uint64_t x = 88172645463325252ull;
  for (int round = 0; round < 2000; ++round) {
    std::string g = s;
    for (int k = 0; k < 3; ++k) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      g[x % g.size()] = static_cast<char>(x >> 32);
    }
    Engine target;
    Status st = target.Deserialize(g);
    if (st.ok()) {  // a flip inside a value may still be a valid state
      BoardPage page;
      EXPECT_TRUE(target.Top(Ref(Dimension::kUser), Metric::kWeight, 0, 10, kNow, &page).ok());
    }
  }
  EXPECT_TRUE(engine_.Deserialize("not a state").IsCorruption());
  EXPECT_TRUE(engine_.Deserialize("").IsCorruption());
}

// The fixed header before the dedup FIFO: magic, version, options, seqs,
// clock, name counts (state_codec.h).
constexpr size_t kDedupAt = 8 + 4 + 4 + 4 + 8 + 8 + 8 + 8 + 1 + 8 + 5 * 4;

uint64_t U64At(const std::string& s, size_t at) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{static_cast<uint8_t>(s[at + i])} << (8 * i);
  return v;
}
void PutU64(std::string* s, uint64_t v) {
  for (int i = 0; i < 8; ++i) s->push_back(static_cast<char>(v >> (8 * i)));
}

// Version 2 listed each id with its receive time instead of runs of them: a
// snapshot written by it still loads, into the same state.
TEST_F(EngineStateTest, AVersion2StateLoadsIntoTheSameState) {
  Fill(engine_);
  std::string v3;
  engine_.Serialize(&v3);
  const uint64_t n = U64At(v3, kDedupAt), front = U64At(v3, kDedupAt + 8);
  ASSERT_GT(n, 200u);
  const size_t runs_at = kDedupAt + 16 + n * 16;
  const uint64_t runs = U64At(v3, runs_at);
  ASSERT_GT(runs, 1u);  // Fill sends each event at its own time
  std::string v2 = v3.substr(0, kDedupAt + 16);
  v2[8] = 2;
  uint64_t run = 0;
  for (uint64_t i = 0; i < n; ++i) {
    while (run + 1 < runs && U64At(v3, runs_at + 8 + (run + 1) * 16) <= front + i) ++run;
    v2.append(v3, kDedupAt + 16 + i * 16, 16);
    PutU64(&v2, U64At(v3, runs_at + 8 + run * 16 + 8));
  }
  v2.append(v3, runs_at + 8 + runs * 16);
  Engine copy;
  ASSERT_TRUE(copy.Deserialize(v2).ok());
  std::string again;
  copy.Serialize(&again);
  EXPECT_EQ(again, v3);
}

// Runs that do not start at the FIFO's front, go backwards or past its end.
TEST_F(EngineStateTest, DedupRunsOutOfOrderAreCorruption) {
  Fill(engine_);
  std::string s;
  engine_.Serialize(&s);
  const uint64_t n = U64At(s, kDedupAt), front = U64At(s, kDedupAt + 8);
  const size_t runs_at = kDedupAt + 16 + n * 16;
  auto with_first_seq = [&](uint64_t run, uint64_t seq) {
    std::string g = s;
    for (int i = 0; i < 8; ++i) g[runs_at + 8 + run * 16 + i] = static_cast<char>(seq >> (8 * i));
    return g;
  };
  Engine target;
  EXPECT_TRUE(target.Deserialize(with_first_seq(0, front + 1)).IsCorruption());
  EXPECT_TRUE(target.Deserialize(with_first_seq(2, U64At(s, runs_at + 8 + 16))).IsCorruption());
  EXPECT_TRUE(target.Deserialize(with_first_seq(1, front + n)).IsCorruption());
  const Status st = target.Deserialize(with_first_seq(1, front - 1));
  EXPECT_NE(st.ToString().find("dedup run"), std::string::npos) << st.ToString();
  EXPECT_TRUE(target.Deserialize(s).ok());
}

// A far-off clock overflowed the day arithmetic of loading (today minus
// keep_days), and a far-off dedup receive time would become every later
// event's (receive times never go back).
TEST_F(EngineStateTest, ATimeOutOfRangeIsCorruption) {
  Fill(engine_);
  std::string s;
  engine_.Serialize(&s);
  constexpr size_t kClockAt = kDedupAt - 5 * 4 - 8;
  ASSERT_EQ(U64At(s, kClockAt), static_cast<uint64_t>(kNow + 299));  // Fill's last recv_ms
  const uint64_t runs_at = kDedupAt + 16 + U64At(s, kDedupAt) * 16;
  auto with_time = [&](size_t at, int64_t ms) {
    std::string g = s;
    for (int i = 0; i < 8; ++i) g[at + i] = static_cast<char>(static_cast<uint64_t>(ms) >> (8 * i));
    return g;
  };
  Engine target;
  for (int64_t ms : {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min(),
                     int64_t{86'400'000} << 31}) {
    Status st = target.Deserialize(with_time(kClockAt, ms));
    EXPECT_NE(st.ToString().find("clock_ms"), std::string::npos) << st.ToString();
    st = target.Deserialize(with_time(runs_at + 8 + 8, ms));
    EXPECT_NE(st.ToString().find("dedup receive time"), std::string::npos) << st.ToString();
  }
  EXPECT_TRUE(target.Deserialize(s).ok());
}

// A sum no sequence of valid events reaches is refused, in a window's
// totals and in an entry: the events after such a state could overflow it.
TEST_F(EngineStateTest, ASumBeyondItsEventsIsCorruption) {
  Ev ev;
  ev.id = "only";
  ev.city = "合肥";
  ev.firm = "万科物业";
  ev.weight_g = 2500;
  ev.amount_fen = 3990;
  Send(engine_, ev, kNow);
  std::string s;
  engine_.Serialize(&s);
  // Every window total and entry holds (2500, 3990, 1): find them as bytes.
  std::string sums;
  for (int64_t v : {int64_t{2500}, int64_t{3990}, int64_t{1}}) {
    for (int i = 0; i < 8; ++i) sums.push_back(static_cast<char>(static_cast<uint64_t>(v) >> (8 * i)));
  }
  std::vector<size_t> at;
  for (size_t p = s.find(sums); p != std::string::npos; p = s.find(sums, p + 1)) at.push_back(p);
  ASSERT_GE(at.size(), 2u);  // the total window's totals first, then its city entry
  auto with_weight = [&](size_t pos, int64_t w) {
    std::string g = s;
    for (int i = 0; i < 8; ++i) g[pos + i] = static_cast<char>(static_cast<uint64_t>(w) >> (8 * i));
    return g;
  };
  Engine target;
  // One event weighs at most kMaxWeightG: that much is fine, one gram more is not.
  EXPECT_TRUE(target.Deserialize(with_weight(at[0], kMaxWeightG)).ok());
  Status st = target.Deserialize(with_weight(at[0], kMaxWeightG + 1));
  EXPECT_NE(st.ToString().find("window weight_g beyond its events"), std::string::npos) << st.ToString();
  st = target.Deserialize(with_weight(at[1], std::numeric_limits<int64_t>::min()));
  EXPECT_NE(st.ToString().find("entry weight_g beyond the events"), std::string::npos) << st.ToString();
  EXPECT_TRUE(target.Deserialize(s).ok());
}

}  // namespace
}  // namespace bangdan
