// Proof that the checkers can fail: each known bug injected into the core (ReplicaOptions::bug)
// is caught within a bounded number of seeds. The seeds each one needed are printed.

#include <boost/test/unit_test.hpp>

#include "sim_test_support.hpp"

using namespace paxoskv;
using namespace paxoskv::sim;

namespace {

// Runs seeds 1, 2, ... of `base` with `bug` injected until a checker fails, up to `max_seeds`.
// The failing seed must pass without the bug: the bug, not the schedule, is what was caught;
// when `checker` is given, that checker must be the one, with `clue` in its explanation.
void expect_caught(InjectedBug bug, SimConfig base, std::uint64_t max_seeds,
                   const std::string& checker = "", const std::string& clue = "") {
  base.bug = bug;
  base.trace_capacity = 0;
  for (std::uint64_t seed = 1; seed <= max_seeds; ++seed) {
    SimConfig config = base;
    config.seed = seed;
    const RunResult result = run_simulation(config);
    if (result.ok) continue;
    BOOST_TEST_MESSAGE(bug_name(bug)
                       << ": caught after " << seed << " seeds by the " << result.checker
                       << " check at " << result.end_ms << " ms: " << result.explanation
                       << "\n  replay: " << command_line(config) << " --trace");
    if (!checker.empty()) {
      BOOST_TEST(result.checker == checker);
      BOOST_TEST(result.explanation.find(clue) != std::string::npos, result.explanation);
    }
    SimConfig healthy = config;
    healthy.bug = InjectedBug::none;
    const RunResult control = run_simulation(healthy);
    BOOST_TEST(control.ok, "the same schedule without the bug fails too: "
                               << control.checker << ": " << control.explanation);
    return;
  }
  BOOST_ERROR(bug_name(bug) << " not caught in " << max_seeds << " seeds of "
                            << command_line(base));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(injected_bugs)

// A restarted acceptor that forgot its promise takes the accepts of a deposed leader that
// is still cut off: that needs crashes while a leader is isolated, and a long run.
BOOST_AUTO_TEST_CASE(forget_promise_on_restart_is_caught) {
  SimConfig c;
  c.voters = 3;
  c.steps = 3000;
  c.drop_rate = 0.05;
  c.dup_rate = 0;
  c.late_rate = 0;
  // Rarer since a voter that hears a live leader ignores other candidates (seed 854 here).
  expect_caught(InjectedBug::forget_promise_on_restart, c, 1000);
}

// Accepts below the promise matter when two leaders overlap: lost and late messages, so that
// an old leader's accept arrives after its acceptor promised a newer one. Rarer since a voter
// that hears a live leader ignores other candidates: with 5% late messages and no loss it was
// caught at seed 981 of 1,000, and no longer within 1,000 after the leader changes of d7e9031
// moved the schedules; with 10% late and 30% lost, at seed 53.
BOOST_AUTO_TEST_CASE(accept_below_promise_is_caught) {
  SimConfig c;
  c.voters = 3;
  c.clients = 5;
  c.late_rate = 0.1;
  c.drop_rate = 0.3;
  expect_caught(InjectedBug::accept_below_promise, c, 1000);
}

// A new leader that ignores accepted values overwrites slots the old leader got chosen:
// leader changes while slots are in flight, under contention.
BOOST_AUTO_TEST_CASE(ignore_promised_values_is_caught) {
  SimConfig c;
  c.voters = 5;
  c.clients = 6;
  c.drop_rate = 0.2;
  expect_caught(InjectedBug::ignore_promised_values, c, 300);
}

// Applying past a gap needs a gap: lost and reordered commits.
BOOST_AUTO_TEST_CASE(apply_out_of_order_is_caught) {
  SimConfig c;
  c.voters = 3;
  c.drop_rate = 0.2;
  expect_caught(InjectedBug::apply_out_of_order, c, 300);
}

// A leader that can send but not receive, and never steps down, keeps its followers quiet with
// heartbeats while every request forwarded to it is lost: caught by the liveness-during-faults
// check once a network shape lasts longer than its bound.
BOOST_AUTO_TEST_CASE(no_check_quorum_is_caught) {
  SimConfig c;
  c.steps = 3000;
  c.mean_partition_interval_ms = 5000;
  expect_caught(InjectedBug::no_check_quorum, c, 400);  // seed 119
}

// A voter whose disk was wiped votes at once, with no memory of its votes: the simulator
// wipes a voter's disk now and then (one at a time), and a value it helped choose is lost.
BOOST_AUTO_TEST_CASE(wiped_voter_votes_at_once_is_caught) {
  expect_caught(InjectedBug::wiped_voter_votes_at_once, SimConfig{}, 100);
}

// Bugs of the driver, which the simulator runs as the site does over a disk that loses what
// was not fsynced at a power cut.

// Acceptor records forgotten while the log fsync that covers them is still running: a power
// cut then leaves a log shorter than the durable point the state file recorded, which the
// restarting site refuses (and, had it started, the forgotten votes would be gone).
BOOST_AUTO_TEST_CASE(forget_before_log_durable_is_caught) {
  expect_caught(InjectedBug::forget_before_log_durable, SimConfig{}, 400);
}

// An accept acknowledged before its record is fsynced, then lost to a power cut: the quorum
// that decided a value no longer holds it, and another value is decided in its slot.
BOOST_AUTO_TEST_CASE(ack_before_fsync_is_caught) {
  expect_caught(InjectedBug::ack_before_fsync, SimConfig{}, 100);
}

// Membership. Both need changes, and the first two in quick succession: the operator changes
// the membership every few hundred ms, and now and then types two changes at once.
SimConfig with_member_changes() {
  SimConfig c;
  c.voters = 5;
  c.member_changes = true;
  c.mean_member_change_interval_ms = 300;
  return c;
}

// Without the one-at-a-time refusal, two changes of the voters decided less than α apart give
// configurations whose quorums need not meet: the configuration checker's quorum rule. The
// sites all agree with the replay of the log (it breaks the rule alike), so nothing else sees
// it until two such quorums actually decide apart.
BOOST_AUTO_TEST_CASE(two_changes_in_flight_is_caught) {
  expect_caught(InjectedBug::two_changes_in_flight, with_member_changes(), 100, "configuration",
                "disjoint quorums");
}

// A leader that applies a change when it proposes it computes a configuration that the log
// does not give (for a while, or for good when the proposal is lost): the configuration
// checker's comparison of every site's configurations with the replay of the log.
BOOST_AUTO_TEST_CASE(change_used_before_decided_is_caught) {
  expect_caught(InjectedBug::change_used_before_decided, with_member_changes(), 100,
                "configuration", "configuration [");
}

BOOST_AUTO_TEST_SUITE_END()
