#include <boost/test/unit_test.hpp>
#include <set>
#include <variant>

#include "core/membership.hpp"
#include "paxoskv/limits.hpp"
#include "paxoskv/member_change.hpp"
#include "test_network.hpp"

using namespace paxoskv;

namespace {

constexpr Slot kDelay = limits::member_change_delay;

Command change(MemberAction action, std::string name, std::string host = "", std::uint16_t port = 0,
               std::uint64_t seq = 1) {
  return member_command(MemberChange{action, std::move(name), std::move(host), port},
                        RequestId{77, seq});
}

Command add(std::string name, std::uint16_t port) {
  return change(MemberAction::add, std::move(name), "127.0.0.1", port);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(member_change)

BOOST_AUTO_TEST_CASE(round_trips_through_a_log_command) {
  for (const MemberChange& c : {MemberChange{MemberAction::add, "delta", "10.0.0.4", 5004},
                                MemberChange{MemberAction::remove, "beta", "", 0},
                                MemberChange{MemberAction::add, "delta", "10.0.0.4", 5004, true},
                                MemberChange{MemberAction::promote, "delta", "", 0},
                                MemberChange{MemberAction::transfer, "beta", "", 0}}) {
    const Command command = member_command(c, RequestId{1, 2});
    BOOST_TEST((command.op == Op::member));
    BOOST_TEST(command.key == c.name);
    auto back = member_change_of(command);
    BOOST_REQUIRE(std::holds_alternative<MemberChange>(back));
    BOOST_TEST((std::get<MemberChange>(back) == c));
  }
  BOOST_TEST(member_command({MemberAction::add, "delta", "10.0.0.4", 5004}, {}).value ==
             "add 10.0.0.4 5004");
}

BOOST_AUTO_TEST_CASE(a_malformed_change_is_named) {
  auto error = [](std::string key, std::string value) {
    auto r = member_change_of(Command{Op::member, std::move(key), std::move(value), {1, 1}});
    return std::holds_alternative<std::string>(r) ? std::get<std::string>(r) : std::string();
  };
  BOOST_TEST(error("delta", "add 10.0.0.4") == "'add' takes a host, a port and optionally 'voter'");
  BOOST_TEST(error("delta", "add 10.0.0.4 5004 boss") ==
             "'add' takes a host, a port and optionally 'voter'");
  BOOST_TEST(error("delta", "add 10.0.0.4 99999") == "bad port '99999'");
  BOOST_TEST(error("delta", "rename x") == "unknown membership change 'rename'");
  BOOST_TEST(error("delta", "remove now") == "unexpected words after 'remove'");
  BOOST_TEST(error("de lta", "remove").find("bad site name") == 0u);
  BOOST_TEST(error("", "remove") == "empty site name");
  BOOST_TEST(error("delta", "add 10.0.0.4/8 5004").find("bad host") == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(membership)

BOOST_AUTO_TEST_CASE(a_change_governs_the_slots_from_its_slot_plus_the_delay) {
  Membership m(test::make_cluster(3));
  BOOST_TEST(m.apply(10, add("delta", 5004)).ok);
  BOOST_TEST(m.at(10).size() == 3u);
  BOOST_TEST(m.at(10 + kDelay - 1).size() == 3u);
  BOOST_TEST(m.at(10 + kDelay).size() == 4u);
  BOOST_TEST((m.at(10 + kDelay).site(3).role == Role::learner));
  BOOST_TEST(m.latest().size() == 4u);
  BOOST_TEST(m.latest_from() == 10 + kDelay);
  BOOST_TEST(m.spanning(0, 10 + kDelay - 1).size() == 1u);
  BOOST_TEST(m.spanning(0, 10 + kDelay).size() == 2u);
  BOOST_TEST(m.spanning(10 + kDelay, 10 + 2 * kDelay).size() == 1u);
}

BOOST_AUTO_TEST_CASE(one_change_at_a_time) {
  Membership m(test::make_cluster(3));
  BOOST_TEST(m.apply(10, add("delta", 5004)).ok);
  const ApplyResult second = m.apply(11, change(MemberAction::promote, "delta"));
  BOOST_TEST(!second.ok);
  BOOST_TEST(second.reason == "another membership change is in progress");
  BOOST_TEST(m.apply(10 + kDelay, change(MemberAction::promote, "delta")).ok);
  BOOST_TEST(m.latest().is_voter(3));
  BOOST_TEST(m.latest().quorum() == 3u);
}

BOOST_AUTO_TEST_CASE(refusals_change_nothing) {
  Membership m(test::make_cluster(1, 1));  // alpha votes, beta learns
  Slot slot = 0;
  auto refused = [&](const Command& c) {
    const Cluster before = m.latest();
    const ApplyResult r = m.apply(slot, c);
    BOOST_TEST((m.latest() == before));
    return r.ok ? std::string("applied") : r.reason;
  };
  BOOST_TEST(refused(add("beta", 6000)) == "name beta is in use");
  BOOST_TEST(refused(add("gamma", 5002)) == "127.0.0.1:5002 is in use by beta");
  BOOST_TEST(refused(change(MemberAction::remove, "alpha")) == "cannot remove the last voter");
  BOOST_TEST(refused(change(MemberAction::remove, "omega")) == "no member omega");
  BOOST_TEST(refused(change(MemberAction::promote, "alpha")) == "alpha is already a voter");
  BOOST_TEST(refused(Command{Op::member, "beta", "promote please", {1, 1}}) ==
             "unexpected words after 'promote'");
}

BOOST_AUTO_TEST_CASE(a_transfer_changes_no_configuration_and_may_come_during_a_change) {
  Membership m(test::make_cluster(2, 1));  // alpha and beta vote, gamma learns
  BOOST_TEST(m.apply(10, add("delta", 5004)).ok);
  const Cluster before = m.latest();
  BOOST_TEST(m.apply(11, change(MemberAction::transfer, "beta")).ok);
  BOOST_TEST((m.latest() == before));
  BOOST_TEST(m.latest_from() == 10 + kDelay);
  BOOST_TEST(m.apply(12, change(MemberAction::transfer, "gamma")).reason == "gamma is not a voter");
  BOOST_TEST(m.apply(13, change(MemberAction::transfer, "omega")).reason == "no member omega");
}

BOOST_AUTO_TEST_CASE(a_site_added_as_a_voter_joins_as_a_learner) {
  Membership m(test::make_cluster(3));
  BOOST_TEST(m.apply(10, member_command({MemberAction::add, "delta", "127.0.0.1", 5004, true},
                                        RequestId{77, 1}))
                 .ok);
  BOOST_TEST((m.latest().site(3).role == Role::joining));
  BOOST_TEST(!m.latest().is_voter(3));
  BOOST_TEST(m.latest().is_member(3));
  BOOST_TEST(m.apply(10 + kDelay, change(MemberAction::promote, "delta")).ok);
  BOOST_TEST(m.latest().is_voter(3));
}

BOOST_AUTO_TEST_CASE(a_removed_name_may_come_back_as_a_new_site) {
  Membership m(test::make_cluster(3));
  BOOST_TEST(m.apply(5, change(MemberAction::remove, "beta")).ok);
  BOOST_TEST(!m.latest().find("beta"));
  BOOST_TEST(!m.latest().is_member(1));
  BOOST_TEST(m.latest().quorum() == 2u);
  BOOST_TEST(m.apply(5 + kDelay, add("beta", 5002)).ok);
  BOOST_TEST((m.latest().find("beta") == std::optional<SiteId>(3)));
}

BOOST_AUTO_TEST_CASE(a_snapshot_keeps_the_epochs_that_still_govern) {
  Membership m(test::make_cluster(3));
  BOOST_TEST(m.epochs_from(100).empty());  // never changed: the hosts file governs
  BOOST_TEST(m.apply(10, add("delta", 5004)).ok);
  BOOST_TEST(m.apply(10 + kDelay, change(MemberAction::promote, "delta")).ok);
  // At a base between the two: the epoch in force there and the later one.
  const auto epochs = m.epochs_from(20 + kDelay);
  BOOST_REQUIRE(epochs.size() == 2u);
  BOOST_TEST(epochs[0].from == 10 + kDelay);
  BOOST_TEST(epochs[1].from == 10 + 2 * kDelay);

  Snapshot s;
  s.base = 20 + kDelay;
  s.base_hash[0] = 1;
  s.members = epochs;
  auto decoded = decode_snapshot(make_snapshot_image(s)->bytes);
  BOOST_REQUIRE(std::holds_alternative<Snapshot>(decoded));
  BOOST_TEST((std::get<Snapshot>(decoded) == s));

  Membership restored(test::make_cluster(3));
  restored.restore(std::get<Snapshot>(decoded).members);
  BOOST_TEST((restored.latest() == m.latest()));
  BOOST_TEST((restored.at(s.base) == m.at(s.base)));
}

// A site restored from a snapshot knows one epoch, a changed configuration: its own next
// snapshot must name it, not fall back to the hosts file (found by the simulator once it changed
// the membership).
BOOST_AUTO_TEST_CASE(a_snapshot_of_a_restored_configuration_names_it) {
  Membership m(test::make_cluster(3));
  BOOST_TEST(m.apply(10, change(MemberAction::remove, "gamma")).ok);
  Membership restored(test::make_cluster(3));
  restored.restore(m.epochs_from(20 + kDelay));
  BOOST_REQUIRE(restored.epochs().size() == 1u);
  Membership again(test::make_cluster(3));
  again.restore(restored.epochs_from(30 + kDelay));
  BOOST_TEST((again.at(30 + kDelay) == m.at(30 + kDelay)));
  BOOST_TEST((again.latest() == m.latest()));
}

// Found by the net schedule three_sites_membership_changes: a site restarted from a snapshot
// above the last change holds that one epoch alone, and its next snapshot left the members
// out as if the cluster had never changed. Restarted from that one, the site went back to the
// hosts file's configuration: a site that had joined no longer named itself, and it refused
// the datagrams of later members as from unknown senders.
BOOST_AUTO_TEST_CASE(a_snapshot_after_a_restored_snapshot_keeps_its_one_epoch) {
  Membership m(test::make_cluster(3));
  BOOST_TEST(m.apply(10, add("delta", 5004)).ok);
  const Slot base = 10 + 2 * kDelay;  // above the change: only its epoch governs there
  const auto epochs = m.epochs_from(base);
  BOOST_REQUIRE(epochs.size() == 1u);

  Membership restored(test::make_cluster(3));
  restored.restore(epochs);
  const auto again = restored.epochs_from(base + 100);
  BOOST_REQUIRE(again.size() == 1u);
  BOOST_TEST((again[0] == epochs[0]));

  Membership restarted(test::make_cluster(3));
  restarted.restore(again);
  BOOST_TEST((restarted.latest() == m.latest()));
  BOOST_TEST(restarted.latest().size() == 4u);
}

BOOST_AUTO_TEST_CASE(a_snapshot_with_bad_members_is_refused_with_a_reason) {
  Snapshot s;
  s.base = 5;
  s.base_hash[0] = 1;
  s.members = {MemberEpoch{9, test::make_cluster(3)}};
  auto decoded = decode_snapshot(make_snapshot_image(s)->bytes);
  BOOST_REQUIRE(std::holds_alternative<std::string>(decoded));
  BOOST_TEST(std::get<std::string>(decoded) ==
             "field 'members' does not cover the snapshot's base");
  s.members = {MemberEpoch{0, test::make_cluster(0, 2)}};
  decoded = decode_snapshot(make_snapshot_image(s)->bytes);
  BOOST_REQUIRE(std::holds_alternative<std::string>(decoded));
  BOOST_TEST(std::get<std::string>(decoded) == "members: a configuration without voters");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(membership_cluster)

namespace {

std::uint64_t next_client = 1000;

// Submits `command` at the leader and runs until it completes; returns its completion.
Completion run_to_completion(test::TestNetwork& net, const Command& command,
                             const std::function<bool(const Envelope&)>& drop = nullptr) {
  auto leader = net.leader();
  BOOST_REQUIRE(leader);
  const std::size_t before = net.completions[*leader].size();
  net.replicas[*leader].submit(command, net.now);
  for (int i = 0; i < 300 && net.completions[*leader].size() == before; ++i) net.run_for(10, drop);
  BOOST_REQUIRE(net.completions[*leader].size() > before);
  return net.completions[*leader].back();
}

// Fills the slots up to the one from which the latest change governs.
void pad(test::TestNetwork& net, const std::function<bool(const Envelope&)>& drop = nullptr) {
  for (Slot i = 0; i <= limits::member_change_delay; i += 16) {
    auto leader = net.leader();
    BOOST_REQUIRE(leader);
    for (int j = 0; j < 16; ++j)
      net.replicas[*leader].submit(test::put("pad", "x", ++next_client, 1), net.now);
    net.run_for(50, drop);
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(an_added_learner_catches_up_and_once_promoted_counts_in_quorums) {
  test::TestNetwork net(3);
  net.run_for(1500);
  BOOST_TEST(run_to_completion(net, test::put("k", "v", 1, 1)).ok);

  const SiteId delta = net.add_site();
  BOOST_TEST(run_to_completion(net, add("delta", 5004)).ok);
  pad(net);
  BOOST_TEST((net.replicas[delta].members() == net.replicas[0].members()));
  BOOST_TEST(!net.replicas[delta].recovering());
  BOOST_TEST(net.replicas[delta].kv().at("k") == "v");

  BOOST_TEST(run_to_completion(net, change(MemberAction::promote, "delta", "", 0, 2)).ok);
  pad(net);
  for (const Replica& r : net.replicas) BOOST_TEST(r.members().voter_count() == 4u);

  // With 4 voters a quorum is 3: with one original voter cut off, delta's ack is needed.
  const SiteId leader = *net.leader();
  const SiteId cut = leader == 0 ? 1 : 0;
  auto drop_cut = [&](const Envelope& e) { return e.to == cut || e.message.from == cut; };
  const Slot before = net.replicas[delta].status().decided_end;
  BOOST_TEST(run_to_completion(net, test::put("k", "w", 1, 2), drop_cut).ok);
  BOOST_TEST(net.replicas[delta].status().decided_end > before);

  // And when delta is cut off as well, no quorum: the write does not complete.
  auto drop_two = [&](const Envelope& e) {
    return drop_cut(e) || e.to == delta || e.message.from == delta;
  };
  net.replicas[leader].submit(test::put("k", "x", 1, 3), net.now);
  const std::size_t done = net.completions[leader].size();
  net.run_for(1000, drop_two);
  BOOST_TEST(net.completions[leader].size() == done);
}

BOOST_AUTO_TEST_CASE(a_learner_that_has_not_caught_up_is_not_promoted) {
  test::TestNetwork net(3);
  net.run_for(1500);
  const SiteId delta = net.add_site();
  auto cut_delta = [&](const Envelope& e) { return e.to == delta || e.message.from == delta; };
  BOOST_TEST(run_to_completion(net, add("delta", 5004), cut_delta).ok);
  pad(net, cut_delta);
  const Completion refused =
      run_to_completion(net, change(MemberAction::promote, "delta", "", 0, 2), cut_delta);
  BOOST_TEST(!refused.ok);
  BOOST_TEST(refused.reason == "delta has not been heard from within an election timeout");
  for (const Replica& r : net.replicas) BOOST_TEST(r.members().voter_count() == 3u);
  // Once it has caught up, it is.
  net.run_for(1000);
  BOOST_TEST(run_to_completion(net, change(MemberAction::promote, "delta", "", 0, 3)).ok);
}

BOOST_AUTO_TEST_CASE(a_change_takes_effect_in_an_idle_cluster) {
  test::TestNetwork net(3);
  net.run_for(1500);
  const SiteId delta = net.add_site();
  BOOST_TEST(run_to_completion(net, add("delta", 5004)).ok);
  net.run_for(500);  // no writes: the leader fills the slots up to the change with no-ops
  const auto& log = net.replicas[0].log();
  auto change = std::find_if(log.begin(), log.end(),
                             [](const LogEntry& e) { return e.command.op == Op::member; });
  BOOST_REQUIRE(change != log.end());
  for (const Replica& r : net.replicas) {
    BOOST_TEST(r.members().size() == 4u);
    BOOST_TEST(r.status().decided_end >= change->slot + limits::member_change_delay);
  }
  BOOST_TEST(!net.replicas[delta].recovering());
}

BOOST_AUTO_TEST_CASE(a_transfer_hands_leadership_to_its_target_at_once) {
  test::TestNetwork net(3);
  net.run_for(1500);
  const SiteId old_leader = *net.leader();
  const SiteId target = (old_leader + 1) % 3;
  const std::string name = net.replicas[0].members().name(target);
  const TimeMs asked = net.now;
  BOOST_TEST(run_to_completion(net, change(MemberAction::transfer, name)).ok);
  for (int i = 0; i < 100 && net.leader() != target; ++i) net.run_for(10);
  BOOST_TEST((net.leader() == std::optional<SiteId>(target)));
  // Well within an election timeout: the target does not wait for its timer, and the voters
  // answer its prepare although they heard the old leader just now.
  BOOST_TEST(net.now - asked < ReplicaOptions{}.election_timeout_ms);
  BOOST_TEST(!net.replicas[old_leader].status().is_leader);
  BOOST_TEST(run_to_completion(net, test::put("k", "v", 1, 1)).ok);
}

BOOST_AUTO_TEST_CASE(a_transfer_to_a_learner_or_a_stranger_is_refused) {
  test::TestNetwork net(2, 1);
  net.run_for(1500);
  const Completion learner = run_to_completion(net, change(MemberAction::transfer, "gamma"));
  BOOST_TEST(!learner.ok);
  BOOST_TEST(learner.reason == "gamma is not a voter");
  const Completion stranger =
      run_to_completion(net, change(MemberAction::transfer, "omega", "", 0, 2));
  BOOST_TEST(stranger.reason == "no member omega");
}

BOOST_AUTO_TEST_CASE(a_leader_that_removes_itself_hands_leadership_over_first) {
  test::TestNetwork net(3);
  net.run_for(1500);
  const SiteId old_leader = *net.leader();
  const std::string name = net.replicas[0].members().name(old_leader);
  BOOST_TEST(run_to_completion(net, change(MemberAction::remove, name)).ok);
  // The old leader fills the slots up to the one its removal governs with no-ops, and hands
  // over as soon as they are decided: the next leader does not wait for an election timeout.
  const TimeMs removed_at = net.now;
  for (int i = 0; i < 100 && net.leader() == old_leader; ++i) net.run_for(10);
  const std::optional<SiteId> next = net.leader();
  BOOST_REQUIRE(next);
  BOOST_TEST(*next != old_leader);
  BOOST_TEST(net.now - removed_at < ReplicaOptions{}.election_timeout_ms);
  // Once the removal governs, the removed site takes no part: writes complete without it.
  pad(net);
  auto drop_removed = [&](const Envelope& e) {
    return e.to == old_leader || e.message.from == old_leader;
  };
  BOOST_TEST(run_to_completion(net, test::put("k", "v", 1, 1), drop_removed).ok);
  BOOST_TEST(!net.replicas[old_leader].status().is_leader);
}

BOOST_AUTO_TEST_CASE(a_site_added_as_a_voter_is_promoted_once_it_has_caught_up) {
  test::TestNetwork net(3);
  net.run_for(1500);
  BOOST_TEST(run_to_completion(net, test::put("k", "v", 1, 1)).ok);
  const SiteId delta = net.add_site();
  // Cut off at first: it cannot catch up, so it stays a learner.
  auto cut_delta = [&](const Envelope& e) { return e.to == delta || e.message.from == delta; };
  BOOST_TEST(run_to_completion(net,
                               member_command({MemberAction::add, "delta", "127.0.0.1", 5004, true},
                                              RequestId{77, 1}),
                               cut_delta)
                 .ok);
  pad(net, cut_delta);
  net.run_for(2000, cut_delta);
  for (const Replica& r : net.replicas) BOOST_TEST(r.members().voter_count() == 3u);
  BOOST_TEST((net.replicas[0].members().site(delta).role == Role::joining));
  // Connected, it catches up and the leader promotes it by itself.
  for (int i = 0; i < 300 && net.replicas[0].members().voter_count() < 4; ++i) net.run_for(10);
  pad(net);
  for (const Replica& r : net.replicas) BOOST_TEST(r.members().voter_count() == 4u);
  BOOST_TEST(net.replicas[delta].kv().at("k") == "v");
  BOOST_TEST(!net.replicas[delta].recovering());
}

// Every original site replaced, then one more site added: it starts with the hosts file's
// configuration (sites none of which answer any more) and learns everything from sites that
// only a later configuration names.
BOOST_AUTO_TEST_CASE(a_site_joins_after_every_original_site_is_gone) {
  test::TestNetwork net(3);
  net.run_for(1500);
  BOOST_TEST(run_to_completion(net, test::put("k", "v", 1, 1)).ok);
  std::set<SiteId> gone;
  auto drop_gone = [&](const Envelope& e) {
    return gone.contains(e.to) || gone.contains(e.message.from);
  };
  std::uint64_t seq = 10;
  // Runs a change to completion, padding the log until the previous one governs.
  auto apply_change = [&](const Command& c) {
    for (int attempt = 0; attempt < 10; ++attempt) {
      const Completion done = run_to_completion(net, c, drop_gone);
      if (done.ok) return;
      BOOST_TEST_REQUIRE(done.reason == "another membership change is in progress");
      pad(net, drop_gone);
    }
    BOOST_FAIL("the change never went through");
  };
  const char* names[] = {"delta", "epsilon", "zeta"};
  for (int i = 0; i < 3; ++i) {
    const SiteId added = net.add_site();
    apply_change(member_command(
        {MemberAction::add, names[i], "127.0.0.1", static_cast<std::uint16_t>(6000 + i), false},
        RequestId{77, ++seq}));
    pad(net, drop_gone);
    apply_change(change(MemberAction::promote, names[i], "", 0, ++seq));
    pad(net, drop_gone);
    // The original it replaces is removed, then stopped for good.
    const std::string original = net.replicas[added].members().name(static_cast<SiteId>(i));
    apply_change(change(MemberAction::remove, original, "", 0, ++seq));
    pad(net, drop_gone);
    gone.insert(static_cast<SiteId>(i));
    net.run_for(1000, drop_gone);
  }
  const SiteId eta = net.add_site();
  apply_change(
      member_command({MemberAction::add, "eta", "127.0.0.1", 6100, false}, RequestId{77, ++seq}));
  pad(net, drop_gone);
  for (int i = 0; i < 200 && net.replicas[eta].members().size() < 7; ++i)
    net.run_for(10, drop_gone);
  BOOST_TEST(net.replicas[eta].members().size() == 7u);
  BOOST_TEST(net.replicas[eta].kv().at("k") == "v");
  BOOST_TEST(!net.replicas[eta].recovering());
}

// The sites a removed site still votes with must hear it until its removal governs: as leader
// it still proposes the slots before, and its hand-over comes from there.
BOOST_AUTO_TEST_CASE(a_removed_site_stays_in_the_address_book_until_its_removal_governs) {
  test::TestNetwork net(3);
  net.run_for(1500);
  const SiteId leader = *net.leader();
  const SiteId removed = leader == 2 ? 1 : 2;
  const std::string name = net.replicas[0].members().name(removed);
  // Message by message, so that the check comes before the no-ops that follow the removal.
  net.replicas[leader].submit(change(MemberAction::remove, name), net.now);
  const std::size_t before = net.completions[leader].size();
  net.collect();
  for (int i = 0; i < 1000 && net.completions[leader].size() == before; ++i) {
    BOOST_REQUIRE(!net.in_flight.empty());
    Envelope e = std::move(net.in_flight.front());
    net.in_flight.pop_front();
    net.replicas[e.to].step(e.message, net.now);
    net.collect();
  }
  BOOST_REQUIRE(net.completions[leader].size() > before);
  BOOST_TEST(net.completions[leader].back().ok);
  const Replica& r = net.replicas[leader];
  BOOST_TEST_REQUIRE(r.status().decided_end < limits::member_change_delay);
  BOOST_TEST(!r.members().is_member(removed));
  BOOST_TEST(r.address_book().is_voter(removed));
  pad(net);
  BOOST_TEST(r.status().decided_end > limits::member_change_delay);
  BOOST_TEST(!r.address_book().is_member(removed));
}

// Mixed seed 87193: a leader that removed itself handed over to the one voter left, whose log
// had not reached its own promotion, so that it could not campaign; the leader stepped down.
// That voter then crashed and came back knowing of no slot beyond its log, and nobody sent it
// anything: no leader, no candidate. A site that hears no leader and may not campaign asks a
// peer for the log (seek_log_without_leader), catches up past its promotion and leads.
BOOST_AUTO_TEST_CASE(a_voter_behind_its_promotion_finds_the_log_when_no_leader_is_left) {
  test::TestNetwork net(1, 1);  // alpha votes, beta learns
  net.run_for(1500);
  const SiteId alpha = 0, beta = 1;
  BOOST_REQUIRE((net.leader() == std::optional<SiteId>(alpha)));
  // beta learns its promotion and no decision after it: every commit and catch-up reply to it
  // with a later slot is lost. It acks alpha's accepts all the same (it votes once it knows).
  std::optional<Slot> promoted_in;
  auto beta_learns_no_more = [&](const Envelope& e) {
    const std::vector<SlotCommand>* entries = nullptr;
    if (const auto* m = std::get_if<Commit>(&e.message.body)) entries = &m->entries;
    if (const auto* m = std::get_if<CatchupReply>(&e.message.body)) entries = &m->entries;
    if (e.to != beta || entries == nullptr) return false;
    for (const SlotCommand& sc : *entries)
      if (sc.command.op == Op::member && !promoted_in) promoted_in = sc.slot;
    return promoted_in && std::any_of(entries->begin(), entries->end(), [&](const SlotCommand& sc) {
             return sc.slot > *promoted_in;
           });
  };
  BOOST_TEST(run_to_completion(net, change(MemberAction::promote, "beta"), beta_learns_no_more).ok);
  net.run_for(50, beta_learns_no_more);
  BOOST_REQUIRE(promoted_in);
  BOOST_REQUIRE(net.replicas[beta].members().is_voter(beta));
  const Slot behind = net.replicas[beta].status().decided_end;
  BOOST_TEST_REQUIRE(behind == *promoted_in + 1);
  pad(net, beta_learns_no_more);  // the promotion governs: alpha's slots need beta's acks
  BOOST_TEST(
      run_to_completion(net, change(MemberAction::remove, "alpha", "", 0, 2), beta_learns_no_more)
          .ok);
  // alpha fills the slots up to its removal, hands over to beta, which may not lead (its log
  // has not reached its promotion), and steps down.
  net.run_for(2000, beta_learns_no_more);
  BOOST_TEST(!net.leader());
  const Slot end = net.replicas[alpha].status().decided_end;
  BOOST_TEST_REQUIRE(end > behind + 2 * limits::member_change_delay);
  BOOST_TEST(net.replicas[beta].status().decided_end == behind);

  // beta restarts from its files, knowing of no later slot, and nobody sends it anything
  // unasked: alpha is removed, and beta the one voter.
  net.restart(beta);
  net.run_for(3000);
  BOOST_TEST(net.replicas[beta].status().decided_end >= end);
  BOOST_TEST((net.leader() == std::optional<SiteId>(beta)));
  BOOST_TEST(run_to_completion(net, test::put("k", "v", 1, 1)).ok);
}

BOOST_AUTO_TEST_CASE(a_removed_voter_is_no_longer_needed_for_a_quorum) {
  test::TestNetwork net(3);
  net.run_for(1500);
  SiteId leader = *net.leader();
  const SiteId removed = leader == 2 ? 1 : 2;
  const std::string name = net.replicas[0].members().name(removed);
  BOOST_TEST(run_to_completion(net, change(MemberAction::remove, name)).ok);
  pad(net);
  for (const Replica& r : net.replicas) BOOST_TEST(r.members().voter_count() == 2u);
  // Two voters: both are needed, and the removed one is not.
  auto drop_removed = [&](const Envelope& e) {
    return e.to == removed || e.message.from == removed;
  };
  BOOST_TEST(run_to_completion(net, test::put("k", "v", 1, 1), drop_removed).ok);
  // Logs of the remaining voters agree.
  net.run_for(200, drop_removed);
  leader = *net.leader();
  const SiteId other = 3 - leader - removed;
  BOOST_TEST(net.replicas[leader].head() == net.replicas[other].head());
}

BOOST_AUTO_TEST_SUITE_END()
