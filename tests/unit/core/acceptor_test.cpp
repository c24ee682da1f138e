#include <boost/test/unit_test.hpp>

#include "core/acceptor.hpp"
#include "test_network.hpp"

using namespace paxoskv;

BOOST_AUTO_TEST_SUITE(acceptor)

BOOST_AUTO_TEST_CASE(prepare_below_promise_is_refused_and_changes_nothing) {
  Acceptor a;
  Ready r;
  a.on_prepare(Prepare{Ballot{5, 1}, 0}, 0, r);
  a.on_accept(Accept{Ballot{5, 1}, 0, {{3, test::put("k", "v", 1, 1)}}}, 0, r);
  for (Ballot lower : {Ballot{5, 0}, Ballot{4, 2}, Ballot{0, 0}}) {
    Ready after;
    auto replies = a.on_prepare(Prepare{lower, 0}, 0, after);
    BOOST_REQUIRE_EQUAL(replies.size(), 1u);
    BOOST_REQUIRE(std::holds_alternative<Nack>(replies[0]));
    BOOST_TEST((std::get<Nack>(replies[0]).ballot == Ballot{5, 1}));
    BOOST_TEST(!after.must_persist());
    BOOST_TEST((a.promised() == Ballot{5, 1}));
    BOOST_TEST(a.accepted().at(3).command.value == "v");
  }
}

// Issue 15, item 7: a prepare repeated at the promised ballot (its promise was lost) gets the
// same answer as the first one, with what was accepted since, and records nothing new. Safe
// because no proposer reuses a ballot: it promises its own before its prepares leave.
BOOST_AUTO_TEST_CASE(prepare_at_the_promised_ballot_is_answered_again) {
  Acceptor a;
  Ready r;
  a.on_prepare(Prepare{Ballot{5, 1}, 0}, 0, r);
  a.on_accept(Accept{Ballot{5, 1}, 0, {{3, test::put("k", "v", 1, 1)}}}, 0, r);
  Ready again;
  auto replies = a.on_prepare(Prepare{Ballot{5, 1}, 0}, 0, again);
  BOOST_REQUIRE_EQUAL(replies.size(), 1u);
  BOOST_REQUIRE(std::holds_alternative<Promise>(replies[0]));
  const Promise& p = std::get<Promise>(replies[0]);
  BOOST_TEST((p.ballot == Ballot{5, 1}));
  BOOST_REQUIRE_EQUAL(p.accepted.size(), 1u);
  BOOST_TEST(p.accepted[0].command.value == "v");
  BOOST_TEST(!again.must_persist());
}

BOOST_AUTO_TEST_CASE(a_candidate_promises_its_own_ballot_in_the_ready_of_its_prepares) {
  Acceptor a;
  Ready r;
  a.on_prepare(Prepare{Ballot{2, 0}, 0}, 0, r);
  Ready own;
  a.promise_own(Ballot{3, 1}, own);
  BOOST_TEST((own.promised == Ballot{3, 1}));
  BOOST_TEST(own.must_persist());
  Ready echo;
  auto replies = a.on_prepare(Prepare{Ballot{3, 1}, 0}, 0, echo);
  BOOST_TEST(std::holds_alternative<Promise>(replies[0]));
}

BOOST_AUTO_TEST_CASE(promise_carries_the_highest_accepted_value) {
  Acceptor a;
  Ready r;
  a.on_prepare(Prepare{Ballot{1, 0}, 0}, 0, r);
  a.on_accept(Accept{Ballot{1, 0}, 0, {{2, test::put("k", "old", 1, 1)}}}, 0, r);
  a.on_prepare(Prepare{Ballot{2, 1}, 0}, 0, r);
  a.on_accept(Accept{Ballot{2, 1}, 0, {{2, test::put("k", "new", 2, 1)}}}, 0, r);

  Ready promised;
  auto replies = a.on_prepare(Prepare{Ballot{3, 2}, 0}, 0, promised);
  BOOST_REQUIRE(std::holds_alternative<Promise>(replies.at(0)));
  const Promise& p = std::get<Promise>(replies[0]);
  BOOST_REQUIRE_EQUAL(p.accepted.size(), 1u);
  BOOST_TEST((p.accepted[0].ballot == Ballot{2, 1}));
  BOOST_TEST(p.accepted[0].command.value == "new");
  BOOST_TEST((promised.promised == Ballot{3, 2}));  // to be made durable before the reply
}

BOOST_AUTO_TEST_CASE(accept_below_promise_is_refused) {
  Acceptor a;
  Ready r;
  a.on_prepare(Prepare{Ballot{4, 2}, 0}, 0, r);
  Ready after;
  MessageBody reply =
      a.on_accept(Accept{Ballot{4, 1}, 0, {{0, test::put("k", "v", 1, 1)}}}, 0, after);
  BOOST_REQUIRE(std::holds_alternative<Nack>(reply));
  BOOST_TEST((std::get<Nack>(reply).ballot == Ballot{4, 2}));
  BOOST_TEST(a.accepted().empty());
  BOOST_TEST(!after.must_persist());
}

BOOST_AUTO_TEST_CASE(accept_at_or_above_promise_is_recorded_for_persistence) {
  Acceptor a;
  Ready r;
  a.on_prepare(Prepare{Ballot{4, 2}, 0}, 0, r);
  Ready after;
  MessageBody reply =
      a.on_accept(Accept{Ballot{4, 2}, 0, {{7, test::put("k", "v", 1, 1)}}}, 0, after);
  BOOST_REQUIRE(std::holds_alternative<Ack>(reply));
  BOOST_TEST(std::get<Ack>(reply).slots == std::vector<Slot>{7});
  BOOST_REQUIRE_EQUAL(after.accepted.size(), 1u);
  BOOST_TEST(after.accepted[0].slot == 7u);
}

BOOST_AUTO_TEST_CASE(large_promise_is_split_into_parts) {
  Acceptor a;
  Ready r;
  a.on_prepare(Prepare{Ballot{1, 0}, 0}, 0, r);
  std::string big(8000, 'x');
  for (Slot s = 0; s < 10; ++s)
    a.on_accept(Accept{Ballot{1, 0}, 0, {{s, test::put("k", big, 1, s + 1)}}}, 0, r);
  auto replies = a.on_prepare(Prepare{Ballot{2, 1}, 0}, 0, r);
  BOOST_TEST(replies.size() > 1u);
  std::size_t entries = 0;
  for (std::size_t i = 0; i < replies.size(); ++i) {
    const Promise& p = std::get<Promise>(replies[i]);
    BOOST_TEST(p.part == i);
    BOOST_TEST(p.parts == replies.size());
    entries += p.accepted.size();
  }
  BOOST_TEST(entries == 10u);
}

BOOST_AUTO_TEST_CASE(ballots_of_two_sites_never_collide) {
  // Every (round, site) pair is distinct and totally ordered, round first.
  for (std::uint64_t r1 = 0; r1 < 20; ++r1)
    for (std::uint64_t r2 = 0; r2 < 20; ++r2)
      for (SiteId s1 = 0; s1 < 5; ++s1)
        for (SiteId s2 = 0; s2 < 5; ++s2) {
          Ballot a{r1, s1}, b{r2, s2};
          if (s1 != s2) BOOST_TEST(!(a == b));
          BOOST_TEST(((a < b) != (b < a) || a == b));
          if (r1 < r2) BOOST_TEST((a < b));
        }
  BOOST_TEST(to_string(Ballot{7, 2}) == "7.2");
}

BOOST_AUTO_TEST_SUITE_END()
