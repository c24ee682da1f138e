// A read at a new leader, found by the simulator's membership schedules (mixed seeds 1509 and
// 2129) and reproduced with replicas wired by hand: it must see every write completed before it.

#include <boost/test/unit_test.hpp>
#include <optional>
#include <set>
#include <string>
#include <variant>

#include "test_network.hpp"

using namespace paxoskv;

BOOST_AUTO_TEST_SUITE(read_at_a_new_leader)

// A leader whose own log is more than α slots behind what its promisers report accepted does
// not propose those slots yet (Proposer::config_known). It used to confirm a read at its next
// slot all the same, below a slot that holds a write chosen and completed, and the read missed
// it. Reads now wait until the leader has settled (Proposer::settled).
BOOST_AUTO_TEST_CASE(a_read_at_a_leader_far_behind_sees_a_completed_write) {
  test::TestNetwork net(3);
  const SiteId gamma = 2;
  std::set<SiteId> cut{gamma};
  auto drop_cut = [&](const Envelope& e) {
    return cut.contains(e.to) || cut.contains(e.message.from);
  };
  net.run_for(1500, drop_cut);
  const std::optional<SiteId> leader = net.leader();
  BOOST_REQUIRE(leader);
  const SiteId follower = 1 - *leader;
  for (std::uint64_t client = 1; client <= 300; ++client) {
    net.replicas[*leader].submit(test::put("k", "v" + std::to_string(client), client, 1), net.now);
    if (client % 16 == 0) net.run_for(50, drop_cut);
  }
  net.run_for(200, drop_cut);
  const Slot decided = net.replicas[*leader].status().decided_end;
  BOOST_REQUIRE(decided >= 300u);
  // The last write is acknowledged by the follower and completes at the leader, but the
  // follower never learns that it was decided; then the leader is gone for good.
  auto follower_learns_nothing = [&](const Envelope& e) {
    return drop_cut(e) || (e.to == follower && (std::holds_alternative<Commit>(e.message.body) ||
                                                std::holds_alternative<Heartbeat>(e.message.body)));
  };
  const std::size_t before = net.completions[*leader].size();
  net.replicas[*leader].submit(test::put("k", "last", 999, 1), net.now);
  for (int i = 0; i < 20 && net.completions[*leader].size() == before; ++i)
    net.run_for(10, follower_learns_nothing);
  BOOST_REQUIRE(net.completions[*leader].size() > before);
  BOOST_REQUIRE(net.completions[*leader].back().ok);
  BOOST_REQUIRE(net.replicas[follower].status().decided_end == decided);
  // Gamma, with an empty log, leads the follower (whose own campaigns are lost) and takes the
  // read before it has caught up.
  cut = {*leader};
  bool catch_up = false;
  auto gamma_leads = [&](const Envelope& e) {
    return drop_cut(e) ||
           (e.message.from == follower && std::holds_alternative<Prepare>(e.message.body)) ||
           (!catch_up && e.to == gamma && std::holds_alternative<CatchupReply>(e.message.body));
  };
  for (int i = 0; i < 300 && !net.replicas[gamma].status().is_leader; ++i)
    net.run_for(10, gamma_leads);
  BOOST_REQUIRE(net.replicas[gamma].status().is_leader);
  BOOST_REQUIRE(net.replicas[gamma].status().decided_end == 0u);
  net.replicas[gamma].submit_read(RequestId{1000, 1}, "k", net.now);
  net.run_for(100, gamma_leads);
  catch_up = true;
  for (int i = 0; i < 300 && net.completions[gamma].empty(); ++i) net.run_for(10, gamma_leads);
  BOOST_REQUIRE(!net.completions[gamma].empty());
  BOOST_TEST(net.completions[gamma].back().value.value_or("null") == "last");
}

BOOST_AUTO_TEST_SUITE_END()
