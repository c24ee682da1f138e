// Issue 15, defect 8: the value limit holds for what is stored, not only for what one command
// carries. Before, nine acknowledged 8,000-byte appends made a value that no get could return
// (the reply did not fit a datagram: `no reply after 3 attempts`). Now an append that would
// pass the limit is refused, the same way at every site, and a get of any stored value answers.

#include <boost/test/unit_test.hpp>
#include <string>

#include "harness.hpp"
#include "paxoskv/limits.hpp"

using namespace e2e;

BOOST_AUTO_TEST_SUITE(value_limit)

BOOST_AUTO_TEST_CASE(appends_past_the_value_limit_are_refused_and_every_value_reads_back) {
  const std::size_t limit = paxoskv::limits::max_value_bytes;
  const std::string refused =
      "unable to execute append: value too large (limit " + std::to_string(limit) + " bytes)";
  const std::string chunk(8000, 'v');
  Cluster c;
  c.start_all();
  BOOST_TEST_REQUIRE(c.run("alpha", "put big " + chunk) == "put big completed");
  // Nine more appends, typed at every site in turn: each would pass the limit.
  const std::vector<std::string> names = c.names();
  for (int i = 0; i < 9; ++i)
    BOOST_TEST(c.run(names[i % names.size()], "append big " + chunk) == refused, "append " << i);
  // Up to the limit exactly.
  const std::string rest(limit - chunk.size(), 'w');
  BOOST_TEST(c.run("beta", "append big " + rest) == "append big completed");
  BOOST_TEST(c.run("gamma", "append big x") == refused);
  for (const auto& name : names)
    BOOST_TEST(c.run(name, "get big") == "get big returned " + chunk + rest, "get at " << name);
  BOOST_TEST(c.quit_all());
}

BOOST_AUTO_TEST_SUITE_END()
