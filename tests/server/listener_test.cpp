// How the listener meets failing accepts (server/listener.h): which failures
// pause it, and how often they reach the log. The pause itself, against a
// real descriptor limit, is tested on the binary (python/lifecycle_test.py).
#include "listener.h"

#include <cerrno>

#include <boost/asio/error.hpp>
#include <gtest/gtest.h>

namespace bangdan {
namespace {

using Clock = AcceptFailureLog::Clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(AcceptFailureLog, TheFirstFailureIsLoggedAtOnce) {
  AcceptFailureLog log;
  EXPECT_EQ(log.Note(Clock::time_point() + seconds(5)), 1u);
}

TEST(AcceptFailureLog, AtMostOneLineEveryTenSecondsCountingWhatItHeldBack) {
  AcceptFailureLog log;
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

TEST(AcceptFailureLog, AFailureLongAfterTheLastLineIsLoggedAtOnce) {
  AcceptFailureLog log;
  const Clock::time_point start = Clock::time_point() + seconds(100);
  ASSERT_EQ(log.Note(start), 1u);
  EXPECT_EQ(log.Note(start + seconds(1)), 0u);
  EXPECT_EQ(log.Note(start + seconds(3600)), 2u);
}

TEST(AcceptFailureLog, ShortagesOfDescriptorsOrMemoryPauseAccepting) {
  namespace error = boost::asio::error;
  for (int e : {EMFILE, ENFILE, ENOBUFS, ENOMEM})
    EXPECT_TRUE(IsResourceShortage(boost::system::error_code(e, boost::system::system_category()))) << e;
  EXPECT_TRUE(IsResourceShortage(error::no_descriptors));
  // One connection's trouble: the next accept may well succeed.
  for (int e : {ECONNABORTED, EPROTO, EPERM, ENETUNREACH, EHOSTUNREACH})
    EXPECT_FALSE(IsResourceShortage(boost::system::error_code(e, boost::system::system_category()))) << e;
  EXPECT_FALSE(IsResourceShortage(error::operation_aborted));
  EXPECT_FALSE(IsResourceShortage(error::make_error_code(error::eof)));
}

}  // namespace
}  // namespace bangdan
