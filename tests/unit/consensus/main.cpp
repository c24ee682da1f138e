#define BOOST_TEST_MODULE unit_consensus
#include <boost/test/unit_test.hpp>
