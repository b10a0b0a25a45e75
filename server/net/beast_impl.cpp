// The one translation unit that compiles Boost.Asio's and Boost.Beast's
// implementation (BOOST_*_SEPARATE_COMPILATION): every other file includes
// their headers only, which keeps builds of the server and tools fast.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
