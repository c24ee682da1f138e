// Issue 17: keys with a time to live. The leader deletes a key through the log once its time
// ran out since the key's last write, never before; a refresh starts the time again; a new
// leader counts from when it applied the write, so a leader change expires nothing early.

#include <boost/test/unit_test.hpp>

#include "test_network.hpp"

using namespace paxoskv;
using test::TestNetwork;

namespace {

Command lease(std::string key, std::string value, std::uint32_t ttl_s, RequestId id) {
  Command c{Op::put, std::move(key), std::move(value), id};
  c.ttl_s = ttl_s;
  return c;
}

bool everywhere_absent(const TestNetwork& net, const std::string& key) {
  for (const Replica& r : net.replicas)
    if (r.kv().contains(key)) return false;
  return true;
}

bool everywhere_present(const TestNetwork& net, const std::string& key) {
  for (const Replica& r : net.replicas)
    if (!r.kv().contains(key)) return false;
  return true;
}

SiteId elect(TestNetwork& net) {
  for (int i = 0; i < 200 && !net.leader(); ++i) net.run_for(10);
  BOOST_REQUIRE(net.leader());
  return *net.leader();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(key_expiry)

BOOST_AUTO_TEST_CASE(a_key_is_deleted_everywhere_once_its_time_ran_out_and_not_before) {
  TestNetwork net(3);
  SiteId leader = elect(net);
  const TimeMs written = net.now;
  net.replicas[leader].submit(lease("lock", "me", 2, {7, 1}), net.now);
  net.run_for(100);
  BOOST_TEST(everywhere_present(net, "lock"));
  while (net.now < written + 1990) {
    net.run_for(10);
    BOOST_REQUIRE(everywhere_present(net, "lock"));
  }
  net.run_for(200);
  BOOST_TEST(everywhere_absent(net, "lock"));
  // Deleted at the same slot on every site, as a conditional delete of the leader's own.
  const std::vector<LogEntry>& log = net.replicas[0].log();
  BOOST_REQUIRE(!log.empty());
  const Command& last = log.back().command;
  BOOST_TEST((last.op == Op::del));
  BOOST_TEST(last.id.client == 0u);
  BOOST_TEST((last.pre.kind == Precondition::Kind::revision));
}

BOOST_AUTO_TEST_CASE(a_refresh_starts_the_time_again) {
  TestNetwork net(3);
  SiteId leader = elect(net);
  net.replicas[leader].submit(lease("lock", "me", 1, {7, 1}), net.now);
  for (std::uint64_t seq = 2; seq < 6; ++seq) {
    net.run_for(700);
    BOOST_REQUIRE(everywhere_present(net, "lock"));
    net.replicas[leader].submit(lease("lock", "me", 1, {7, seq}), net.now);
  }
  net.run_for(1300);
  BOOST_TEST(everywhere_absent(net, "lock"));
}

BOOST_AUTO_TEST_CASE(a_write_without_a_ttl_makes_the_key_permanent) {
  TestNetwork net(3);
  SiteId leader = elect(net);
  net.replicas[leader].submit(lease("k", "v", 1, {7, 1}), net.now);
  net.run_for(100);
  net.replicas[leader].submit(Command{Op::put, "k", "w", {7, 2}}, net.now);
  net.run_for(3000);
  BOOST_TEST(everywhere_present(net, "k"));
}

// The leader is cut off just before the key would expire; the new leader applied the write a
// little later than the old one, and waits its own whole time: the key outlives the old
// leader's deadline, and still goes.
BOOST_AUTO_TEST_CASE(a_leader_change_neither_expires_a_key_early_nor_forgets_it) {
  TestNetwork net(3);
  SiteId leader = elect(net);
  const TimeMs written = net.now;
  net.replicas[leader].submit(lease("lock", "me", 3, {7, 1}), net.now);
  net.run_for(2500);
  auto cut = [&](const Envelope& e) { return e.to == leader || e.message.from == leader; };
  while (net.now < written + 2990) {
    net.run_for(10, cut);
    for (SiteId s = 0; s < 3; ++s)
      if (s != leader) BOOST_REQUIRE(net.replicas[s].kv().contains("lock"));
  }
  for (int i = 0; i < 300; ++i) {
    net.run_for(10, cut);
    auto now_leader = net.leader();
    if (now_leader && *now_leader != leader) break;
  }
  std::optional<SiteId> next;
  for (SiteId s = 0; s < 3; ++s)
    if (s != leader && net.replicas[s].status().is_leader) next = s;
  BOOST_REQUIRE(next);
  net.run_for(1000, cut);
  BOOST_TEST(!net.replicas[*next].kv().contains("lock"));
}

BOOST_AUTO_TEST_SUITE_END()
