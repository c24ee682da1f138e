// Acceptance item 4 of issue 2: a site that crashed and missed writes catches up after a
// restart on its old data dir.

#include <algorithm>
#include <boost/test/unit_test.hpp>

#include "harness.hpp"

using namespace e2e;

BOOST_AUTO_TEST_SUITE(recovery)

BOOST_AUTO_TEST_CASE(crashed_site_learns_the_slots_it_missed) {
  Cluster c;
  c.start_all();
  // Something gamma has in its own files before the crash.
  BOOST_TEST_REQUIRE(c.run("alpha", "put before 1") == "put before completed");
  BOOST_TEST_REQUIRE(c.run("gamma", "append before 2") == "append before completed");

  BOOST_TEST_REQUIRE(c.site("gamma").send_line("crash"));
  BOOST_TEST_REQUIRE(c.site("gamma").wait_exit(after(10s)), "gamma still running after `crash`");
  BOOST_TEST(!c.site("gamma").take_line().has_value(), "`crash` printed something");

  // 50 writes while gamma is down: alpha and beta each rewrite their own 5 keys 5 times, so
  // the latest value of every key is known.
  std::map<std::string, std::vector<Scripted>> script;
  std::map<std::string, std::string> latest;
  for (const std::string name : {"alpha", "beta"}) {
    for (int i = 0; i < 25; ++i) {
      std::string key = "r" + name.substr(0, 1) + std::to_string(i % 5);
      std::string value = name.substr(0, 1) + "v" + std::to_string(i);
      script[name].push_back(Scripted{"put " + key + " " + value, "put " + key + " completed"});
      latest[key] = value;
    }
  }
  BOOST_TEST_REQUIRE(run_all_at_once(c, script, after(60s)),
                     "not all 50 writes completed with gamma down");

  std::map<std::string, Lines> logs;
  std::map<std::string, Lines> kvs;
  BOOST_TEST_REQUIRE(c.wait_converged(after(20s), &logs, &kvs, {"alpha", "beta"}),
                     "alpha and beta do not agree before gamma's restart");
  const Lines reference_log = logs["alpha"];
  for (const auto& [key, value] : latest)
    BOOST_TEST(kv_map(kvs["alpha"])[key] == value, "alpha's map for " << key);

  // Restart gamma on its old files: within 5 s it shows the same log and map as the others.
  const auto restarted = Clock::now();
  c.restart("gamma");
  auto caught_up = [&](const Lines& log, const Lines&) {
    return log.size() >= reference_log.size() &&
           std::equal(reference_log.begin(), reference_log.end(), log.begin());
  };
  bool converged = c.wait_converged(restarted + 5s, &logs, &kvs, {}, caught_up);
  double took = seconds_since(restarted);
  BOOST_TEST_MESSAGE("gamma caught up " << took << " s after its restart");
  BOOST_TEST(converged, "5 s after the restart gamma has "
                            << logs["gamma"].size() << " slots, alpha " << logs["alpha"].size()
                            << "; gamma's kv:" << join_lines(kvs["gamma"])
                            << "\nalpha's kv:" << join_lines(kvs["alpha"]));

  // And a linearizable read at gamma sees the latest values.
  BOOST_TEST(c.run("gamma", "get before") == "get before returned 12");
  for (const auto& [key, value] : latest)
    BOOST_TEST(c.run("gamma", "get " + key) == "get " + key + " returned " + value);
}

BOOST_AUTO_TEST_SUITE_END()
