#define BOOST_TEST_MODULE unit_storage
#include <boost/test/unit_test.hpp>
