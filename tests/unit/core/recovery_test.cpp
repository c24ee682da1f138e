#include <boost/test/unit_test.hpp>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "test_network.hpp"

using namespace paxoskv;

namespace {

using Drop = std::function<bool(const Envelope&)>;

// A vote is anything that states the sender's acceptor state to a proposer.
bool is_vote(const MessageBody& body) {
  return std::holds_alternative<Promise>(body) || std::holds_alternative<Ack>(body) ||
         std::holds_alternative<Nack>(body) || std::holds_alternative<HeartbeatReply>(body);
}

// Drops every message to or from the sites in `down`, and counts the votes `voter` sends.
struct Links {
  std::set<SiteId> down;
  SiteId voter = 0;
  std::size_t votes = 0;

  Drop drop() {
    return [this](const Envelope& e) {
      if (down.contains(e.to) || down.contains(e.message.from)) return true;
      if (e.message.from == voter && is_vote(e.message.body)) ++votes;
      return false;
    };
  }
};

template <typename T>
std::size_t count_sent(const Ready& r, SiteId to) {
  std::size_t n = 0;
  for (const Envelope& e : r.messages) n += e.to == to && std::holds_alternative<T>(e.message.body);
  return n;
}

std::optional<Slot> slot_of(const Replica& r, RequestId id) {
  for (const LogEntry& e : r.log())
    if (e.command.id == id) return e.slot;
  return std::nullopt;
}

bool completed_ok(const std::vector<Completion>& done, RequestId id) {
  for (const Completion& c : done)
    if (c.id == id && c.ok) return true;
  return false;
}

// Defect 1: `put k v` completes on {L, A} while B hears nothing; L dies; A's files are deleted
// and A restarts; `put k w` is submitted at B. What each site ends up with.
struct WipedVoterRun {
  SiteId l = 0, a = 0, b = 0;
  Slot v_slot = 0;
  bool a_recovering_while_l_down = false;
  bool w_completed_while_l_down = false;
  bool w_completed = false;
  std::vector<std::optional<Command>> at_v_slot;  // per site: its log's command there
  std::vector<std::optional<Slot>> w_slot;        // per site: where put k w is in its log
  std::vector<Hash> heads;
};

WipedVoterRun run_wiped_voter(InjectedBug bug, std::uint64_t seed) {
  ReplicaOptions options;
  options.bug = bug;
  test::TestNetwork net(3, 0, options, seed);
  net.run_for(1500);
  BOOST_REQUIRE(net.leader());
  WipedVoterRun out;
  out.l = *net.leader();
  out.a = (out.l + 1) % 3;
  out.b = (out.l + 2) % 3;
  Links links;
  links.down = {out.b};

  const RequestId v_id{1, 1};
  net.replicas[out.l].submit(test::put("k", "v", v_id.client, v_id.seq), net.now);
  net.run_for(300, links.drop());
  BOOST_REQUIRE(completed_ok(net.completions[out.l], v_id));
  BOOST_REQUIRE(slot_of(net.replicas[out.l], v_id));
  out.v_slot = *slot_of(net.replicas[out.l], v_id);

  // L dies (it is cut off, and comes back with everything it had), A loses its files, B is back.
  links.down = {out.l};
  net.restart_amnesiac(out.a);
  const RequestId w_id{2, 1};
  net.replicas[out.b].submit(test::put("k", "w", w_id.client, w_id.seq), net.now);
  // 3 s: less than the 3 attempts of 2 s that B's put gets before it gives up.
  net.run_for(3000, links.drop());
  out.a_recovering_while_l_down = net.replicas[out.a].status().recovering;
  out.w_completed_while_l_down = completed_ok(net.completions[out.b], w_id);

  links.down.clear();
  net.run_for(2500, links.drop());
  out.w_completed = completed_ok(net.completions[out.b], w_id);
  for (const Replica& r : net.replicas) {
    const bool has_v_slot = r.log_start() <= out.v_slot && out.v_slot < r.status().decided_end;
    out.at_v_slot.push_back(has_v_slot ? std::optional(r.log()[out.v_slot - r.log_start()].command)
                                       : std::nullopt);
    out.w_slot.push_back(slot_of(r, w_id));
    out.heads.push_back(r.head());
  }
  return out;
}

bool holds_put_k_v(const std::optional<Command>& c) {
  return c && c->op == Op::put && c->key == "k" && c->value == "v";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(recovery)

// With the fix, A cannot vote while L is down: it needs the answers of a quorum of the other
// voters (L and B) to learn which ballots its lost votes may have counted in. So `put k w` is
// not decided while L is down, and completes once L is back, in a slot after `put k v`.
BOOST_AUTO_TEST_CASE(a_wiped_voter_does_not_lose_an_acknowledged_write) {
  for (std::uint64_t seed = 1000; seed < 1020; ++seed) {
    WipedVoterRun run = run_wiped_voter(InjectedBug::none, seed);
    BOOST_TEST_CONTEXT("seed " << seed) {
      BOOST_TEST(run.a_recovering_while_l_down);
      BOOST_TEST(!run.w_completed_while_l_down);
      BOOST_TEST(run.w_completed);
      for (SiteId s = 0; s < 3; ++s) {
        BOOST_TEST_CONTEXT("site " << s) {
          BOOST_TEST(holds_put_k_v(run.at_v_slot[s]));
          BOOST_REQUIRE(run.w_slot[s]);
          BOOST_TEST(*run.w_slot[s] > run.v_slot);
          BOOST_TEST((run.heads[s] == run.heads[0]));
        }
      }
    }
  }
}

// The same run with the defect back: A votes at once with no memory, {A, B} decide `put k w` in
// the slot that already holds `put k v` at L, and the checks above see the write lost.
BOOST_AUTO_TEST_CASE(the_scenario_catches_a_wiped_voter_that_votes_at_once) {
  for (std::uint64_t seed = 1000; seed < 1020; ++seed) {
    WipedVoterRun run = run_wiped_voter(InjectedBug::wiped_voter_votes_at_once, seed);
    BOOST_TEST_CONTEXT("seed " << seed) {
      BOOST_TEST(run.w_completed_while_l_down);
      BOOST_TEST(!run.a_recovering_while_l_down);
      BOOST_TEST(!holds_put_k_v(run.at_v_slot[run.b]));
      BOOST_TEST(holds_put_k_v(run.at_v_slot[run.l]));
      BOOST_TEST((run.heads[run.l] != run.heads[run.b]));
    }
  }
}

// A new cluster: every site starts with an empty data directory at once, and every other voter
// answers that it is fresh, so each recovers at once with nothing promised.
BOOST_AUTO_TEST_CASE(a_new_cluster_of_empty_sites_elects_a_leader_and_serves_writes) {
  for (std::uint64_t seed = 1000; seed < 1010; ++seed) {
    for (std::size_t voters : {3u, 5u}) {
      BOOST_TEST_CONTEXT(voters << " voters, seed " << seed) {
        test::TestNetwork net(voters, 0, {}, seed);
        for (SiteId i = 0; i < voters; ++i) net.restart_amnesiac(i);
        for (SiteId i = 0; i < voters; ++i) BOOST_TEST(net.replicas[i].status().recovering);
        net.run_for(1500);
        BOOST_REQUIRE(net.leader());
        for (SiteId i = 0; i < voters; ++i) {
          BOOST_TEST(!net.replicas[i].status().recovering);
          BOOST_REQUIRE(net.recovered[i]);
          BOOST_TEST(net.recovered[i]->is_null());
        }
        const RequestId id{3, 1};
        net.replicas[1].submit(test::put("k", "v", id.client, id.seq), net.now);
        net.run_for(300);
        BOOST_TEST(completed_ok(net.completions[1], id));
        for (const Replica& r : net.replicas) BOOST_TEST((r.head() == net.replicas[0].head()));
      }
    }
  }
}

// A learner recovers too: a membership change it no longer knows of may have promoted it, and
// it may have voted since (README, "Membership"). It learns meanwhile, and recovers as soon as
// it has caught up.
BOOST_AUTO_TEST_CASE(a_learner_started_empty_recovers_and_learns_meanwhile) {
  test::TestNetwork net(3, 1);
  net.run_for(1500);
  net.restart_amnesiac(3);
  BOOST_TEST(net.replicas[3].status().recovering);
  net.replicas[0].submit(test::put("k", "v", 4, 1), net.now);
  net.run_for(300);
  BOOST_TEST(net.replicas[3].kv().at("k") == "v");
  BOOST_TEST(!net.replicas[3].status().recovering);
}

// Until its log reaches the leader's next slot, a recovering voter answers neither prepares nor
// accepts, not even with a nack; once there, it votes.
void votes_only_once_caught_up(std::uint64_t seed) {
  test::TestNetwork net(3, 0, {}, seed);
  net.run_for(1500);
  const SiteId l = *net.leader();
  const SiteId a = (l + 1) % 3;
  const SiteId b = (l + 2) % 3;
  for (std::uint64_t seq = 1; seq <= 10; ++seq)
    net.replicas[l].submit(test::put("k" + std::to_string(seq), "v", 5, seq), net.now);
  net.run_for(300);
  const Slot decided = net.replicas[l].status().decided_end;
  BOOST_REQUIRE(decided >= 10u);

  // A restarts empty and hears everything but decisions: it learns its floor and the leader's
  // next slot, but cannot reach it.
  net.restart_amnesiac(a);
  Links links;
  links.voter = a;
  auto no_decisions = [&](const Envelope& e) {
    if (e.to == a && (std::holds_alternative<Commit>(e.message.body) ||
                      std::holds_alternative<CatchupReply>(e.message.body)))
      return true;
    return links.drop()(e);
  };
  net.run_for(1000, no_decisions);
  Replica& recovering = net.replicas[a];
  BOOST_TEST(recovering.status().recovering);
  BOOST_TEST(recovering.status().decided_end == 0u);
  BOOST_TEST(links.votes == 0u);
  BOOST_TEST(!net.recovered[a]);

  // A prepare above everything, and the leader's own accept: no answer at all.
  const Ballot leader_ballot = net.replicas[l].status().ballot;
  recovering.step(Message{b, Prepare{Ballot{leader_ballot.round + 5, b}, 0}}, net.now);
  recovering.step(
      Message{l, Accept{leader_ballot, decided, {{decided, test::put("x", "y", 6, 1)}}}}, net.now);
  Ready ready = recovering.take_ready();
  BOOST_TEST(count_sent<Promise>(ready, b) == 0u);
  BOOST_TEST(count_sent<Nack>(ready, b) == 0u);
  BOOST_TEST(count_sent<Ack>(ready, l) == 0u);
  BOOST_TEST(count_sent<Nack>(ready, l) == 0u);
  BOOST_TEST(!ready.recovered);

  // Decisions flow again: it catches up, recovers with a floor of the leader's ballot, votes.
  net.run_for(500, links.drop());
  BOOST_TEST(!recovering.status().recovering);
  BOOST_TEST(recovering.status().decided_end >= decided);
  BOOST_REQUIRE(net.recovered[a]);
  BOOST_TEST((*net.recovered[a] == leader_ballot));
  links.down = {b};  // with B gone, only A's acks can make a quorum for the leader
  const RequestId id{7, 1};
  net.replicas[l].submit(test::put("after", "recovery", id.client, id.seq), net.now);
  net.run_for(300, links.drop());
  BOOST_TEST(completed_ok(net.completions[l], id));
  BOOST_TEST(links.votes > 0u);
  // Once it has not heard the leader for an election timeout (before that it would refuse to
  // depose a live leader), it promises a higher ballot like any voter.
  net.now += 1000;
  const Ballot above{leader_ballot.round + 10, b};
  recovering.step(Message{b, Prepare{above, 0}}, net.now);
  BOOST_TEST(count_sent<Promise>(recovering.take_ready(), b) == 1u);
}

BOOST_AUTO_TEST_CASE(a_recovering_voter_votes_only_once_caught_up) {
  for (std::uint64_t seed = 1000; seed < 1010; ++seed) {
    BOOST_TEST_CONTEXT("seed " << seed) {
      votes_only_once_caught_up(seed);
    }
  }
}

// In a cluster of 3, a recovering voter needs the answers of both others: with one down it
// waits without voting (so no write completes), and finishes once that voter is back.
void waits_for_a_quorum_of_the_others(std::uint64_t seed) {
  test::TestNetwork net(3, 0, {}, seed);
  net.run_for(1500);
  const SiteId l = *net.leader();
  const SiteId a = (l + 1) % 3;
  const SiteId c = (l + 2) % 3;
  net.replicas[l].submit(test::put("k", "1", 8, 1), net.now);
  net.run_for(300);

  Links links;
  links.voter = a;
  links.down = {c};
  net.restart_amnesiac(a);
  const RequestId id{8, 2};
  net.replicas[l].submit(test::put("k", "2", id.client, id.seq), net.now);
  net.run_for(3000, links.drop());
  BOOST_TEST(net.replicas[a].status().recovering);
  BOOST_TEST(links.votes == 0u);
  BOOST_TEST(net.completions[l].size() == 1u);  // the first put only

  links.down.clear();
  net.run_for(2000, links.drop());
  BOOST_TEST(!net.replicas[a].status().recovering);
  BOOST_TEST(net.recovered[a].has_value());
  BOOST_TEST(completed_ok(net.completions[l], id));
  for (const Replica& r : net.replicas) BOOST_TEST((r.head() == net.replicas[l].head()));
  BOOST_TEST(net.replicas[a].kv().at("k") == "2");
}

BOOST_AUTO_TEST_CASE(a_recovering_voter_waits_for_a_quorum_of_the_others) {
  for (std::uint64_t seed = 1000; seed < 1010; ++seed) {
    BOOST_TEST_CONTEXT("seed " << seed) {
      waits_for_a_quorum_of_the_others(seed);
    }
  }
}

// A voter that stops while recovering recovers again on restart, from the log it had learned:
// the decided slots are kept, and it still votes only after recovering.
void recovers_again_keeping_its_log(std::uint64_t seed) {
  test::TestNetwork net(3, 0, {}, seed);
  net.run_for(1500);
  const SiteId l = *net.leader();
  const SiteId a = (l + 1) % 3;
  for (std::uint64_t seq = 1; seq <= 5; ++seq)
    net.replicas[l].submit(test::put("k" + std::to_string(seq), "v", 9, seq), net.now);
  net.run_for(300);
  const Slot decided = net.replicas[l].status().decided_end;

  // A restarts empty and learns the log, but hears no recovery reply, so it cannot finish.
  net.restart_amnesiac(a);
  Links links;
  links.voter = a;
  auto no_replies = [&](const Envelope& e) {
    if (e.to == a && std::holds_alternative<RecoveryReply>(e.message.body)) return true;
    return links.drop()(e);
  };
  net.run_for(1000, no_replies);
  BOOST_TEST(net.replicas[a].status().recovering);
  BOOST_TEST_REQUIRE(net.replicas[a].status().decided_end >= decided);

  net.restart_amnesiac_keeping_log(a);
  BOOST_TEST(net.replicas[a].status().recovering);
  BOOST_TEST(net.replicas[a].status().decided_end >= decided);
  BOOST_TEST(net.replicas[a].kv().at("k5") == "v");
  net.run_for(1000, no_replies);
  BOOST_TEST(net.replicas[a].status().recovering);
  BOOST_TEST(links.votes == 0u);

  net.run_for(1000, links.drop());
  BOOST_TEST(!net.replicas[a].status().recovering);
  BOOST_TEST(net.recovered[a].has_value());
  const RequestId id{9, 6};
  net.replicas[l].submit(test::put("after", "restart", id.client, id.seq), net.now);
  net.run_for(300, links.drop());
  BOOST_TEST(completed_ok(net.completions[l], id));
  for (const Replica& r : net.replicas) BOOST_TEST((r.head() == net.replicas[l].head()));
}

BOOST_AUTO_TEST_CASE(a_voter_restarted_while_recovering_recovers_again_keeping_its_log) {
  for (std::uint64_t seed = 1000; seed < 1010; ++seed) {
    BOOST_TEST_CONTEXT("seed " << seed) {
      recovers_again_keeping_its_log(seed);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
