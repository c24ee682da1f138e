// Ports of the lab's Many, ManyUnreliable, Partition and Lots scenarios.

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <random>

#include "test_support.hpp"

using namespace paxoskv::consensus;
using namespace paxoskv::consensus::test;

namespace {

// The lab's Many: every peer proposes its own value for each instance, with at most
// `window` instances undecided at a time.
void run_many(SimCluster& c, Seq instances, Seq window) {
  const int n = static_cast<int>(c.size());
  for (Seq seq = 0; seq < instances; ++seq) {
    if (seq >= window) BOOST_TEST_REQUIRE(c.wait_decided(seq - window, n, 60000));
    for (PeerId p = 0; p < c.size(); ++p) c.start(p, seq, std::to_string(seq * 10 + p));
  }
  for (Seq seq = 0; seq < instances; ++seq) BOOST_TEST(c.wait_decided(seq, n, 60000));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(lab_many)

BOOST_AUTO_TEST_CASE(many_instances) {
  SimCluster c(3, 91);
  run_many(c, 50, 5);
  check_no_violations(c);
}

BOOST_AUTO_TEST_CASE(many_instances_unreliable) {
  for (std::uint64_t seed = 92; seed < 97; ++seed) {
    BOOST_TEST_CONTEXT("seed " << seed) {
      SimCluster c(3, seed);
      c.set_faults(unreliable);
      run_many(c, 100, 5);
      check_no_violations(c);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(lab_partition)

BOOST_AUTO_TEST_CASE(majority_decides_minority_does_not) {
  constexpr int n = 5;
  SimCluster c(n, 101);
  Seq seq = 0;

  // No side has a majority: nobody may decide.
  c.partition({{0, 2}, {1, 3}, {4}});
  c.start(1, seq, "111");
  c.run_for(3000);
  BOOST_TEST(c.ndecided(seq) == 0, "decided without a majority");

  // The majority side decides; the two peers outside it must not.
  c.partition({{0}, {1, 2, 3}, {4}});
  BOOST_TEST(c.wait_decided(seq, 3));
  c.run_for(2000);
  BOOST_TEST(c.ndecided(seq) == 3, "a minority peer decided");
  BOOST_TEST((c.peer(0).status(seq).fate == Fate::pending));
  BOOST_TEST((c.peer(4).status(seq).fate == Fate::pending));

  // After a full heal, everyone agrees on that value, the minority's own proposals
  // notwithstanding.
  c.start(0, seq, "1000");
  c.start(4, seq, "1004");
  c.heal();
  BOOST_TEST(c.wait_decided(seq, n));
  BOOST_TEST(decided_as(c, 0, seq, "111"));

  // One peer (2) switches sides between a decision and the next heal, reliable then lossy.
  for (bool lossy : {false, true}) {
    if (lossy) c.set_faults(unreliable);
    for (int iter = 0; iter < 20; ++iter) {
      ++seq;
      c.partition({{0, 1, 2}, {3, 4}});
      c.start(0, seq, std::to_string(seq * 10));
      c.start(3, seq, std::to_string(seq * 10 + 1));
      BOOST_TEST_REQUIRE(c.wait_decided(seq, 3), "seq " << seq << " lossy " << lossy);
      BOOST_TEST(c.ndecided(seq) <= 3, "too many decided at seq " << seq);
      BOOST_TEST(decided_as(c, 0, seq, std::to_string(seq * 10)));
      c.partition({{0, 1}, {2, 3, 4}});
      BOOST_TEST_REQUIRE(c.wait_decided(seq, n));
    }
  }
  check_no_violations(c);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(lab_lots)

namespace {

void run_lots(std::uint64_t seed) {
  constexpr int n = 5;
  constexpr TimeMs chaos_ms = 60000;
  SimCluster c(n, seed);
  c.set_faults(unreliable);
  std::mt19937_64 rng(seed);
  Seq max_seq = 0;
  TimeMs next_partition_ms = 0;
  while (c.now() < chaos_ms) {
    if (c.now() >= next_partition_ms) {
      std::vector<std::vector<PeerId>> groups(3);
      for (PeerId p = 0; p < n; ++p) groups[rng() % 3].push_back(p);
      c.partition(groups);
      next_partition_ms = c.now() + 100 + rng() % 400;
    }
    // A new instance now and then; otherwise another proposer for one of the recent ones.
    Seq seq = max_seq;
    if (max_seq == 0 || rng() % 4 == 0)
      ++max_seq;
    else
      seq = max_seq - 1 - static_cast<Seq>(rng() % std::min<Seq>(max_seq, 20));
    if (c.ndecided(seq) < n)
      c.start(static_cast<PeerId>(rng() % n), seq, std::to_string(rng() % 1000000));
    c.run_for(20);
  }
  int decided_somewhere = 0;
  for (Seq seq = 0; seq < max_seq; ++seq) decided_somewhere += c.ndecided(seq) > 0;
  BOOST_TEST_MESSAGE("seed " << seed << ": " << max_seq << " instances, " << decided_somewhere
                             << " decided during chaos");
  BOOST_TEST(max_seq > 100, "too few instances to mean anything");
  BOOST_TEST(decided_somewhere > max_seq / 2, "little progress despite the chaos");

  c.heal();
  c.set_faults(NetFaults{});
  // Every instance below max_seq was started at least once, and proposers retry until done.
  for (Seq seq = 0; seq < max_seq; ++seq) BOOST_TEST(c.wait_decided(seq, n, 60000), "seq " << seq);
  check_no_violations(c);
}

}  // namespace

// A long random run: partitions reshuffled every few hundred milliseconds, an unreliable
// network, and proposers starting random instances with random values. Agreement is checked
// on every decision as it happens; after the chaos, every instance reaches every peer.
BOOST_AUTO_TEST_CASE(random_partitions_and_loss) {
  for (std::uint64_t seed = 111; seed < 116; ++seed) {
    BOOST_TEST_CONTEXT("seed " << seed) {
      run_lots(seed);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
