// Ports of the lab's Forget, ManyForget, ForgetMem and DoneMax scenarios.

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <random>

#include "test_support.hpp"

using namespace paxoskv::consensus;
using namespace paxoskv::consensus::test;

namespace {

bool all_min_equal(SimCluster& c, Seq expected) {
  for (PeerId p = 0; p < c.size(); ++p)
    if (c.peer(p).min() != expected) return false;
  return true;
}

bool forgotten_everywhere(SimCluster& c, Seq seq) {
  for (PeerId p = 0; p < c.size(); ++p)
    if (c.peer(p).status(seq).fate != Fate::forgotten) return false;
  return true;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(lab_forget)

BOOST_AUTO_TEST_CASE(min_rises_only_when_every_peer_is_done) {
  constexpr int n = 6;
  SimCluster c(n, 51);
  for (PeerId p = 0; p < n; ++p) {
    BOOST_TEST(c.peer(p).min() == 0, "wrong initial min()");
    BOOST_TEST(c.peer(p).max() == -1, "wrong initial max()");
  }
  c.start(0, 0, "00");
  c.start(1, 1, "11");
  c.start(2, 2, "22");
  c.start(0, 6, "66");
  c.start(1, 7, "77");
  for (Seq seq : {0, 1, 2, 6, 7}) BOOST_TEST(c.wait_decided(seq, n));
  BOOST_TEST(all_min_equal(c, 0), "min() advanced before any done()");

  for (PeerId p = 0; p < n; ++p) c.done(p, 0);
  for (PeerId p = 1; p < n; ++p) c.done(p, 1);
  for (PeerId p = 0; p < n; ++p) c.start(p, 8 + p, "xx");  // traffic that carries done
  BOOST_TEST(c.run_until([&] { return all_min_equal(c, 1); }, 12000),
             "min() did not advance after done()");
  // Peer 0 has not called done(1): instance 1 must stay, and min() must not pass it.
  c.run_for(2000);
  BOOST_TEST(all_min_equal(c, 1));
  BOOST_TEST(forgotten_everywhere(c, 0));
  for (PeerId p = 0; p < n; ++p) BOOST_TEST(decided_as(c, p, 1, "11"));

  c.done(0, 1);
  BOOST_TEST(c.run_until([&] { return all_min_equal(c, 2); }, 12000),
             "min() did not advance after the last done(1)");
  BOOST_TEST(forgotten_everywhere(c, 1));
  for (PeerId p = 0; p < n; ++p) BOOST_TEST(decided_as(c, p, 6, "66"));

  // Starting a forgotten instance does nothing: it stays forgotten, max() is unchanged.
  c.start(3, 0, "again");
  c.run_for(1000);
  BOOST_TEST(forgotten_everywhere(c, 0));
  BOOST_TEST(c.peer(3).max() == 8 + 5);
  check_no_violations(c);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(lab_many_forget)

// Many instances over an unreliable network while the peers call done() at random moments
// on what they have decided. Every instance must be decided or forgotten at every peer, and
// the instance maps must stay small throughout, not grow with the number of instances.
BOOST_AUTO_TEST_CASE(memory_bounded_under_a_stream_of_instances) {
  constexpr int n = 3;
  constexpr Seq instances = 300;
  constexpr Seq window = 10;
  SimCluster c(n, 61);
  c.set_faults(unreliable);
  std::mt19937_64 rng(61);
  std::vector<Seq> next_done(n, 0);  // each peer's lowest instance it has not called done on
  std::size_t most_instances = 0;
  Seq next_seq = 0;
  auto all_finished = [&] {
    return std::all_of(next_done.begin(), next_done.end(), [](Seq s) { return s == instances; });
  };
  for (int round = 0; round < 20000 && !all_finished(); ++round) {
    Seq lowest = *std::min_element(next_done.begin(), next_done.end());
    for (; next_seq < std::min(lowest + window, instances); ++next_seq)
      for (PeerId p = 0; p < n; ++p) c.start(p, next_seq, std::to_string(next_seq * 10 + p));
    c.run_for(20);
    for (PeerId p = 0; p < n; ++p) {
      if (rng() % 2) continue;  // each peer calls done() at its own pace
      Seq s = next_done[p];
      while (s < next_seq && c.peer(p).status(s).fate != Fate::pending) ++s;
      if (s > next_done[p]) c.done(p, s - 1);
      next_done[p] = s;
      most_instances = std::max(most_instances, c.peer(p).instance_count());
    }
  }
  BOOST_TEST_MESSAGE("most instances held by a peer: " << most_instances);
  BOOST_TEST(all_finished());
  BOOST_TEST(most_instances <= static_cast<std::size_t>(3 * window), "instances held");
  c.run_for(3000);
  for (PeerId p = 0; p < n; ++p) {
    BOOST_TEST(c.peer(p).min() == instances);
    BOOST_TEST(c.peer(p).instance_count() == 0u);
  }
  check_no_violations(c);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(lab_forget_mem)

BOOST_AUTO_TEST_CASE(done_releases_big_values) {
  constexpr int n = 3;
  constexpr std::size_t big_bytes = 1 << 20;
  SimCluster c(n, 71);
  c.start(0, 0, "x");
  BOOST_TEST(c.wait_decided(0, n));
  const std::size_t before = total_held_bytes(c);

  for (Seq seq = 1; seq <= 10; ++seq) {
    c.start(0, seq, std::string(big_bytes, static_cast<char>('a' + seq)));
    BOOST_TEST(c.wait_decided(seq, n));
  }
  const std::size_t full = total_held_bytes(c);
  BOOST_TEST(full >= n * 10 * big_bytes, "the values are not held: the test measures nothing");
  // A decided instance keeps one copy of its value, not also the accepted and proposed ones.
  BOOST_TEST(full <= n * 10 * big_bytes * 11 / 10, "decided instances hold extra copies");

  for (PeerId p = 0; p < n; ++p) c.done(p, 10);
  for (PeerId p = 0; p < n; ++p) c.start(p, 11 + p, "z");
  c.run_for(2000);
  const std::size_t after = total_held_bytes(c);
  BOOST_TEST_MESSAGE("bytes held: " << before << " before, " << full << " full, " << after
                                    << " after done");
  BOOST_TEST(after <= full / 2, "memory use did not shrink enough");
  // Stronger than the lab: nothing of the ten megabytes is left, only small instances.
  BOOST_TEST(after <= before + 64 * 1024);
  for (Seq seq = 0; seq <= 10; ++seq) BOOST_TEST(forgotten_everywhere(c, seq));
  check_no_violations(c);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(lab_done_max)

BOOST_AUTO_TEST_CASE(max_is_not_lowered_by_done) {
  constexpr int n = 3;
  SimCluster c(n, 81);
  c.start(0, 0, "x");
  BOOST_TEST(c.wait_decided(0, n));
  for (Seq seq = 1; seq <= 10; ++seq) {
    c.start(0, seq, "y");
    BOOST_TEST(c.wait_decided(seq, n));
  }
  for (PeerId p = 0; p < n; ++p) c.done(p, 10);
  for (PeerId p = 0; p < n; ++p) c.start(p, 10, "z");
  BOOST_TEST(c.run_until([&] { return all_min_equal(c, 11); }, 5000));
  c.run_for(2000);
  for (PeerId p = 0; p < n; ++p) {
    BOOST_TEST(c.peer(p).max() == 10, "max() changed after done()");
    BOOST_TEST(c.peer(p).instance_count() == 0u);
  }
  check_no_violations(c);
}

BOOST_AUTO_TEST_SUITE_END()
