// The Boost.Test module of the end-to-end tests; the suites are in the other files here.
#define BOOST_TEST_MODULE e2e
#include <boost/test/unit_test.hpp>
