// LogThrottle (server/log.h): how often a failure that repeats reaches the
// log, and what the line can say of those held back.
#include "log.h"

#include <gtest/gtest.h>

namespace bangdan {
namespace {

using Clock = LogThrottle::Clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(LogThrottle, TheFirstFailureIsLoggedAtOnce) {
  LogThrottle log;
  EXPECT_EQ(log.Note(Clock::time_point() + seconds(5)), 1u);
}

TEST(LogThrottle, AtMostOneLineEveryTenSecondsCountingWhatItHeldBack) {
  LogThrottle log;
  const Clock::time_point start = Clock::time_point() + seconds(100);
  ASSERT_EQ(log.Note(start), 1u);
  // A failure every 100 ms, as while accepting pauses for want of descriptors.
  Clock::time_point t = start;
  for (int i = 1; i < 100; ++i) {
    t += milliseconds(100);
    EXPECT_EQ(log.Note(t), 0u) << i;
  }
  t += milliseconds(100);
  ASSERT_EQ(t - start, seconds(10));
  EXPECT_EQ(log.Note(t), 100u);  // the 99 held back and this one
  EXPECT_EQ(log.Note(t + milliseconds(1)), 0u);
}

TEST(LogThrottle, AFailureLongAfterTheLastLineIsLoggedAtOnce) {
  LogThrottle log;
  const Clock::time_point start = Clock::time_point() + seconds(100);
  ASSERT_EQ(log.Note(start), 1u);
  EXPECT_EQ(log.Note(start + seconds(1)), 0u);
  EXPECT_EQ(log.Note(start + seconds(3600)), 2u);
}

TEST(LogThrottle, AfterAResetTheNextFailureIsLoggedAtOnce) {
  LogThrottle log;
  const Clock::time_point start = Clock::time_point() + seconds(100);
  ASSERT_EQ(log.Note(start), 1u);
  EXPECT_EQ(log.Note(start + seconds(1)), 0u);
  EXPECT_EQ(log.held_back(), 1u);  // what a "failing no more" line can count
  log.Reset();
  EXPECT_EQ(log.held_back(), 0u);
  EXPECT_EQ(log.Note(start + seconds(2)), 1u);
}

}  // namespace
}  // namespace bangdan
