// Issue 6, learner-only sites (hosts file role `learner`, SPEC §2): a learner applies the log,
// serves linearizable reads, forwards writes typed at it, and never counts in a quorum; a
// cluster of 3 voters + 2 learners keeps working with 1 voter and both learners down.

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "harness.hpp"

using namespace e2e;

namespace {

const std::vector<std::string> kVoters = {"alpha", "beta", "gamma"};
const std::vector<std::string> kLearners = {"delta", "epsilon"};

ClusterSpec three_voters_two_learners() {
  ClusterSpec spec;
  for (const auto& name : kVoters) spec.sites.push_back(SiteSpec{name, "voter", {}});
  for (const auto& name : kLearners) spec.sites.push_back(SiteSpec{name, "learner", {}});
  return spec;
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

void crash(Cluster& c, const std::string& name) {
  BOOST_TEST_REQUIRE(c.site(name).send_line("crash"));
  BOOST_TEST_REQUIRE(c.site(name).wait_exit(after(10s)), name << " still running after crash");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(learners)

BOOST_AUTO_TEST_CASE(learners_apply_the_log_read_linearizably_and_forward_writes) {
  Cluster c(three_voters_two_learners());
  c.start_all();
  BOOST_TEST(c.run("alpha", "put x 1") == "put x completed");
  // Writes typed at a learner are forwarded to the leader.
  BOOST_TEST(c.run("delta", "put y from-delta") == "put y completed");
  BOOST_TEST(c.run("epsilon", "append x 2") == "append x completed");
  BOOST_TEST(c.run("gamma", "get y") == "get y returned from-delta");

  // A read at a learner returns the latest value, right after the write completed elsewhere:
  // it goes through the leader (read-index), so it may not return what the learner happens
  // to have applied so far.
  for (int round = 0; round < 10; ++round) {
    const std::string& writer = kVoters[round % kVoters.size()];
    const std::string& reader = kLearners[round % kLearners.size()];
    const std::string value = "v" + std::to_string(round);
    BOOST_TEST_REQUIRE(c.run(writer, "put r " + value) == "put r completed");
    BOOST_TEST(c.run(reader, "get r") == "get r returned " + value,
               reader << " read after " << writer << " wrote " << value);
  }
  BOOST_TEST(c.run("delta", "get x") == "get x returned 12");
  BOOST_TEST(c.run("epsilon", "get nothing") == "get nothing returned null");

  // Every site, learners included, ends with the same log and the same map.
  auto has_all_writes = [](const Lines& log, const Lines&) {
    return log_has(log, "put", "x", "1") && log_has(log, "put", "y", "from-delta") &&
           log_has(log, "append", "x", "2") && log_has(log, "put", "r", "v9");
  };
  std::map<std::string, Lines> logs;
  std::map<std::string, Lines> kvs;
  bool converged = c.wait_converged(after(20s), &logs, &kvs, {}, has_all_writes);
  BOOST_TEST(converged, "logs differ or miss writes:\nalpha:"
                            << join_lines(logs["alpha"]) << "\ndelta:" << join_lines(logs["delta"])
                            << "\nepsilon:" << join_lines(logs["epsilon"]));
  BOOST_TEST(kv_map(kvs["epsilon"])["x"] == "12");
}

BOOST_AUTO_TEST_CASE(learners_never_count_in_a_quorum) {
  Cluster c(three_voters_two_learners());
  c.start_all();
  BOOST_TEST_REQUIRE(c.run("delta", "put before 1") == "put before completed");
  crash(c, "beta");
  crash(c, "gamma");

  // Up: alpha, delta, epsilon, 3 of 5 sites, but only 1 of 3 voters. If learners counted,
  // this put would be decided; it must fail instead, with the failure line within 10 s.
  auto [answer, took] = c.site("delta").answer_timed("put during 2", 30s);
  BOOST_TEST_MESSAGE("put at a learner without a voter quorum answered after "
                     << took << " s: " << answer.value_or("(nothing)"));
  BOOST_TEST_REQUIRE(answer.has_value(), "no answer to `put during 2` within 30 s");
  BOOST_TEST(starts_with(*answer, "unable to execute put: "), "answer: " << *answer);
  BOOST_TEST(took < 10.0, "the failure took " << took << " s");

  // Nothing was decided: neither the voter nor the learners have the write in their log.
  for (const std::string name : {"alpha", "delta", "epsilon"}) {
    auto log = c.print_log(name, 5s);
    BOOST_TEST_REQUIRE(log.has_value());
    BOOST_TEST(log_has(*log, "put", "before", "1"), name << " log:" << join_lines(*log));
    BOOST_TEST(!log_has(*log, "put", "during", "2"),
               name << " decided a write without a quorum of voters:" << join_lines(*log));
  }
  // A linearizable read needs a voter quorum too.
  const std::string read = c.run("epsilon", "get before", 30s);
  BOOST_TEST(starts_with(read, "unable to execute get: "), "answer: " << read);

  // One voter back: a quorum of voters again, and the learner's writes and reads work.
  c.restart("beta");
  BOOST_TEST(c.run("epsilon", "put after 3", 20s) == "put after completed");
  BOOST_TEST(c.run("delta", "get after", 20s) == "get after returned 3");
}

BOOST_AUTO_TEST_CASE(cluster_works_with_one_voter_and_both_learners_down) {
  Cluster c(three_voters_two_learners());
  c.start_all();
  BOOST_TEST_REQUIRE(c.run("epsilon", "put a 1") == "put a completed");
  crash(c, "gamma");
  crash(c, "delta");
  crash(c, "epsilon");

  const auto start = Clock::now();
  BOOST_TEST(c.run("alpha", "put b 2") == "put b completed");
  BOOST_TEST(c.run("beta", "append a 1") == "append a completed");
  BOOST_TEST(c.run("alpha", "get a") == "get a returned 11");
  BOOST_TEST(c.run("beta", "delete b") == "delete b completed");
  BOOST_TEST_MESSAGE("4 commands with gamma, delta and epsilon down took " << seconds_since(start)
                                                                           << " s");

  // A learner that comes back catches up with what was decided while it was down.
  c.restart("delta");
  auto caught_up = [](const Lines& log, const Lines&) { return log_has(log, "delete", "b", ""); };
  std::map<std::string, Lines> logs;
  bool converged =
      c.wait_converged(after(20s), &logs, nullptr, {"alpha", "beta", "delta"}, caught_up);
  BOOST_TEST(converged, "delta did not catch up:\nalpha:" << join_lines(logs["alpha"]) << "\ndelta:"
                                                          << join_lines(logs["delta"]));
  BOOST_TEST(c.run("delta", "get a") == "get a returned 11");
}

BOOST_AUTO_TEST_SUITE_END()
