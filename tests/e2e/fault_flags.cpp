// Issue 6, fault injection for teaching and testing: `--drop-rate P` drops each outgoing
// datagram, `--fail-rate P` makes the acceptor ignore each incoming prepare or accept, and the
// shell's `faillink SITE` / `fixlink SITE` cut and restore one link. The cluster stays correct
// and live through all of them.

#include <boost/test/unit_test.hpp>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "harness.hpp"

using namespace e2e;

namespace {

// How many lines of a site's stderr contain `text`.
std::size_t count_in_stderr(Cluster& c, const std::string& name, const std::string& text) {
  const std::string err = read_file(c.site(name).stderr_file());
  std::size_t count = 0;
  for (std::size_t at = err.find(text); at != std::string::npos; at = err.find(text, at + 1))
    ++count;
  return count;
}

// Command i of the test: a put with a value unique in the whole test.
std::string put_of(int i) {
  return "put w" + std::to_string(i) + " v" + std::to_string(i);
}

bool has_puts(const Lines& log, int from, int to) {
  for (int i = from; i < to; ++i)
    if (!log_has(log, "put", "w" + std::to_string(i), "v" + std::to_string(i))) return false;
  return true;
}

struct WriteOutcome {
  int completed = 0;
  int retyped = 0;
};

// Types every write of every site at once (put_of(i)) and reads the answers. A write that
// prints `unable to execute put: timed out, outcome unknown (no quorum after 3 attempts)` is
// typed again, at most twice, as
// a user would: with lossy links a forwarded command can lose every one of its attempts, and
// its outcome is then unknown (README, "Failures"); a put of a unique value is safe to repeat.
// Any other answer fails the test.
WriteOutcome type_writes_retrying_timeouts(Cluster& c,
                                           const std::map<std::string, std::vector<int>>& writes,
                                           Deadline deadline) {
  constexpr int max_typings = 3;
  const std::string timeout =
      "unable to execute put: timed out, outcome unknown (no quorum after 3 attempts)";
  WriteOutcome outcome;
  std::map<std::string, std::deque<int>> pending;  // typed, not answered yet, in typed order
  std::map<int, int> typings;
  std::vector<SiteProcess*> sites;
  for (const auto& [name, list] : writes) {
    sites.push_back(&c.site(name));
    for (int i : list) {
      BOOST_TEST_REQUIRE(c.site(name).send_line(put_of(i)));
      pending[name].push_back(i);
      typings[i] = 1;
    }
  }
  auto unanswered = [&] {
    std::size_t n = 0;
    for (const auto& [name, queue] : pending) n += queue.size();
    return n;
  };
  while (unanswered() > 0 && Clock::now() < deadline) {
    pump_any(sites, deadline);
    for (auto& [name, queue] : pending) {
      while (!queue.empty()) {
        auto line = c.site(name).take_line();
        if (!line) break;
        const int i = queue.front();
        queue.pop_front();
        if (*line == "put w" + std::to_string(i) + " completed") {
          ++outcome.completed;
          continue;
        }
        BOOST_TEST_REQUIRE(*line == timeout, name << ": answer to `" << put_of(i) << "`");
        BOOST_TEST_REQUIRE(typings[i] < max_typings,
                           "`" << put_of(i) << "` timed out " << max_typings << " times");
        BOOST_TEST_MESSAGE(name << ": `" << put_of(i) << "` timed out; typing it again");
        ++typings[i];
        ++outcome.retyped;
        BOOST_TEST_REQUIRE(c.site(name).send_line(put_of(i)));
        queue.push_back(i);
      }
    }
  }
  BOOST_TEST(unanswered() == 0u, unanswered() << " writes unanswered at the deadline");
  return outcome;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fault_flags)

BOOST_AUTO_TEST_CASE(fifty_writes_complete_with_drop_rate_everywhere_and_a_failing_acceptor) {
  constexpr int writes = 50;
  ClusterSpec spec;
  // Debug level, so the stderr files show that the injected faults really ate messages.
  spec.extra_args = {"--log-level", "debug", "--drop-rate", "0.2"};
  spec.sites = {SiteSpec{"alpha", "", {"--fail-rate", "0.2"}}, SiteSpec{"beta", "", {}},
                SiteSpec{"gamma", "", {}}};
  Cluster c(spec);
  c.start_all();

  const std::vector<std::string> names = c.names();
  std::map<std::string, std::vector<int>> writes_of;
  for (int i = 0; i < writes; ++i) writes_of[names[i % names.size()]].push_back(i);
  const auto start = Clock::now();
  const WriteOutcome outcome = type_writes_retrying_timeouts(c, writes_of, after(120s));
  BOOST_TEST_MESSAGE(writes << " writes under injected faults answered in " << seconds_since(start)
                            << " s, " << outcome.retyped << " of them typed again after "
                            << "`timed out, outcome unknown`");
  BOOST_TEST_REQUIRE(outcome.completed == writes,
                     outcome.completed << " of " << writes << " writes completed");
  // Each retyped write had all three forwards of its 3 attempts lost (0.2^3 = 0.8% each), or
  // worse: more than a few means the faults stopped the cluster rather than slowed it.
  BOOST_TEST(outcome.retyped <= 4, outcome.retyped << " writes had to be typed again");

  std::map<std::string, Lines> logs;
  std::map<std::string, Lines> kvs;
  auto all_writes = [&](const Lines& log, const Lines&) { return has_puts(log, 0, writes); };
  bool converged = c.wait_converged(after(60s), &logs, &kvs, {}, all_writes);
  BOOST_TEST_REQUIRE(converged, "logs differ or miss writes; alpha has "
                                    << logs["alpha"].size() << " slots, beta "
                                    << logs["beta"].size() << ", gamma " << logs["gamma"].size());
  auto map = kv_map(kvs["alpha"]);
  for (int i = 0; i < writes; ++i)
    BOOST_TEST(map["w" + std::to_string(i)] == "v" + std::to_string(i));

  // The flags did act: every site dropped outgoing datagrams, and only alpha's acceptor
  // ignored prepares or accepts.
  for (const auto& name : names) {
    const std::size_t dropped = count_in_stderr(c, name, "fault injection: dropped outgoing");
    BOOST_TEST_MESSAGE(name << " dropped " << dropped << " outgoing datagrams");
    BOOST_TEST(dropped > 0u, name << " dropped no datagram with --drop-rate 0.2");
    BOOST_TEST(count_in_stderr(c, name, "fault injection on:") == 1u);
  }
  const std::size_t ignored = count_in_stderr(c, "alpha", "fault injection: acceptor ignores");
  BOOST_TEST_MESSAGE("alpha's acceptor ignored " << ignored << " prepares or accepts");
  BOOST_TEST(ignored > 0u, "alpha ignored nothing with --fail-rate 0.2");
  BOOST_TEST(count_in_stderr(c, "beta", "fault injection: acceptor ignores") == 0u);
  BOOST_TEST(count_in_stderr(c, "gamma", "fault injection: acceptor ignores") == 0u);
}

BOOST_AUTO_TEST_CASE(bad_fault_rates_are_usage_errors) {
  Cluster c({"alpha", "beta", "gamma"}, {"--fail-rate", "1.5"});
  c.start("alpha");
  BOOST_TEST_REQUIRE(c.site("alpha").wait_exit(after(10s)), "alpha runs with --fail-rate 1.5");
  BOOST_TEST(c.site("alpha").describe_exit() == "exit code 2");
  const std::string err = read_file(c.site("alpha").stderr_file());
  BOOST_TEST(
      err.find("--fail-rate takes a probability from 0 to 1, not '1.5'") != std::string::npos,
      "stderr: " << err);
}

BOOST_AUTO_TEST_CASE(writes_complete_through_the_third_site_while_one_link_is_failed) {
  Cluster c;
  c.start_all();
  BOOST_TEST_REQUIRE(c.run("alpha", "put before 1") == "put before completed");

  // Cut the link between the leader and one follower, both ways (`faillink` at each end).
  // Each of the two still reaches the third site, so {leader, third} and {follower, third}
  // are quorums: every write must find a path through the third site. Cutting a link of
  // the leader makes that matter; with the leader unknown, the link is alpha <-> beta.
  std::string a = "alpha";
  const std::string status = " " + c.run("gamma", "print status") + " ";
  for (const std::string name : {"alpha", "beta", "gamma"})
    if (status.find(" leader=" + name + " ") != std::string::npos) a = name;
  const std::string b = a == "alpha" ? "beta" : "alpha";
  const std::string third = a != "gamma" && b != "gamma" ? "gamma" : "beta";
  BOOST_TEST_MESSAGE("failing the link " << a << " <-> " << b << " (status: " << status << ")");
  BOOST_TEST_REQUIRE(c.run(a, "faillink " + b) == "link to " + b + " failed");
  BOOST_TEST_REQUIRE(c.run(b, "faillink " + a) == "link to " + a + " failed");
  const auto start = Clock::now();
  int next = 0;
  for (int round = 0; round < 4; ++round)
    for (const std::string& name : {a, b, third}) {
      const int i = next++;
      BOOST_TEST(c.run(name, put_of(i), 30s) == "put w" + std::to_string(i) + " completed",
                 "write typed at " << name << " with the " << a << "-" << b << " link failed");
    }
  BOOST_TEST_MESSAGE(next << " writes with the " << a << "-" << b << " link failed took "
                          << seconds_since(start) << " s");
  BOOST_TEST(c.run(a, "get w1") == "get w1 returned v1");
  BOOST_TEST(c.run(b, "get w0") == "get w0 returned v0");

  // Restored: writes go on, and all three sites converge to one log.
  BOOST_TEST_REQUIRE(c.run(a, "fixlink " + b) == "link to " + b + " fixed");
  BOOST_TEST_REQUIRE(c.run(b, "fixlink " + a) == "link to " + a + " fixed");
  for (const std::string& name : {b, a, third}) {
    const int i = next++;
    BOOST_TEST(c.run(name, put_of(i)) == "put w" + std::to_string(i) + " completed");
  }
  const int total = next;
  std::map<std::string, Lines> logs;
  auto all_writes = [&](const Lines& log, const Lines&) { return has_puts(log, 0, total); };
  BOOST_TEST(c.wait_converged(after(30s), &logs, nullptr, {}, all_writes),
             "logs differ after fixlink; alpha has " << logs["alpha"].size() << " slots, beta "
                                                     << logs["beta"].size() << ", gamma "
                                                     << logs["gamma"].size());
}

BOOST_AUTO_TEST_SUITE_END()
