// Issue 15, defect 4, with real processes: the leader can send but not receive (every datagram
// from its peers is dropped on its way in; clients still reach it). Its heartbeats used to keep
// the followers from campaigning forever, and a put typed at a follower failed with no quorum
// although the two followers could talk. The bound stated in the README: a put typed at a
// follower completes within 5 election timeouts at most (5 x 600 ms = 3 s): one for the deaf
// leader to step down, two for a follower's timer, two for a split vote and the forwarding.

#include <boost/test/unit_test.hpp>
#include <string>

#include "environment.hpp"
#include "faults.hpp"
#include "net_cluster.hpp"

using namespace net_test;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(liveness)

BOOST_AUTO_TEST_CASE(a_put_at_a_follower_completes_while_the_leader_cannot_hear) {
  constexpr double bound_seconds = 3.0;
  Topology topology(tools(), 3);
  NetCluster cluster(topology);
  Faults faults(topology, cluster);
  cluster.start_all();
  // The leader every site names, itself included (a put first, so that it has led a while).
  BOOST_TEST_REQUIRE(cluster.site(0).answer_timed("put before v", 10s).line.value_or("") ==
                     "put before completed");
  std::size_t leader = cluster.size();
  for (auto deadline = e2e::after(10s); leader == cluster.size() && e2e::Clock::now() < deadline;) {
    std::optional<std::string> named;
    bool agree = true;
    for (std::size_t i = 0; i < cluster.size() && agree; ++i) {
      auto status = cluster.status(i, 5s);
      agree = status && !status->leader.empty() && (!named || *named == status->leader);
      if (agree) named = status->leader;
    }
    for (std::size_t i = 0; agree && i < cluster.size(); ++i)
      if (*named == cluster.name(i)) leader = i;
  }
  BOOST_TEST_REQUIRE(leader < cluster.size(), "no leader within 10 s");
  const std::size_t follower = (leader + 1) % cluster.size();

  for (std::size_t i = 0; i < cluster.size(); ++i)
    if (i != leader) faults.cut_one_way(i, leader);
  const auto answer = cluster.site(follower).answer_timed("put k v", 20s);
  BOOST_TEST_MESSAGE("leader " << cluster.name(leader) << " deaf: `put k v` at "
                               << cluster.name(follower) << " answered `"
                               << answer.line.value_or("(nothing)") << "` after " << answer.seconds
                               << " s");
  BOOST_TEST(answer.line.value_or("") == "put k completed");
  BOOST_TEST(answer.seconds <= bound_seconds);
  // The deaf site goes on campaigning (each campaign may still cost the pair an election: see
  // the README): later puts complete within the same bound.
  for (int i = 0; i < 3; ++i) {
    const auto again = cluster.site(follower).answer_timed("put k w" + std::to_string(i), 10s);
    BOOST_TEST(again.line.value_or("") == "put k completed");
    BOOST_TEST(again.seconds <= bound_seconds, "put " << i << " took " << again.seconds << " s");
  }
  faults.heal();
}

BOOST_AUTO_TEST_SUITE_END()
