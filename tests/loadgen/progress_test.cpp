#include "progress.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "run_context.h"

namespace bangdan::loadgen {
namespace {

// A Progress writing into memory, and what it wrote.
class ProgressTest : public ::testing::Test {
 protected:
  void SetUp() override { out_ = open_memstream(&buf_, &size_); }
  void TearDown() override {
    std::fclose(out_);
    std::free(buf_);
  }
  std::string Written() {
    std::fflush(out_);
    return std::string(buf_, size_);
  }

  std::FILE* out_ = nullptr;
  char* buf_ = nullptr;
  size_t size_ = 0;
};

TEST_F(ProgressTest, ALineIsDueOneIntervalAfterTheOriginAndShowsTheTimeSinceIt) {
  Progress progress(out_, 1.0);
  progress.Restart(NowNs() - 2'500'000'000);
  progress.Tick([] { return "dashboards: 3/8 subscribed, 0 failed"; });
  EXPECT_EQ(Written(), "[   2.5s] dashboards: 3/8 subscribed, 0 failed\n");
}

// A phase that held the thread for several intervals gets one line, and
// the next comes an interval later, not at once to catch up.
TEST_F(ProgressTest, AnOverdueLineComesOnceNotInABurst) {
  Progress progress(out_, 1.0);
  progress.Restart(NowNs() - 5'500'000'000);
  int reads = 0;
  auto line = [&reads] { return "line " + std::to_string(++reads); };
  for (int i = 0; i < 3; ++i) progress.Tick(line);
  EXPECT_EQ(reads, 1);
  EXPECT_EQ(Written(), "[   5.5s] line 1\n");
}

// Until a line is due its figures are not even read: reading the sending
// line's takes its interval's latencies.
TEST_F(ProgressTest, NothingIsReadBeforeALineIsDue) {
  Progress progress(out_, 1.0);
  progress.Restart(NowNs());
  bool read = false;
  progress.Tick([&read] { read = true; return std::string("x"); });
  EXPECT_FALSE(read);
  EXPECT_EQ(Written(), "");
}

TEST(ProgressOffTest, WithoutAStreamNothingIsReadOrPrinted) {
  Progress progress(nullptr, 1.0);
  progress.Restart(NowNs() - 10'000'000'000);
  bool read = false;
  progress.Tick([&read] { read = true; return std::string("x"); });
  EXPECT_FALSE(read);
}

TEST(ProgressLinesTest, EachPhaseSaysWhatItIsDoingWithItsCounts) {
  EXPECT_EQ(SendingLine(123456.4, 2000, 1.234, 77, 0),
            "    123456 events/s accepted, 2000 acks, p99 1.23 ms, pushes 77, errors 0");
  EXPECT_EQ(DashboardsLine(6120, 3, 10000), "dashboards: 6120/10000 subscribed, 3 failed");
  EXPECT_EQ(AwaitingAcksLine(12, 4500, 1), "sending stopped: 12 frames awaiting an answer, 4500 acks, errors 1");
  EXPECT_EQ(LastPushesLine(98765), "dashboards: waiting for the last pushes, pushes 98765");
  EXPECT_EQ(PoolBuildingLine(20000000), "building the frames of 20000000 events");
  EXPECT_EQ(PoolBuiltLine(20000000, 7.25), "built the frames of 20000000 events in 7.2 s");
}

// --verify first applies the acked frames to its model, then compares the
// boards; the line says which, with that step's counts.
TEST(ProgressLinesTest, TheVerifyLineFollowsItsTwoSteps) {
  VerifyProgress p{.frames_applied = 1025, .frames = 6000, .boards = 120};
  EXPECT_EQ(VerifyLine(p), "verify: expected boards from 1025/6000 acked frames");
  p.frames_applied = 6000;
  EXPECT_EQ(VerifyLine(p), "verify: 0/120 boards compared, 0 differences");
  p.boards_compared = 37;
  p.differences = 2;
  EXPECT_EQ(VerifyLine(p), "verify: 37/120 boards compared, 2 differences");
  // No acked frame: nothing to apply, straight to the boards.
  EXPECT_EQ(VerifyLine(VerifyProgress{.boards = 6}), "verify: 0/6 boards compared, 0 differences");
}

}  // namespace
}  // namespace bangdan::loadgen
