// Issue 17, `cas KEY EXPECTED NEW` (SPEC §6c): at the shell and with paxoskv-client, a put that
// takes effect only when the key holds EXPECTED. Typed at the same time at 3 sites with the
// same EXPECTED, exactly one completes each round and the others print
// `unable to execute cas: value differs`.

#include <boost/test/unit_test.hpp>
#include <map>
#include <string>
#include <vector>

#include "harness.hpp"

using namespace e2e;

BOOST_AUTO_TEST_SUITE(cas)

BOOST_AUTO_TEST_CASE(racing_cas_of_one_key_has_exactly_one_winner_each_round) {
  constexpr int rounds = 5;
  Cluster c;
  c.start_all();
  const std::vector<std::string> names = c.names();
  std::vector<SiteProcess*> sites;
  for (const auto& name : names) sites.push_back(&c.site(name));
  BOOST_TEST_REQUIRE(c.run("alpha", "put lock v0") == "put lock completed");

  std::string current = "v0";
  for (int round = 1; round <= rounds; ++round) {
    for (const auto& name : names)
      BOOST_TEST_REQUIRE(c.site(name).send_line("cas lock " + current + " v" +
                                                std::to_string(round) + "-" + name));
    std::map<std::string, std::string> answers;
    const Deadline deadline = after(20s);
    while (answers.size() < names.size() && Clock::now() < deadline) {
      pump_any(sites, deadline);
      for (const auto& name : names)
        if (!answers.count(name))
          if (auto line = c.site(name).take_line()) answers[name] = *line;
    }
    BOOST_TEST_REQUIRE(answers.size() == names.size());
    std::vector<std::string> winners;
    for (const auto& [name, line] : answers) {
      if (line == "cas lock completed")
        winners.push_back(name);
      else
        BOOST_TEST(line == "unable to execute cas: value differs", name << " answered: " << line);
    }
    BOOST_TEST_REQUIRE(winners.size() == 1u,
                       "round " << round << ": " << winners.size() << " winners");
    current = "v" + std::to_string(round) + "-" + winners[0];
    for (const auto& name : names)
      BOOST_TEST(c.run(name, "get lock") == "get lock returned " + current);
  }
}

BOOST_AUTO_TEST_CASE(the_client_tool_and_bad_input) {
  Cluster c;
  c.start_all();
  const std::string hosts = "--hosts " + c.hosts_file().string() + " ";
  BOOST_TEST(c.run("alpha", "put k old") == "put k completed");
  auto [wrong, wrong_status] = run_client(hosts + "cas k other new value");
  BOOST_TEST(wrong == "unable to execute cas: value differs\n");
  BOOST_TEST(wrong_status == 1);
  auto [right, right_status] = run_client(hosts + "cas k old new value");
  BOOST_TEST(right == "cas k completed\n");
  BOOST_TEST(right_status == 0);
  BOOST_TEST(c.run("beta", "get k") == "get k returned new value");
  // A cas of an absent key fails: it holds no value to compare.
  BOOST_TEST(c.run("gamma", "cas nokey x y") == "unable to execute cas: value differs");
  BOOST_TEST(c.run("gamma", "cas k") ==
             "invalid command: cas needs KEY, EXPECTED and NEW (usage: cas KEY EXPECTED NEW...)");
  auto [usage, usage_status] = run_client(hosts + "cas k");
  BOOST_TEST(usage_status == 2);
}

BOOST_AUTO_TEST_SUITE_END()
