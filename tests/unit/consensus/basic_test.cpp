// Ports of the lab's Basic, Deaf, Old and RPCCount scenarios.

#include <boost/test/unit_test.hpp>

#include "test_support.hpp"

using namespace paxoskv::consensus;
using namespace paxoskv::consensus::test;

BOOST_AUTO_TEST_SUITE(lab_basic)

BOOST_AUTO_TEST_CASE(single_proposer) {
  SimCluster c(3, 11);
  c.start(0, 0, "hello");
  BOOST_TEST(c.wait_decided(0, 3));
  for (PeerId p = 0; p < 3; ++p) BOOST_TEST(decided_as(c, p, 0, "hello"));
  check_no_violations(c);
}

BOOST_AUTO_TEST_CASE(many_proposers_same_value) {
  SimCluster c(3, 12);
  for (PeerId p = 0; p < 3; ++p) c.start(p, 1, "77");
  BOOST_TEST(c.wait_decided(1, 3));
  for (PeerId p = 0; p < 3; ++p) BOOST_TEST(decided_as(c, p, 1, "77"));
  check_no_violations(c);
}

BOOST_AUTO_TEST_CASE(many_proposers_different_values) {
  SimCluster c(3, 13);
  for (PeerId p = 0; p < 3; ++p) c.start(p, 2, std::to_string(100 + p));
  BOOST_TEST(c.wait_decided(2, 3));
  // The harness checks that all three report the same value, one of those proposed.
  check_no_violations(c);
}

BOOST_AUTO_TEST_CASE(out_of_order_instances) {
  SimCluster c(3, 14);
  c.start(0, 7, "700");
  c.start(0, 6, "600");
  c.start(1, 5, "500");
  BOOST_TEST(c.wait_decided(7, 3));
  // Instance 7 is decided though 3 and 4 were never started: instances are independent.
  BOOST_TEST((c.peer(0).status(3).fate == Fate::pending));
  c.start(0, 4, "400");
  c.start(1, 3, "300");
  for (Seq seq = 3; seq <= 7; ++seq) {
    BOOST_TEST(c.wait_decided(seq, 3));
    for (PeerId p = 0; p < 3; ++p)
      BOOST_TEST(decided_as(c, p, seq, std::to_string(seq * 100)), "seq " << seq);
  }
  BOOST_TEST(c.peer(0).max() == 7);
  check_no_violations(c);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(lab_deaf)

BOOST_AUTO_TEST_CASE(deaf_peer_learns_once_it_hears) {
  SimCluster c(5, 21);
  c.start(0, 0, "hello");
  BOOST_TEST(c.wait_decided(0, 5));

  c.set_deaf(0, true);
  c.set_deaf(4, true);
  c.start(1, 1, "goodbye");
  BOOST_TEST(c.wait_decided(1, 3));
  c.run_for(1000);
  BOOST_TEST(c.ndecided(1) == 3, "a deaf peer heard about a decision");

  // A deaf proposer gets no promise back: it cannot decide, nor disturb the decision.
  c.start(0, 1, "xxx");
  c.run_for(1000);
  BOOST_TEST(c.ndecided(1) == 3, "a deaf peer decided");

  c.set_deaf(0, false);
  BOOST_TEST(c.wait_decided(1, 4));
  c.run_for(1000);
  BOOST_TEST(c.ndecided(1) == 4, "a peer still deaf heard about a decision");
  BOOST_TEST(decided_as(c, 0, 1, "goodbye"));

  // Peer 4 never calls start: the decider's retransmission reaches it once it hears.
  c.set_deaf(4, false);
  BOOST_TEST(c.wait_decided(1, 5));
  for (PeerId p = 0; p < 5; ++p) BOOST_TEST(decided_as(c, p, 1, "goodbye"));
  check_no_violations(c);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(lab_old)

// The lab's Old: peer 0 is away while the others decide instance 1; it then starts instance
// 1 with its own value and must end with the value decided before, not its own.
BOOST_AUTO_TEST_CASE(late_proposer_keeps_old_decision) {
  SimCluster c(5, 31);
  c.partition({{1, 2, 3, 4}});
  for (PeerId p = 1; p < 5; ++p) c.start(p, 1, std::to_string(p * 11));
  BOOST_TEST(c.wait_decided(1, 3));
  c.heal();
  c.start(0, 1, "xxx");
  BOOST_TEST(c.wait_decided(1, 5));
  for (PeerId p = 0; p < 5; ++p) BOOST_TEST(c.peer(p).status(1).value != "xxx");
  check_no_violations(c);
}

// The same, but the late proposer can only learn the old value through phase 1: no decided
// message is ever delivered and the one peer that knows the decision is away. The acceptors
// report the value they accepted, and the proposer must propose that one instead of its own.
BOOST_AUTO_TEST_CASE(late_proposer_adopts_accepted_value) {
  SimCluster c(5, 32);
  c.set_drop_rule([](const Message& m) { return m.type == MessageType::decided; });
  c.partition({{1, 2, 3, 4}});
  c.start(1, 1, "11");
  BOOST_TEST(c.wait_decided(1, 1));
  BOOST_TEST(decided_as(c, 1, 1, "11"));
  BOOST_TEST(c.ndecided(1) == 1);

  c.partition({{0, 2, 3, 4}});
  c.start(0, 1, "xxx");
  BOOST_TEST(c.wait_decided(1, 2));
  BOOST_TEST(decided_as(c, 0, 1, "11"));

  c.set_drop_rule(nullptr);
  c.heal();
  BOOST_TEST(c.wait_decided(1, 5));
  check_no_violations(c);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(lab_rpc_count)

// One proposer, no contention, a reliable network. Each instance needs exactly one round,
// which for n peers is, in datagrams, (n - 1) each of prepare, promise, accept, accepted,
// decided and decided_ack: 6 (n - 1). The proposer's messages to itself do not leave the
// peer. With n = 3 that is 12 per instance, 60 for the 5 instances. (In the lab's RPC terms:
// 2 prepare + 2 accept + 2 decided calls per instance, each with its reply.)
BOOST_AUTO_TEST_CASE(single_proposer_sends_one_round) {
  constexpr int n = 3;
  constexpr int instances = 5;
  SimCluster c(n, 41);
  for (Seq seq = 0; seq < instances; ++seq) {
    c.start(0, seq, "x");
    BOOST_TEST(c.wait_decided(seq, n));
  }
  // Let any retransmission that should not happen, happen.
  c.run_for(5000);
  BOOST_TEST(c.datagrams_sent() == instances * 6 * (n - 1));
  for (MessageType t : {MessageType::prepare, MessageType::promise, MessageType::accept,
                        MessageType::accepted, MessageType::decided, MessageType::decided_ack})
    BOOST_TEST(c.datagrams_sent(t) == instances * (n - 1), to_string(t));
  check_no_violations(c);
}

// The lab's second half: every peer proposes a different value for each instance. Duelling
// costs more, but must stay within the lab's bound of 15 messages per peer per instance.
BOOST_AUTO_TEST_CASE(contending_proposers_stay_bounded) {
  constexpr int n = 3;
  constexpr int instances = 5;
  SimCluster c(n, 42);
  for (Seq seq = 0; seq < instances; ++seq) {
    for (PeerId p = 0; p < n; ++p) c.start(p, seq, std::to_string(seq * 10 + p));
    BOOST_TEST(c.wait_decided(seq, n));
  }
  c.run_for(5000);
  BOOST_TEST_MESSAGE("datagrams with contention: " << c.datagrams_sent());
  BOOST_TEST(c.datagrams_sent() <= instances * n * 15);
  check_no_violations(c);
}

BOOST_AUTO_TEST_SUITE_END()
