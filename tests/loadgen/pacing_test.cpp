#include "pacing.h"

#include <gtest/gtest.h>

namespace bangdan::loadgen {
namespace {

TEST(PacingTest, FramesAreDueOneIntervalApartFromTheRunsStart) {
  Pacing p(2'500'000);  // 2.5 ms a frame
  p.Begin(/*start_ns=*/1'000'000'000, /*now=*/1'000'000'000);
  EXPECT_TRUE(p.paced());
  EXPECT_EQ(p.Due(0), 1'000'000'000);
  EXPECT_EQ(p.Due(4), 1'010'000'000);
}

// Four connections, one frame each per 4 ms: their frames take turns a
// millisecond apart instead of all four going at once every 4 ms.
TEST(PacingTest, ConnectionsTakeTurns) {
  for (uint32_t conn = 0; conn < 4; ++conn) {
    Pacing p(4'000'000);
    p.Begin(/*start_ns=*/0, /*now=*/0, conn, /*connections=*/4);
    EXPECT_EQ(p.Due(0), conn * 1'000'000);
    EXPECT_EQ(p.Due(3), 12'000'000 + conn * 1'000'000);
  }
}

// A connection whose handshake ended after the run began starts its own
// schedule then: it is not late for its first frames and does not burst.
TEST(PacingTest, AConnectionOpenedLateStartsItsScheduleWhenItCanSend) {
  Pacing p(1'000'000);
  p.Begin(/*start_ns=*/5'000'000, /*now=*/9'000'000);
  EXPECT_EQ(p.Due(0), 9'000'000);
  EXPECT_EQ(p.LatencyOrigin(0, 9'000'000), 9'000'000);
}

// A frame sent late counts from when it was due; one sent on time from its send.
TEST(PacingTest, LatencyCountsFromTheDueTimeOfALateFrame) {
  Pacing p(1'000'000);
  p.Begin(0, 0);
  EXPECT_EQ(p.LatencyOrigin(10, 10'000'000), 10'000'000);  // on time
  EXPECT_EQ(p.LatencyOrigin(10, 250'000'000), 10'000'000); // held back 240 ms
}

// A late frame is put down to whatever took most of its delay: its
// connection held past the due time (the server's pace), or the generator
// once the connection was free.
TEST(PacingTest, ALateFrameIsPutDownToWhatHeldItLongest) {
  Pacing p(10'000'000);  // a frame every 10 ms
  p.Begin(0, 0);
  EXPECT_EQ(p.Classify(1, 10'500'000), Pacing::Lateness::kOnTime);  // 0.5 ms: on time
  // Free to send all along, sent 5 ms late: the generator.
  EXPECT_EQ(p.Classify(1, 15'000'000), Pacing::Lateness::kGenerator);
  // Held from before the due time until 40 ms, sent at 41 ms: held.
  p.Held();
  p.Released(40'000'000);
  EXPECT_EQ(p.Classify(1, 41'000'000), Pacing::Lateness::kHeld);
  // Released 2 ms after frame 3 was due, sent 6 ms after that: the generator.
  p.Held();
  p.Released(32'000'000);
  EXPECT_EQ(p.Classify(3, 38'000'000), Pacing::Lateness::kGenerator);
  // A Released without a Held before it changes nothing.
  p.Released(90'000'000);
  EXPECT_EQ(p.Classify(3, 38'000'000), Pacing::Lateness::kGenerator);
  EXPECT_EQ(Pacing(0).Classify(5, 1'000'000'000), Pacing::Lateness::kOnTime);  // unpaced
}

TEST(PacingTest, UnpacedFramesCountFromTheirSend) {
  Pacing p(0);
  p.Begin(0, 7);
  EXPECT_FALSE(p.paced());
  EXPECT_EQ(p.LatencyOrigin(1'000, 123'456), 123'456);
}

}  // namespace
}  // namespace bangdan::loadgen
