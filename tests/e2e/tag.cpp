// Issue 6, `tag KEY VALUE` (SPEC §3): sets KEY only if it was never set. Typed at the same
// time at 3 sites, exactly one tag completes and the other two print
// `unable to execute tag: key exists`; every site then reads the winner's value.

#include <boost/test/unit_test.hpp>
#include <map>
#include <string>
#include <vector>

#include "harness.hpp"

using namespace e2e;

BOOST_AUTO_TEST_SUITE(tag)

BOOST_AUTO_TEST_CASE(concurrent_tags_of_one_key_have_exactly_one_winner) {
  constexpr int rounds = 5;
  Cluster c;
  c.start_all();
  const std::vector<std::string> names = c.names();
  std::vector<SiteProcess*> sites;
  for (const auto& name : names) sites.push_back(&c.site(name));

  for (int round = 0; round < rounds; ++round) {
    const std::string key = "t" + std::to_string(round);
    // Typed at all three before any answer is read, so the three tags race for the key.
    for (const auto& name : names)
      BOOST_TEST_REQUIRE(c.site(name).send_line("tag " + key + " by-" + name));

    std::map<std::string, std::string> answers;
    const Deadline deadline = after(20s);
    while (answers.size() < names.size() && Clock::now() < deadline) {
      pump_any(sites, deadline);
      for (const auto& name : names)
        if (!answers.count(name))
          if (auto line = c.site(name).take_line()) answers[name] = *line;
    }
    BOOST_TEST_REQUIRE(answers.size() == names.size(),
                       "round " << round << ": only " << answers.size() << " sites answered");

    std::vector<std::string> winners;
    for (const auto& [name, line] : answers) {
      if (line == "tag " + key + " completed") {
        winners.push_back(name);
      } else {
        BOOST_TEST(line == "unable to execute tag: key exists", name << " answered: " << line);
      }
    }
    BOOST_TEST_REQUIRE(winners.size() == 1u, "round " << round << ": " << winners.size()
                                                      << " tags of " << key << " completed");
    // Whoever reads, the value is the winner's.
    for (const auto& name : names)
      BOOST_TEST(c.run(name, "get " + key) == "get " + key + " returned by-" + winners[0],
                 "round " << round << " read at " << name);
    BOOST_TEST_MESSAGE("round " << round << ": " << winners[0] << " won the tag of " << key);
  }

  // The maps agree on every tagged key.
  auto all_tagged = [&](const Lines&, const Lines& kv) {
    auto map = kv_map(kv);
    for (int round = 0; round < rounds; ++round)
      if (!map.count("t" + std::to_string(round))) return false;
    return true;
  };
  std::map<std::string, Lines> kvs;
  BOOST_TEST(c.wait_converged(after(20s), nullptr, &kvs, {}, all_tagged),
             "maps differ:\nalpha:" << join_lines(kvs["alpha"])
                                    << "\nbeta:" << join_lines(kvs["beta"])
                                    << "\ngamma:" << join_lines(kvs["gamma"]));
}

BOOST_AUTO_TEST_CASE(tag_fails_on_a_key_that_was_ever_set) {
  Cluster c;
  c.start_all();
  BOOST_TEST(c.run("alpha", "tag fresh first") == "tag fresh completed");
  BOOST_TEST(c.run("beta", "tag fresh second") == "unable to execute tag: key exists");
  BOOST_TEST(c.run("gamma", "get fresh") == "get fresh returned first");
  // Deleted keys were set once: a tag still fails (README: "never set").
  BOOST_TEST(c.run("gamma", "put gone 1") == "put gone completed");
  BOOST_TEST(c.run("alpha", "delete gone") == "delete gone completed");
  BOOST_TEST(c.run("beta", "tag gone again") == "unable to execute tag: key exists");
  BOOST_TEST(c.run("alpha", "get gone") == "get gone returned null");
}

BOOST_AUTO_TEST_SUITE_END()
