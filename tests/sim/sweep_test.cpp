// The main evidence: thousands of seeded schedules, over 3- and 5-voter clusters (some 7, some
// with a learner), with every fault kind and every kind of membership change, and every checker
// passing.

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>

#include "sim_test_support.hpp"

using namespace paxoskv;
using namespace paxoskv::sim;

BOOST_AUTO_TEST_SUITE(sweep)

BOOST_AUTO_TEST_CASE(every_checker_passes_under_every_fault_kind) {
  const std::uint64_t seeds = test::sweep_seeds(3000, 1000);
  const auto started = std::chrono::steady_clock::now();
  FaultStats totals;
  std::uint64_t failures = 0, operations = 0, inconclusive = 0;
  TimeMs simulated_ms = 0, longest_settle_ms = 0, longest_in_quorum_ms = 0;
  std::uint64_t requests_in_quorum = 0;
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    SimConfig config = mixed_config(seed);
    config.trace_capacity = 0;  // a failure is replayed with its trace
    const RunResult result = run_simulation(config);
    totals.add(result.faults);
    operations += result.operations;
    simulated_ms += result.end_ms;
    if (result.healed)
      longest_settle_ms = std::max(longest_settle_ms, result.end_ms - result.heal_ms);
    inconclusive += result.linearizability_inconclusive ? 1 : 0;
    requests_in_quorum += result.requests_in_connected_quorum;
    longest_in_quorum_ms = std::max(longest_in_quorum_ms, result.longest_in_connected_quorum_ms);
    if (!result.ok && ++failures <= 3) test::report_failure(config, result);
  }
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  BOOST_TEST_MESSAGE(
      "sweep: " << seeds << " seeds, " << failures << " failed, " << wall_s << " s wall ("
                << seeds / wall_s << " seeds/s), " << simulated_ms / 1000 << " s simulated, "
                << operations << " client operations, longest settle after healing "
                << longest_settle_ms << " ms, during the faults " << requests_in_quorum
                << " requests in a connected quorum, the longest " << longest_in_quorum_ms
                << " ms, " << inconclusive << " inconclusive linearizability searches\n  "
                << totals.describe());
  BOOST_TEST(failures == 0u);
  BOOST_TEST(inconclusive == 0u);
  // Every kind of fault really happened.
  for (std::uint64_t n : totals.crashes) BOOST_TEST(n > 0u);
  for (CrashKind kind : {CrashKind::process, CrashKind::power_cut})
    BOOST_TEST(totals.crashes_in_io[static_cast<std::size_t>(kind)] > 0u);
  BOOST_TEST(totals.crashes_with_work_in_flight > 0u);
  BOOST_TEST(totals.pages_lost > 0u);
  for (std::uint64_t n : totals.network_changes) BOOST_TEST(n > 0u);
  BOOST_TEST(totals.network.dropped > 0u);
  BOOST_TEST(totals.network.duplicated > 0u);
  BOOST_TEST(totals.network.late > 0u);
  BOOST_TEST(totals.network.cut > 0u);
  // And every kind of membership change, with refusals, sites started and stopped.
  const MemberStats& m = totals.members;
  for (std::uint64_t n :
       {m.applied, m.refused, m.refused_in_progress, m.added, m.added_as_voter, m.promoted,
        m.removed, m.removed_leader, m.transfers, m.by_leader, m.bursts, m.sites_started,
        m.sites_retired, m.added_crashed, m.added_wiped})
    BOOST_TEST(n > 0u);
}

BOOST_AUTO_TEST_SUITE_END()
