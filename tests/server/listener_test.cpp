// How the listener meets failing accepts (server/listener.h): which failures
// pause it (how often they reach the log: log_test.cpp). The pause itself,
// against a real descriptor limit, is tested on the binary
// (python/lifecycle_test.py).
#include "listener.h"

#include <cerrno>

#include <boost/asio/error.hpp>
#include <gtest/gtest.h>

namespace bangdan {
namespace {

TEST(Listener, ShortagesOfDescriptorsOrMemoryPauseAccepting) {
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
