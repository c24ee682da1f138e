#include "net/canonical_decode.hpp"

#include <boost/test/unit_test.hpp>
#include <random>
#include <string>
#include <vector>

#include "net/client_protocol.hpp"
#include "net/codec.hpp"
#include "samples.hpp"

namespace paxoskv::test {
namespace {

constexpr net::WireBounds kBounds{limits::max_client_id, 4096};

bool is_hot(const Message& m) {
  return std::holds_alternative<Accept>(m.body) || std::holds_alternative<Ack>(m.body) ||
         std::holds_alternative<Commit>(m.body);
}

// The fast path may refuse anything, but what it reads must be what the general path reads.
void check_agrees(const std::string& datagram, const Cluster& cluster) {
  std::optional<Message> fast = net::decode_canonical(datagram, cluster, kBounds);
  if (!fast) return;
  auto general = net::detail::decode_generic(datagram, cluster);
  const Message* m = std::get_if<Message>(&general);
  BOOST_TEST_REQUIRE(m != nullptr, "fast path read what the general path refuses: " << datagram);
  BOOST_TEST(net::encode(*fast, cluster) == net::encode(*m, cluster), "datagram: " << datagram);
  BOOST_TEST(fast->from == m->from);
}

std::string random_text(std::mt19937_64& rng, bool printable_only) {
  static const std::string kPrintable =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-.,:;{}[]!?";
  static const std::vector<std::string> kAwkward = {"\"",   "\\",       "\n", "\x01", "\xc3\xa9",
                                                    "\xff", "\xe2\x82", "/",  "\x7f"};
  std::string out;
  const std::size_t n = rng() % 12;
  for (std::size_t i = 0; i < n; ++i) {
    if (!printable_only && rng() % 6 == 0)
      out += kAwkward[rng() % kAwkward.size()];
    else
      out += kPrintable[rng() % kPrintable.size()];
  }
  return out;
}

std::uint64_t random_number(std::mt19937_64& rng) {
  switch (rng() % 4) {
    case 0:
      return rng() % 10;
    case 1:
      return limits::max_client_id - rng() % 2;  // at the bound
    default:
      return rng() % 1000000;
  }
}

std::vector<SlotCommand> random_entries(std::mt19937_64& rng, bool printable_only) {
  std::vector<SlotCommand> out(rng() % 4);
  for (SlotCommand& e : out) {
    e.slot = random_number(rng);
    if (rng() % 5 == 0) {
      e.command = Command::noop();
      continue;
    }
    std::string key = random_text(rng, printable_only);
    if (key.empty()) key = "k";
    e.command = Command{static_cast<Op>(1 + rng() % 4), key, random_text(rng, printable_only),
                        RequestId{random_number(rng), random_number(rng)}};
  }
  return out;
}

Message random_hot_message(std::mt19937_64& rng, const Cluster& cluster, bool printable_only) {
  const SiteId from = static_cast<SiteId>(rng() % cluster.size());
  const Ballot ballot{random_number(rng), static_cast<SiteId>(rng() % cluster.size())};
  switch (rng() % 3) {
    case 0:
      return Message{from, Accept{ballot, random_number(rng), random_entries(rng, printable_only)}};
    case 1: {
      std::vector<Slot> slots(rng() % 5);
      for (Slot& s : slots) s = random_number(rng);
      return Message{from, Ack{ballot, slots}};
    }
    default:
      return Message{from, Commit{random_number(rng), random_entries(rng, printable_only)}};
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(canonical_decode)

BOOST_AUTO_TEST_CASE(the_samples_take_the_fast_path_exactly_when_they_are_hot_and_plain) {
  const Cluster cluster = three_sites();
  std::size_t fast = 0;
  for (const Sample& s : samples()) {
    std::optional<Message> m = net::decode_canonical(s.wire, cluster, kBounds);
    if (!is_hot(s.message)) BOOST_TEST(!m, "not a hot type: " << s.wire);
    if (m) {
      ++fast;
      BOOST_TEST(net::encode(*m, cluster) == s.wire);
    }
    check_agrees(s.wire, cluster);
  }
  BOOST_TEST(fast >= 2u);
}

BOOST_AUTO_TEST_CASE(plain_hot_messages_round_trip_through_the_fast_path) {
  const Cluster cluster = three_sites();
  std::mt19937_64 rng(11);
  for (int i = 0; i < 2000; ++i) {
    Message m = random_hot_message(rng, cluster, true);
    const std::string wire = net::encode(m, cluster);
    std::optional<Message> fast = net::decode_canonical(wire, cluster, kBounds);
    BOOST_TEST_REQUIRE(fast.has_value(), "refused its own canonical text: " << wire);
    BOOST_TEST(net::encode(*fast, cluster) == wire);
  }
}

// Escapes, non-ASCII and broken UTF-8 in the strings, then every kind of damage to the bytes:
// whatever the fast path still takes, the general path reads the same way.
BOOST_AUTO_TEST_CASE(what_the_fast_path_takes_the_general_path_reads_the_same) {
  const Cluster cluster = three_sites();
  std::mt19937_64 rng(12);
  static const std::string kBytes = "{}[],:\"\\0123456789-.eE aptkyo\x01\xff";
  for (int i = 0; i < 3000; ++i) {
    const std::string wire = net::encode(random_hot_message(rng, cluster, false), cluster);
    check_agrees(wire, cluster);
    for (int j = 0; j < 10; ++j) {
      std::string damaged = wire;
      const std::size_t at = rng() % damaged.size();
      switch (rng() % 4) {
        case 0:
          damaged.erase(at, 1 + rng() % 3);
          break;
        case 1:
          damaged.insert(at, 1, kBytes[rng() % kBytes.size()]);
          break;
        case 2:
          damaged[at] = kBytes[rng() % kBytes.size()];
          break;
        default:
          damaged.resize(at);
      }
      check_agrees(damaged, cluster);
    }
  }
}

BOOST_AUTO_TEST_CASE(bounds_and_cluster_checks_send_a_datagram_to_the_general_path) {
  const Cluster cluster = three_sites();
  auto fast = [&](const std::string& wire) {
    return net::decode_canonical(wire, cluster, kBounds).has_value();
  };
  const std::string ok = R"({"type":"ack","from":"beta","ballot":[3,1],"slots":[1,2]})";
  BOOST_TEST(fast(ok));
  BOOST_TEST(!fast(R"({"type":"ack","from":"delta","ballot":[3,1],"slots":[1,2]})"));
  BOOST_TEST(!fast(R"({"type":"ack","from":"beta","ballot":[3,3],"slots":[1,2]})"));
  BOOST_TEST(!fast(R"({"type":"ack","from":"beta","ballot":[3,1],"slots":[9007199254740992]})"));
  BOOST_TEST(!fast(R"({"type":"ack","from":"beta","ballot":[03,1],"slots":[1,2]})"));
  BOOST_TEST(!fast(R"({"type":"ack", "from":"beta","ballot":[3,1],"slots":[1,2]})"));
  BOOST_TEST(!fast(ok + " "));
  BOOST_TEST(!fast(R"({"type":"commit","from":"beta","decided_end":1,"entries":[{"slot":0,)"
                   R"("op":"put","key":"","value":"v","client":1,"seq":1}]})"));
  const net::WireBounds two{limits::max_client_id, 2};
  BOOST_TEST(net::decode_canonical(ok, cluster, two).has_value());
  BOOST_TEST(!net::decode_canonical(
                  R"({"type":"ack","from":"beta","ballot":[3,1],"slots":[1,2,3]})", cluster, two)
                  .has_value());
}

// The client side: requests and replies, the same way. The fast path is internal to the
// decoders, so what is checked is that decode_client_request/reply always agree with the
// general path, and that canonical text decodes (the fast path cannot drop what it should take
// without the general path still taking it, so the speed itself is left to the benchmark).
BOOST_AUTO_TEST_CASE(client_decoders_agree_with_their_general_path) {
  std::mt19937_64 rng(13);
  static const std::string kBytes = "{}[],:\"\\0123456789-.eE aptkyonul\x01\xff";
  auto damaged_copies = [&](const std::string& wire) {
    std::vector<std::string> out{wire};
    for (int j = 0; j < 8; ++j) {
      std::string d = wire;
      const std::size_t at = rng() % d.size();
      if (rng() % 2)
        d[at] = kBytes[rng() % kBytes.size()];
      else
        d.erase(at, 1 + rng() % 3);
      out.push_back(d);
    }
    return out;
  };
  for (int i = 0; i < 2000; ++i) {
    const bool printable = rng() % 2;
    net::ClientRequest q;
    q.client = rng() % 3 == 0 ? 0 : random_number(rng);
    q.seq = random_number(rng);
    q.op = static_cast<net::ClientOp>(rng() % 5);
    q.key = random_text(rng, printable);
    q.value = random_text(rng, printable);
    const std::string request = net::encode(q);
    if (printable && q.client != 0 && q.seq != 0 && !q.key.empty())
      BOOST_TEST(std::holds_alternative<net::ClientRequest>(net::decode_client_request(request)));
    for (const std::string& d : damaged_copies(request)) {
      auto fast = net::decode_client_request(d);
      auto general = net::detail::decode_generic_request(d);
      BOOST_TEST_REQUIRE(fast.index() == general.index(), "datagram: " << d);
      if (const auto* a = std::get_if<net::ClientRequest>(&fast))
        BOOST_TEST(net::encode(*a) == net::encode(std::get<net::ClientRequest>(general)));
    }

    net::ClientReply reply;
    reply.client = random_number(rng) + 1;
    reply.seq = random_number(rng) + 1;
    reply.ok = rng() % 2;
    if (rng() % 2) reply.value = random_text(rng, printable);
    reply.error = random_text(rng, printable);
    if (rng() % 2) reply.leader = random_text(rng, printable);
    for (const std::string& d : damaged_copies(net::encode(reply))) {
      auto fast = net::decode_client_reply(d);
      auto general = net::detail::decode_generic_reply(d);
      BOOST_TEST_REQUIRE(fast.index() == general.index(), "datagram: " << d);
      if (const auto* a = std::get_if<net::ClientReply>(&fast))
        BOOST_TEST(net::encode(*a) == net::encode(std::get<net::ClientReply>(general)));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace paxoskv::test
