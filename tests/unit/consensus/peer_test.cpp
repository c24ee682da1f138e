// The Peer core on its own, messages moved by hand so that each one is visible.

#include <boost/test/unit_test.hpp>

#include "paxoskv/consensus.hpp"

using namespace paxoskv::consensus;

namespace {

std::vector<Message> of_type(const std::vector<Message>& all, MessageType type) {
  std::vector<Message> found;
  for (const Message& m : all)
    if (m.type == type) found.push_back(m);
  return found;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(consensus_peer)

BOOST_AUTO_TEST_CASE(one_round_by_hand) {
  std::vector<Peer> peers;
  for (PeerId p = 0; p < 3; ++p) peers.emplace_back(p, 3);
  peers[0].start(4, "v");
  BOOST_TEST(peers[0].max() == 4);
  Ready r = peers[0].take_ready();
  // The promise to itself is handled inside the peer: only the two others get a prepare.
  BOOST_TEST(r.messages.size() == 2u);
  for (const Message& m : of_type(r.messages, MessageType::prepare)) {
    BOOST_TEST(m.seq == 4);
    BOOST_TEST(m.done == -1);
  }

  // One promise makes a majority with its own: the accepts go out.
  Message prepare = r.messages.at(0);
  peers[prepare.to].step(prepare, 1);
  Message promise = peers[prepare.to].take_ready().messages.at(0);
  BOOST_TEST((promise.type == MessageType::promise && promise.ok));
  peers[0].step(promise, 2);
  std::vector<Message> accepts = of_type(peers[0].take_ready().messages, MessageType::accept);
  BOOST_TEST(accepts.size() == 2u);
  BOOST_TEST((peers[0].status(4).fate == Fate::pending));

  peers[accepts[1].to].step(accepts[1], 3);
  Message accepted = peers[accepts[1].to].take_ready().messages.at(0);
  peers[0].step(accepted, 4);
  Ready decided = peers[0].take_ready();
  BOOST_TEST(decided.decided == std::vector<Seq>{4});
  BOOST_TEST(peers[0].status(4).value == "v");
  BOOST_TEST(of_type(decided.messages, MessageType::decided).size() == 2u);
  // Status answers from local state: the others know nothing yet.
  BOOST_TEST((peers[1].status(4).fate == Fate::pending));
}

BOOST_AUTO_TEST_CASE(done_is_piggybacked_and_garbage_ignored) {
  Peer a(0, 2);
  Peer b(1, 2);
  a.done(3);
  std::vector<Message> notices = a.take_ready().messages;
  BOOST_TEST(notices.size() == 1u);
  BOOST_TEST(notices.at(0).done == 3);
  b.step(notices.at(0), 1);
  BOOST_TEST(b.min() == 0);  // b itself is not done
  b.done(5);
  BOOST_TEST(b.min() == 4);
  BOOST_TEST((b.status(3).fate == Fate::forgotten));
  BOOST_TEST((b.status(4).fate == Fate::pending));

  // From an unknown peer, from itself, or addressed to another: dropped without effect.
  Message bad = notices.at(0);
  bad.from = 7;
  bad.done = 100;
  b.step(bad, 2);
  bad.from = 1;
  b.step(bad, 2);
  bad.from = 0;
  bad.to = 0;
  b.step(bad, 2);
  BOOST_TEST(b.min() == 4);
  BOOST_TEST(b.take_ready().messages.size() == 1u);  // only b's own done notice
}

BOOST_AUTO_TEST_SUITE_END()
