#define BOOST_TEST_MODULE unit_site
#include <boost/test/unit_test.hpp>
