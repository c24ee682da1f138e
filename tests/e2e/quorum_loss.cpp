// Acceptance item 5 of issue 2: without a quorum a write fails in bounded time with a clear
// line, the site keeps answering, and writes work again once a quorum is back.

#include <boost/test/unit_test.hpp>

#include "harness.hpp"

using namespace e2e;

namespace {

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(quorum_loss)

BOOST_AUTO_TEST_CASE(put_fails_without_quorum_and_works_after_a_restart) {
  Cluster c;
  c.start_all();
  BOOST_TEST_REQUIRE(c.run("alpha", "put x 1") == "put x completed");
  BOOST_TEST_REQUIRE(c.run("beta", "put y 2") == "put y completed");

  for (const std::string name : {"beta", "gamma"}) {
    BOOST_TEST_REQUIRE(c.site(name).send_line("crash"));
    BOOST_TEST_REQUIRE(c.site(name).wait_exit(after(10s)), name << " still running after crash");
  }

  // The failure line comes within 10 s (we wait a little longer to tell "late" from "never").
  auto [answer, took] = c.site("alpha").answer_timed("put z 3", 30s);
  BOOST_TEST_MESSAGE("put without quorum answered after "
                     << took << " s: " << answer.value_or("(nothing)"));
  BOOST_TEST_REQUIRE(answer.has_value(), "no answer to `put z 3` within 30 s without quorum");
  BOOST_TEST(starts_with(*answer, "unable to execute put: "), "answer: " << *answer);
  BOOST_TEST(answer->size() > std::string("unable to execute put: ").size(), "empty reason");
  BOOST_TEST(took < 10.0, "the failure took " << took << " s");

  // Still responsive: local commands answer at once and show the decided writes.
  BOOST_TEST(c.site("alpha").is_running());
  const auto asked = Clock::now();
  auto log = c.print_log("alpha", 5s);
  BOOST_TEST_REQUIRE(log.has_value(), "`print log` did not answer without quorum");
  BOOST_TEST(seconds_since(asked) < 5.0);
  BOOST_TEST(log_has(*log, "put", "x", "1"), "log:" << join_lines(*log));
  BOOST_TEST(log_has(*log, "put", "y", "2"), "log:" << join_lines(*log));
  auto kv = c.print_kv("alpha", 5s);
  BOOST_TEST_REQUIRE(kv.has_value());
  BOOST_TEST(kv_map(*kv)["x"] == "1");

  // One site back: a majority again, so a new put completes.
  c.restart("beta");
  const auto again = Clock::now();
  BOOST_TEST(c.run("alpha", "put w 4", 20s) == "put w completed");
  BOOST_TEST_MESSAGE("put after the restart took " << seconds_since(again) << " s");
  BOOST_TEST(c.run("beta", "get w", 20s) == "get w returned 4");
  BOOST_TEST(c.run("beta", "get x", 20s) == "get x returned 1");
}

BOOST_AUTO_TEST_SUITE_END()
