// The one translation unit that compiles Boost.Asio's and Boost.Beast's
// implementation (BOOST_*_SEPARATE_COMPILATION): every other file includes
// their headers only, which keeps builds of the server and tools fast.
//
// All of it but Beast's UTF-8 check of text frames, which utf8_checker.cpp
// defines instead: defining the include guard of Beast's own definitions
// leaves them out. (Should a Boost release rename that guard, both
// definitions would be linked and the build would fail, not change silently.)
#define BOOST_BEAST_WEBSOCKET_DETAIL_UTF8_CHECKER_IPP
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
