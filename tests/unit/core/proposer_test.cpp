#include <boost/test/unit_test.hpp>
#include <optional>
#include <set>
#include <utility>

#include "test_network.hpp"

using namespace paxoskv;

namespace {

template <typename T>
std::vector<std::pair<SiteId, T>> sent(const Ready& r) {
  std::vector<std::pair<SiteId, T>> out;
  for (const Envelope& e : r.messages)
    if (const T* m = std::get_if<T>(&e.message.body)) out.emplace_back(e.to, *m);
  return out;
}

// Ticks one replica until it campaigns; returns its prepare ballot.
Ballot campaign(Replica& r, TimeMs& now) {
  for (int i = 0; i < 200; ++i) {
    now += 10;
    r.tick(now);
    Ready ready = r.take_ready();
    auto prepares = sent<Prepare>(ready);
    if (!prepares.empty()) return prepares[0].second.ballot;
  }
  BOOST_FAIL("no campaign");
  return {};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(proposer)

BOOST_AUTO_TEST_CASE(proposer_adopts_the_accepted_value_seen_in_promises) {
  test::TestNetwork net(3);
  Replica& alpha = net.replicas[0];
  TimeMs now = 0;
  Ballot b = campaign(alpha, now);
  BOOST_TEST(b.site == 0u);

  // alpha's own promise, and beta's promise that reports "theirs" accepted in slot 0.
  alpha.step(Message{0, Promise{b, 0, {}, 0, 1}}, now);
  alpha.submit(test::put("k", "mine", 7, 1), now);
  BOOST_TEST(!alpha.status().is_leader);
  Command theirs = test::put("k", "theirs", 8, 1);
  alpha.step(Message{1, Promise{b, 0, {{0, Ballot{1, 2}, theirs}}, 0, 1}}, now);
  BOOST_REQUIRE(alpha.status().is_leader);

  Ready ready = alpha.take_ready();
  std::map<Slot, Command> proposed;
  for (auto& [to, accept] : sent<Accept>(ready))
    for (const SlotCommand& e : accept.entries) proposed[e.slot] = e.command;
  BOOST_REQUIRE(proposed.contains(0));
  BOOST_TEST(proposed[0].value == "theirs");  // slot 0 keeps the value that may be chosen
  BOOST_REQUIRE(proposed.contains(1));
  BOOST_TEST(proposed[1].value == "mine");  // its own command goes to the next free slot
}

BOOST_AUTO_TEST_CASE(highest_ballot_wins_and_gaps_become_no_ops) {
  test::TestNetwork net(3);
  Replica& alpha = net.replicas[0];
  TimeMs now = 0;
  Ballot b = campaign(alpha, now);
  alpha.step(Message{0, Promise{b, 0, {{3, Ballot{1, 1}, test::put("k", "low", 1, 1)}}, 0, 1}},
             now);
  alpha.step(Message{2, Promise{b, 0, {{3, Ballot{2, 2}, test::put("k", "high", 2, 1)}}, 0, 1}},
             now);
  BOOST_REQUIRE(alpha.status().is_leader);
  std::map<Slot, Command> proposed;
  for (auto& [to, accept] : sent<Accept>(alpha.take_ready()))
    for (const SlotCommand& e : accept.entries) proposed[e.slot] = e.command;
  BOOST_REQUIRE_EQUAL(proposed.size(), 4u);
  for (Slot s = 0; s < 3; ++s) BOOST_TEST((proposed[s].op == Op::noop));
  BOOST_TEST(proposed[3].value == "high");
}

BOOST_AUTO_TEST_CASE(nack_with_higher_ballot_makes_the_proposer_step_down) {
  test::TestNetwork net(3);
  net.run_for(2000);
  auto leader = net.leader();
  BOOST_REQUIRE(leader);
  Ballot b = net.replicas[*leader].status().ballot;
  net.replicas[*leader].step(
      Message{(*leader + 1) % 3, Nack{Ballot{b.round + 5, (*leader + 1) % 3}}}, net.now);
  BOOST_TEST(!net.replicas[*leader].status().is_leader);
}

BOOST_AUTO_TEST_CASE(a_reply_to_an_earlier_leaderships_heartbeat_confirms_no_read) {
  // Found by the simulator (seed 16801): a restarted leader's probe numbers start again, and
  // a late reply to the previous incarnation's heartbeat 73 must not confirm its probe 1.
  test::TestNetwork net(3);
  Replica& alpha = net.replicas[0];
  TimeMs now = 0;
  Ballot b = campaign(alpha, now);
  alpha.step(Message{0, Promise{b, 0, {}, 0, 1}}, now);
  alpha.step(Message{1, Promise{b, 0, {}, 0, 1}}, now);
  BOOST_REQUIRE(alpha.status().is_leader);
  alpha.submit_read(RequestId{9, 1}, "k", now);
  alpha.take_ready();
  Ballot earlier{b.round - 1, 0};
  alpha.step(Message{1, HeartbeatReply{b, 73, 0, earlier}}, now);
  BOOST_TEST(alpha.take_ready().completions.empty());
  alpha.step(Message{1, HeartbeatReply{b, 1, 0, b}}, now);  // sent before the read came
  BOOST_TEST(alpha.take_ready().completions.empty());
  alpha.step(Message{1, HeartbeatReply{b, 2, 0, b}}, now);
  auto done = alpha.take_ready().completions;
  BOOST_REQUIRE_EQUAL(done.size(), 1u);
  BOOST_TEST(done[0].is_read);
}

BOOST_AUTO_TEST_CASE(a_lost_forward_is_sent_again_within_the_attempt) {
  test::TestNetwork net(3);
  net.run_for(1500);
  SiteId follower = (*net.leader() + 1) % 3;
  int forwards_dropped = 0;
  auto drop_first_forward = [&](const Envelope& e) {
    if (std::holds_alternative<Forward>(e.message.body) && forwards_dropped == 0) {
      ++forwards_dropped;
      return true;
    }
    return false;
  };
  net.replicas[follower].submit(test::put("k", "v", 1, 1), net.now);
  net.run_for(500, drop_first_forward);  // well within one 2,000 ms attempt
  BOOST_TEST(forwards_dropped == 1);
  BOOST_REQUIRE_EQUAL(net.completions[follower].size(), 1u);
  BOOST_TEST(net.completions[follower][0].ok);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(cluster)

BOOST_AUTO_TEST_CASE(three_sites_elect_one_leader_and_agree) {
  test::TestNetwork net(3);
  net.run_for(1500);
  auto leader = net.leader();
  BOOST_REQUIRE(leader);
  for (std::uint64_t i = 1; i <= 20; ++i)
    net.replicas[i % 3].submit(
        test::put("k" + std::to_string(i % 4), std::to_string(i), 100 + i % 3, i), net.now);
  net.run_for(500);
  std::size_t completed = 0;
  for (auto& c : net.completions)
    for (auto& done : c) completed += done.ok;
  BOOST_TEST(completed == 20u);
  for (const Replica& r : net.replicas) {
    BOOST_TEST(r.log().size() == net.replicas[0].log().size());
    BOOST_TEST((r.kv() == net.replicas[0].kv()));
    BOOST_TEST((r.log().back().hash == net.replicas[0].log().back().hash));
  }
}

BOOST_AUTO_TEST_CASE(reads_see_completed_writes_at_every_site) {
  test::TestNetwork net(3);
  net.run_for(1500);
  net.replicas[0].submit(test::put("k", "v1", 1, 1), net.now);
  net.run_for(200);
  for (SiteId s = 0; s < 3; ++s) net.replicas[s].submit_read(RequestId{50 + s, 1}, "k", net.now);
  net.run_for(200);
  for (SiteId s = 0; s < 3; ++s) {
    const Completion* read = nullptr;
    for (const Completion& c : net.completions[s])
      if (c.is_read) read = &c;
    BOOST_REQUIRE(read);
    BOOST_TEST(read->ok);
    BOOST_TEST(read->value.value_or("null") == "v1");
  }
}

BOOST_AUTO_TEST_CASE(without_a_quorum_a_write_fails_after_its_attempts) {
  test::TestNetwork net(3);
  net.run_for(1500);
  auto isolated = [](const Envelope& e) { return e.to != e.message.from; };  // all links cut
  net.replicas[1].submit(test::put("k", "v", 1, 1), net.now);
  net.run_for(7000, isolated);
  BOOST_REQUIRE_EQUAL(net.completions[1].size(), 1u);
  BOOST_TEST(!net.completions[1][0].ok);
  BOOST_TEST(net.completions[1][0].reason ==
             "timed out, outcome unknown (no quorum after 3 attempts)");
}

BOOST_AUTO_TEST_CASE(a_lagging_site_catches_up) {
  test::TestNetwork net(3);
  net.run_for(1500);
  SiteId leader = *net.leader();
  SiteId lagging = (leader + 1) % 3;
  auto cut = [&](const Envelope& e) { return e.to == lagging || e.message.from == lagging; };
  for (std::uint64_t i = 1; i <= 30; ++i)
    net.replicas[leader].submit(test::put("k", std::to_string(i), 5, i), net.now);
  net.run_for(500, cut);
  BOOST_TEST(net.replicas[lagging].log().size() < net.replicas[leader].log().size());
  net.run_for(1000);
  BOOST_TEST(net.replicas[lagging].log().size() == net.replicas[leader].log().size());
  BOOST_TEST(net.replicas[lagging].kv().at("k") == "30");
}

// Issue 15, defect 5: a lagging follower heard of the decided end from the leader, which then
// died before answering its catch-up requests. The new leader tells it the same decided end
// (nothing new is decided in an idle cluster), and the follower must ask a live site, not only
// the one that first told it.
BOOST_AUTO_TEST_CASE(a_lagging_site_catches_up_after_the_site_it_asked_dies) {
  test::TestNetwork net(3);
  net.run_for(1500);
  const SiteId dead = *net.leader();
  const SiteId lagging = (dead + 1) % 3;
  const SiteId other = (dead + 2) % 3;
  // The follower hears the leader's heartbeats (and so its decided end), but no accept or
  // commit reaches it and its catch-up requests go unanswered.
  auto lagging_blind = [&](const Envelope& e) {
    if (e.to == lagging)
      return std::holds_alternative<Accept>(e.message.body) ||
             std::holds_alternative<Commit>(e.message.body) ||
             std::holds_alternative<CatchupReply>(e.message.body);
    return e.message.from == lagging && std::holds_alternative<CatchupRequest>(e.message.body);
  };
  for (std::uint64_t i = 1; i <= 30; ++i)
    net.replicas[dead].submit(test::put("k", std::to_string(i), 5, i), net.now);
  net.run_for(500, lagging_blind);
  const std::size_t decided = net.replicas[dead].log().size();
  BOOST_REQUIRE(net.replicas[other].log().size() == decided);
  BOOST_REQUIRE(net.replicas[lagging].log().size() < decided);
  // The leader dies; the other site becomes leader (the lagging one's campaigns are lost, else
  // it would learn the slots as a candidate) and nothing new is written.
  auto dead_silent = [&](const Envelope& e) {
    return e.to == dead || e.message.from == dead ||
           (e.message.from == lagging && std::holds_alternative<Prepare>(e.message.body));
  };
  net.run_for(3000, dead_silent);
  BOOST_TEST(net.replicas[other].status().is_leader);
  BOOST_TEST(net.replicas[other].log().size() == decided);
  BOOST_TEST(net.replicas[lagging].log().size() == decided);
  BOOST_TEST(net.replicas[lagging].kv().at("k") == "30");
}

// Issue 15, defect 4: a leader that can send but not receive. Its heartbeats kept the followers
// from campaigning, so every request forwarded to it was lost and a put typed at a follower
// failed although the two followers could talk. Now it steps down when no quorum has answered
// it for an election timeout, and the followers elect one of them. (The deaf site then goes on
// campaigning with ever higher ballots, and each campaign may still unseat the new leader:
// that part of the issue is open; puts complete between the elections.)
BOOST_AUTO_TEST_CASE(a_leader_that_cannot_hear_steps_down) {
  // Forty runs: the sites' random election timeouts differ with the seed, and the fault strikes
  // at a different moment of the heartbeat and election cycles, from the moment the first
  // leader is elected (its first election timeout not over yet) to 700 ms later.
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    const TimeMs shift = static_cast<TimeMs>(seed * 37 % 740);
    BOOST_TEST_CONTEXT("seed " << seed << ", fault " << shift << " ms after the first leader") {
      test::TestNetwork net(3, 0, {}, seed * 100);
      while (!net.leader()) net.run_for(10);
      net.run_for(shift);
      BOOST_REQUIRE(net.leader());
      const SiteId deaf = *net.leader();
      const SiteId follower = (deaf + 1) % 3;
      auto deafened = [&](const Envelope& e) { return e.to == deaf && e.message.from != deaf; };
      // The bound: the deaf leader steps down one election timeout (300 ms) after its last
      // answer, a follower's timer runs out within two more (600 ms), and the forwarded put is
      // retried every 250 ms: 2 s leave room for a split vote.
      for (std::uint64_t seq = 1; seq <= 5; ++seq) {
        net.replicas[follower].submit(test::put("k", std::to_string(seq), 7, seq), net.now);
        net.run_for(2000, deafened);
        BOOST_REQUIRE_EQUAL(net.completions[follower].size(), seq);
        BOOST_TEST(net.completions[follower].back().ok, "put " << seq);
      }
      BOOST_TEST(!net.replicas[deaf].status().is_leader);
    }
  }
}

// Issue 15, item 7: a candidate whose promise from a voter was lost sends its prepare again
// at the same ballot, and the voter answers it like the first time: the first campaign wins.
// Before, the repeated prepare was refused and one lost promise cost a whole new election.
BOOST_AUTO_TEST_CASE(a_lost_promise_costs_a_retransmission_not_an_election) {
  test::TestNetwork net(3);
  std::set<std::pair<SiteId, SiteId>> dropped;  // (from, to): each voter's first promise
  auto first_promises = [&](const Envelope& e) {
    if (!std::holds_alternative<Promise>(e.message.body) || e.to == e.message.from) return false;
    return dropped.insert({e.message.from, e.to}).second;
  };
  net.run_for(1500, first_promises);
  BOOST_REQUIRE(!dropped.empty());
  BOOST_REQUIRE(net.leader());
  BOOST_TEST(net.replicas[*net.leader()].status().ballot.round == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(regressions)

BOOST_AUTO_TEST_CASE(a_single_voter_serves_reads) {
  test::TestNetwork net(1);
  net.run_for(1500);
  BOOST_REQUIRE(net.leader());
  net.replicas[0].submit(test::put("k", "v", 1, 1), net.now);
  net.replicas[0].submit_read(RequestId{2, 1}, "k", net.now);
  net.run_for(100);
  BOOST_REQUIRE_EQUAL(net.completions[0].size(), 2u);
  BOOST_TEST(net.completions[0][1].is_read);
  BOOST_TEST(net.completions[0][1].value.value_or("null") == "v");
}

BOOST_AUTO_TEST_CASE(a_retry_of_an_applied_write_completes_at_once) {
  test::TestNetwork net(3);
  net.run_for(1500);
  SiteId follower = (*net.leader() + 1) % 3;
  net.replicas[follower].submit(test::put("k", "v", 1, 1), net.now);
  net.run_for(200);
  BOOST_REQUIRE_EQUAL(net.completions[follower].size(), 1u);
  // The client retries the same request here (say its answer was lost).
  net.replicas[follower].submit(test::put("k", "v", 1, 1), net.now);
  net.collect();
  BOOST_REQUIRE_EQUAL(net.completions[follower].size(), 2u);
  BOOST_TEST(net.completions[follower][1].ok);
  BOOST_TEST(net.replicas[follower].log().size() == net.replicas[*net.leader()].log().size());
}

BOOST_AUTO_TEST_SUITE_END()
