// The configuration checker on hand-made configurations and logs: the quorum-intersection
// rule against brute force, the replay's dedup and refusals, and a site's view against the
// replay.

#include <boost/test/unit_test.hpp>

#include <bit>
#include <cstdint>
#include <vector>

#include "paxoskv/limits.hpp"
#include "paxoskv/member_change.hpp"
#include "sim/configuration_checker.hpp"

using namespace paxoskv;
using namespace paxoskv::sim;

namespace {

constexpr Slot kDelay = limits::member_change_delay;

// Sites s0.. of which those in `voters` (a bit mask) are voters and the others learners.
Cluster cluster_of(std::uint32_t voters, std::size_t sites) {
  std::vector<SiteInfo> out;
  for (std::size_t i = 0; i < sites; ++i)
    out.push_back(SiteInfo{"s" + std::to_string(i), "sim", static_cast<std::uint16_t>(i + 1),
                           (voters >> i & 1u) ? Role::voter : Role::learner});
  return Cluster(std::move(out));
}

// Every majority of `a` against every majority of `b`.
bool disjoint_by_brute_force(std::uint32_t a, std::uint32_t b, std::size_t sites) {
  const auto majority = [](std::uint32_t set, std::uint32_t of) {
    return (set & ~of) == 0 && static_cast<std::size_t>(std::popcount(set)) >
                                   static_cast<std::size_t>(std::popcount(of)) / 2;
  };
  for (std::uint32_t qa = 0; qa < (1u << sites); ++qa)
    for (std::uint32_t qb = 0; qb < (1u << sites); ++qb)
      if (majority(qa, a) && majority(qb, b) && (qa & qb) == 0) return true;
  return false;
}

Command member(MemberAction action, std::string name, RequestId id) {
  MemberChange c{action, std::move(name), "", 0, false};
  if (action == MemberAction::add) {
    c.host = "sim";
    c.port = 100;
  }
  return member_command(c, id);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(configuration_checker)

BOOST_AUTO_TEST_CASE(the_intersection_rule_agrees_with_brute_force) {
  constexpr std::size_t kSites = 5;
  for (std::uint32_t a = 1; a < (1u << kSites); ++a)
    for (std::uint32_t b = 1; b < (1u << kSites); ++b) {
      BOOST_TEST_CONTEXT("voters " << a << " and " << b) {
        std::string example;
        const bool disjoint =
            quorums_may_be_disjoint(cluster_of(a, kSites), cluster_of(b, kSites), &example);
        BOOST_TEST(disjoint == disjoint_by_brute_force(a, b, kSites));
        BOOST_TEST(example.empty() == !disjoint);
      }
    }
}

BOOST_AUTO_TEST_CASE(one_site_apart_always_intersect_two_apart_need_not) {
  const Cluster three = cluster_of(0b00111, 5);
  BOOST_TEST(!quorums_may_be_disjoint(three, cluster_of(0b01111, 5)));  // one promoted
  BOOST_TEST(!quorums_may_be_disjoint(three, cluster_of(0b00011, 5)));  // one removed
  std::string example;
  BOOST_TEST(quorums_may_be_disjoint(three, cluster_of(0b11111, 5), &example));  // two promoted
  BOOST_TEST(example == "{s0,s1} and {s3,s4,s2}");
  BOOST_TEST(quorums_may_be_disjoint(three, cluster_of(0b00001, 5)));  // two removed
  BOOST_TEST(quorums_may_be_disjoint(three, cluster_of(0b01110, 5)));  // one swapped
}

BOOST_AUTO_TEST_CASE(a_change_decided_before_the_previous_one_governs_is_refused) {
  ConfigurationChecker checker(cluster_of(0b111, 3), InjectedBug::none);
  ReplayedSlot first = checker.replay(member(MemberAction::remove, "s2", {9, 1}));
  BOOST_TEST(first.result.ok);
  BOOST_TEST(first.new_configuration);
  BOOST_TEST(first.window_changed);
  ReplayedSlot second = checker.replay(member(MemberAction::remove, "s1", {9, 2}));
  BOOST_TEST(!second.result.ok);
  BOOST_TEST(second.result.reason == "another membership change is in progress");
  BOOST_TEST(!checker.check_quorums().has_value());
  BOOST_TEST(checker.window().size() == 2u);
  BOOST_TEST(checker.latest().voter_count() == 2u);
}

BOOST_AUTO_TEST_CASE(two_changes_in_flight_make_quorums_that_need_not_meet) {
  ConfigurationChecker checker(cluster_of(0b111, 3), InjectedBug::two_changes_in_flight);
  BOOST_TEST(checker.replay(member(MemberAction::remove, "s2", {9, 1})).result.ok);
  BOOST_TEST(!checker.check_quorums().has_value());
  BOOST_TEST(checker.replay(member(MemberAction::remove, "s1", {9, 2})).result.ok);
  const std::optional<std::string> wrong = checker.check_quorums();
  BOOST_REQUIRE(wrong.has_value());
  BOOST_TEST(wrong->find("disjoint quorums: {s1,s2} and {s0}") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_retried_request_acts_once_and_a_leaders_own_every_time) {
  ConfigurationChecker checker(cluster_of(0b011, 3), InjectedBug::none);
  BOOST_TEST(checker.replay(member(MemberAction::promote, "s2", {9, 1})).member);
  BOOST_TEST(!checker.replay(member(MemberAction::promote, "s2", {9, 1})).member);
  BOOST_TEST(!checker.replay(Command{Op::put, "k", "v", {9, 1}}).member);
  for (Slot s = 3; s < 3 + kDelay; ++s) checker.replay(Command{});
  // Client 0 is a leader's own: carried out again, and refused the second time.
  ReplayedSlot own = checker.replay(member(MemberAction::promote, "s2", {0, 5}));
  BOOST_TEST(own.member);
  BOOST_TEST(own.result.reason == "s2 is already a voter");
  BOOST_TEST(checker.end() == 4 + kDelay);
}

BOOST_AUTO_TEST_CASE(a_site_is_judged_by_the_log_it_has_decided) {
  const Cluster initial = cluster_of(0b111, 3);
  std::vector<LogEntry> log;
  Hash previous = genesis_hash;
  for (const Command& c :
       {Command{Op::put, "k", "v", {1, 1}}, member(MemberAction::remove, "s2", {9, 1})}) {
    const Slot slot = log.size();
    log.push_back(LogEntry{slot, c, chain_hash(slot, c, previous)});
    previous = log.back().hash;
  }
  Replica site(initial, 0, ReplicaOptions{}, 1);
  site.restore(Ballot{}, {}, log, 0);

  ConfigurationChecker agrees(initial, InjectedBug::none);
  for (const LogEntry& e : log) agrees.replay(e.command);
  BOOST_TEST(!agrees.check_site(0, site).has_value());

  // A log that removed another site instead.
  ConfigurationChecker differs(initial, InjectedBug::none);
  differs.replay(log[0].command);
  differs.replay(member(MemberAction::remove, "s1", {9, 1}));
  const std::optional<std::string> wrong = differs.check_site(0, site);
  BOOST_REQUIRE(wrong.has_value());
  BOOST_TEST(wrong->find("s0 (decided end 2) has for slot " + std::to_string(1 + kDelay)) == 0u);

  // Outcomes: the one of the request's slot, and a time-out is none.
  BOOST_TEST(!agrees.check_outcome(0, Completion{{9, 1}, true, "", false, {}}).has_value());
  BOOST_TEST(
      agrees.check_outcome(0, Completion{{9, 1}, false, "no member s2", false, {}}).has_value());
  BOOST_TEST(
      !agrees.check_outcome(0, Completion{{9, 1}, false, "timed out, outcome unknown", false, {}})
           .has_value());
  BOOST_TEST(agrees.check_outcome(0, Completion{{9, 2}, true, "", false, {}}).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
