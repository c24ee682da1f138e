#include <boost/asio.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include "log/log.hpp"
#include "net/udp_transport.hpp"
#include "samples.hpp"

namespace asio = boost::asio;
using asio::ip::udp;
using namespace paxoskv;
using namespace paxoskv::test;
using namespace std::chrono_literals;

namespace {

// Trace lines of every datagram would drown the test report.
struct QuietLog {
  QuietLog() { log::set_level(log::Level::warning); }
};

// The cluster fixes every port, so free ones are found by letting the kernel pick for
// temporary sockets, all open at once so that the ports differ.
std::vector<std::uint16_t> free_ports(std::size_t n) {
  asio::io_context io;
  std::vector<udp::socket> sockets;
  std::vector<std::uint16_t> ports;
  for (std::size_t i = 0; i < n; ++i) {
    sockets.emplace_back(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    ports.push_back(sockets.back().local_endpoint().port());
  }
  return ports;
}

Cluster local_cluster() {
  std::vector<std::uint16_t> ports = free_ports(3);
  return Cluster({{"alpha", "127.0.0.1", ports[0], Role::voter},
                  {"beta", "localhost", ports[1], Role::voter},
                  {"gamma", "127.0.0.1", ports[2], Role::learner}});
}

// Runs handlers until `done` holds; false if it does not within the deadline.
template <class Condition>
bool run_until(asio::io_context& io, Condition done, std::chrono::milliseconds limit = 5s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    io.restart();
    io.run_one_for(10ms);
  }
  return true;
}

// What a transport handed to its site.
struct Inbox {
  std::vector<Message> messages;
  std::vector<std::size_t> batch_sizes;
  std::size_t in_batch = 0;

  void attach(net::UdpTransport& transport) {
    transport.start(
        [this](const Message& m) {
          messages.push_back(m);
          ++in_batch;
        },
        [this] {
          batch_sizes.push_back(in_batch);
          in_batch = 0;
        });
  }
};

struct TwoSites {
  asio::io_context io;
  Cluster cluster = local_cluster();
  net::UdpTransport alpha{io, cluster, 0};
  net::UdpTransport beta{io, cluster, 1};
  Inbox at_alpha;
  Inbox at_beta;
  udp::socket foreign{io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};

  TwoSites() {
    at_alpha.attach(alpha);
    at_beta.attach(beta);
  }

  udp::endpoint endpoint_of(SiteId id) const {
    return {asio::ip::make_address("127.0.0.1"), cluster.site(id).port};
  }
  void send_foreign(const std::string& bytes, SiteId to) {
    foreign.send_to(asio::buffer(bytes), endpoint_of(to));
  }
  std::string wire(const Message& m) const { return net::encode(m, cluster); }
};

Message heartbeat_from(SiteId from, std::uint64_t probe) {
  return Message{from, Heartbeat{{4, from}, 10, probe}};
}

}  // namespace

BOOST_TEST_GLOBAL_FIXTURE(QuietLog);

BOOST_AUTO_TEST_SUITE(udp_transport)

BOOST_FIXTURE_TEST_CASE(sites_exchange_messages_on_loopback, TwoSites) {
  Message accept = samples()[2].message;
  accept.from = 0;
  alpha.send(Envelope{1, accept});
  BOOST_REQUIRE(run_until(io, [&] { return at_beta.messages.size() == 1; }));
  BOOST_TEST(wire(at_beta.messages[0]) == wire(accept));

  Message ack{1, Ack{{3, 1}, {12, 13, 14, 15}}};
  beta.send(Envelope{0, ack});
  BOOST_REQUIRE(run_until(io, [&] { return at_alpha.messages.size() == 1; }));
  BOOST_TEST(wire(at_alpha.messages[0]) == wire(ack));
  BOOST_TEST(at_beta.batch_sizes == std::vector<std::size_t>{1});
  BOOST_TEST(alpha.drops().malformed + alpha.drops().unknown_sender + beta.drops().malformed +
                 beta.drops().unknown_sender ==
             0u);
}

BOOST_FIXTURE_TEST_CASE(queued_datagrams_are_drained_into_one_batch, TwoSites) {
  // Loopback queues each datagram at once, so all five wait on beta's socket before the
  // io_context runs beta's receive.
  for (std::uint64_t probe = 1; probe <= 5; ++probe)
    alpha.send(Envelope{1, heartbeat_from(0, probe)});
  BOOST_REQUIRE(run_until(io, [&] { return at_beta.messages.size() == 5; }));
  BOOST_TEST(at_beta.batch_sizes == std::vector<std::size_t>{5});
  for (std::uint64_t probe = 1; probe <= 5; ++probe)
    BOOST_TEST(std::get<Heartbeat>(at_beta.messages[probe - 1].body).probe == probe);
}

BOOST_FIXTURE_TEST_CASE(a_foreign_socket_claiming_a_site_is_dropped, TwoSites) {
  send_foreign(wire(heartbeat_from(0, 1)), 1);
  BOOST_REQUIRE(run_until(io, [&] { return beta.drops().unknown_sender == 1; }));
  BOOST_TEST(at_beta.messages.empty());
  // Claiming the receiver itself is no better.
  send_foreign(wire(heartbeat_from(1, 2)), 1);
  BOOST_REQUIRE(run_until(io, [&] { return beta.drops().unknown_sender == 2; }));
  BOOST_TEST(at_beta.messages.empty());
  BOOST_TEST(beta.drops().malformed == 0u);
}

BOOST_FIXTURE_TEST_CASE(garbage_and_oversize_datagrams_count_as_malformed, TwoSites) {
  send_foreign("this is not json", 1);
  BOOST_REQUIRE(run_until(io, [&] { return beta.drops().malformed == 1; }));
  std::string nack = wire(Message{0, Nack{{1, 0}}});
  send_foreign(nack + std::string(limits::max_datagram_bytes + 1 - nack.size(), ' '), 1);
  BOOST_REQUIRE(run_until(io, [&] { return beta.drops().malformed == 2; }));
  BOOST_TEST(at_beta.messages.empty());
  // The receive loop goes on after bad datagrams.
  alpha.send(Envelope{1, heartbeat_from(0, 3)});
  BOOST_REQUIRE(run_until(io, [&] { return at_beta.messages.size() == 1; }));
  BOOST_TEST(beta.drops().unknown_sender == 0u);
}

BOOST_FIXTURE_TEST_CASE(a_removed_site_that_keeps_sending_is_an_unknown_sender, TwoSites) {
  // alpha was removed; beta applied the change, alpha (still running) did not.
  Cluster without_alpha = cluster;
  without_alpha.set_role(0, Role::removed);
  beta.set_members(without_alpha);
  alpha.send(Envelope{1, heartbeat_from(0, 1)});
  BOOST_REQUIRE(run_until(io, [&] { return beta.drops().unknown_sender == 1; }));
  BOOST_TEST(at_beta.messages.empty());
  // A name no configuration ever had is no better, and neither is damage.
  send_foreign(R"({"type":"read_index_request","from":"omega","read_id":1})", 1);
  BOOST_REQUIRE(run_until(io, [&] { return beta.drops().unknown_sender == 2; }));
  BOOST_TEST(beta.drops().malformed == 0u);
}

BOOST_FIXTURE_TEST_CASE(a_removed_site_whose_name_came_back_elsewhere_is_an_unknown_sender,
                        TwoSites) {
  // alpha was removed and a new site of the same name added at another endpoint, with the
  // next id: the old one's datagrams name the new one, from the old endpoint.
  Cluster replaced = cluster;
  replaced.set_role(0, Role::removed);
  const SiteId new_alpha_id =
      replaced.add(SiteInfo{"alpha", "127.0.0.1", free_ports(1)[0], Role::voter});
  beta.set_members(replaced);
  net::UdpTransport new_alpha(io, replaced, new_alpha_id);
  Inbox at_new_alpha;
  at_new_alpha.attach(new_alpha);

  alpha.send(Envelope{1, heartbeat_from(0, 1)});
  BOOST_REQUIRE(run_until(io, [&] { return beta.drops().unknown_sender == 1; }));
  BOOST_TEST(at_beta.messages.empty());
  // The new alpha is heard, under its own id.
  new_alpha.send(Envelope{1, heartbeat_from(new_alpha_id, 2)});
  BOOST_REQUIRE(run_until(io, [&] { return at_beta.messages.size() == 1; }));
  BOOST_TEST(at_beta.messages[0].from == new_alpha_id);
  BOOST_TEST(beta.drops().unknown_sender == 1u);
  BOOST_TEST(beta.drops().malformed == 0u);
}

BOOST_AUTO_TEST_CASE(a_joined_site_keeps_the_configuration_that_names_it_until_its_log_catches_up) {
  asio::io_context io;
  Cluster initial = local_cluster();
  Cluster latest = initial;
  const SiteId delta = latest.add(SiteInfo{"delta", "127.0.0.1", free_ports(1)[0], Role::learner});
  net::UdpTransport transport(io, latest, delta);
  // The replica replays from the initial configuration: older, and without delta.
  transport.set_members(initial);
  BOOST_TEST((transport.members() == latest));
  Cluster promoted = latest;
  promoted.set_role(delta, Role::voter);
  transport.set_members(promoted);
  BOOST_TEST((transport.members() == promoted));
}

BOOST_FIXTURE_TEST_CASE(a_message_for_several_sites_is_built_once_and_only_for_itself, TwoSites) {
  Message accept = samples()[2].message;
  accept.from = 0;
  alpha.send(Envelope{1, accept});
  alpha.send(Envelope{1, accept}, true);  // the datagram built for the first send
  alpha.send(Envelope{1, heartbeat_from(0, 1)});
  // A send that built nothing (the link is down) leaves nothing to reuse: the next one builds
  // its own datagram even when told the message is the same.
  alpha.set_link_failed(1, true);
  alpha.send(Envelope{1, heartbeat_from(0, 2)});
  alpha.set_link_failed(1, false);
  alpha.send(Envelope{1, heartbeat_from(0, 2)}, true);
  BOOST_REQUIRE(run_until(io, [&] { return at_beta.messages.size() == 4; }));
  BOOST_TEST(wire(at_beta.messages[0]) == wire(accept));
  BOOST_TEST(wire(at_beta.messages[1]) == wire(accept));
  BOOST_TEST(std::get<Heartbeat>(at_beta.messages[2].body).probe == 1u);
  BOOST_TEST(std::get<Heartbeat>(at_beta.messages[3].body).probe == 2u);
}

BOOST_FIXTURE_TEST_CASE(a_failed_link_drops_traffic_both_ways_until_fixed, TwoSites) {
  beta.set_link_failed(0, true);
  BOOST_TEST(beta.link_failed(0));
  alpha.send(Envelope{1, heartbeat_from(0, 1)});
  BOOST_REQUIRE(run_until(io, [&] { return beta.drops().link_failed == 1; }));
  BOOST_TEST(at_beta.messages.empty());

  beta.set_link_failed(0, false);
  alpha.set_link_failed(1, true);
  alpha.send(Envelope{1, heartbeat_from(0, 2)});
  BOOST_TEST(alpha.drops().link_failed == 1u);

  alpha.set_link_failed(1, false);
  alpha.send(Envelope{1, heartbeat_from(0, 3)});
  BOOST_REQUIRE(run_until(io, [&] { return at_beta.messages.size() == 1; }));
  BOOST_TEST(std::get<Heartbeat>(at_beta.messages[0].body).probe == 3u);
  BOOST_TEST(beta.drops().link_failed == 1u);
}

BOOST_FIXTURE_TEST_CASE(sending_to_a_site_that_is_down_does_not_throw, TwoSites) {
  for (std::uint64_t probe = 1; probe <= 3; ++probe)
    BOOST_CHECK_NO_THROW(alpha.send(Envelope{2, heartbeat_from(0, probe)}));
  // Some systems report the ICMP "port unreachable" on the sender's next receive; alpha's
  // receive loop must go on regardless.
  BOOST_REQUIRE(run_until(io, [&] { return io.poll() == 0; }));
  beta.send(Envelope{0, heartbeat_from(1, 4)});
  BOOST_REQUIRE(run_until(io, [&] { return at_alpha.messages.size() == 1; }));
  BOOST_TEST(alpha.drops().malformed == 0u);
}

BOOST_FIXTURE_TEST_CASE(a_closed_transport_neither_receives_nor_sends, TwoSites) {
  beta.close();
  alpha.send(Envelope{1, heartbeat_from(0, 1)});
  BOOST_CHECK_NO_THROW(beta.send(Envelope{0, heartbeat_from(1, 1)}));
  // Nothing of beta's is left to run: the aborted receive ends quietly.
  BOOST_REQUIRE(run_until(io, [&] { return io.poll() == 0; }));
  BOOST_TEST(at_beta.messages.empty());
  BOOST_TEST(at_beta.batch_sizes.empty());
  BOOST_TEST(at_alpha.messages.empty());
}

BOOST_AUTO_TEST_CASE(binding_a_busy_endpoint_fails_with_a_message_for_the_user) {
  asio::io_context io;
  Cluster cluster = local_cluster();
  udp::socket squatter(io,
                       udp::endpoint(asio::ip::make_address("127.0.0.1"), cluster.site(0).port));
  std::string expected = "cannot bind alpha at 127.0.0.1:" + std::to_string(cluster.site(0).port) +
                         ": Address already in use";
  BOOST_CHECK_EXCEPTION(net::UdpTransport(io, cluster, 0), std::runtime_error,
                        [&](const std::runtime_error& e) { return e.what() == expected; });
}

BOOST_AUTO_TEST_CASE(an_unresolvable_host_fails_naming_the_site) {
  asio::io_context io;
  Cluster cluster({{"alpha", "127.0.0.1", free_ports(1)[0], Role::voter},
                   {"gamma", "no-such-host.invalid", 5003, Role::voter}});
  BOOST_CHECK_EXCEPTION(net::UdpTransport(io, cluster, 0), std::runtime_error,
                        [](const std::runtime_error& e) {
                          std::string what = e.what();
                          BOOST_TEST_MESSAGE(what);
                          return what.find("no-such-host.invalid") != std::string::npos &&
                                 what.find("site gamma") != std::string::npos;
                        });
}

BOOST_FIXTURE_TEST_CASE(trace_log_shows_each_message_sent_and_received, TwoSites) {
  std::ostringstream lines;
  std::optional<log::Capture> capture;
  capture.emplace(log::Level::trace,
                  [&lines](log::Level, std::string_view message) { lines << message << '\n'; });

  alpha.send(Envelope{1, Message{0, Prepare{{7, 0}, 4}}});
  bool received = run_until(io, [&] { return at_beta.messages.size() == 1; });
  send_foreign("{", 1);
  run_until(io, [&] { return beta.drops().malformed == 1; });

  capture.reset();
  BOOST_REQUIRE(received);
  std::string text = lines.str();
  BOOST_TEST(text.find("sent prepare(ballot=7.0, from=4) to beta\n") != std::string::npos, text);
  BOOST_TEST(text.find("received prepare(ballot=7.0, from=4) from alpha\n") != std::string::npos,
             text);
  BOOST_TEST(text.find("dropped malformed datagram from 127.0.0.1:") != std::string::npos, text);
}

BOOST_FIXTURE_TEST_CASE(with_a_secret_only_sealed_datagrams_get_through, TwoSites) {
  beta.require_auth("shared");
  // Unsealed, from the right endpoint: dropped before decoding.
  alpha.send(Envelope{1, heartbeat_from(0, 1)});
  BOOST_REQUIRE(run_until(io, [&] { return beta.drops().auth_failed == 1; }));
  // Sealed under another key.
  alpha.require_auth("Shared");
  alpha.send(Envelope{1, heartbeat_from(0, 2)});
  BOOST_REQUIRE(run_until(io, [&] { return beta.drops().auth_failed == 2; }));
  BOOST_TEST(at_beta.messages.empty());
  BOOST_TEST(beta.drops().malformed + beta.drops().unknown_sender == 0u);

  alpha.require_auth("shared");
  alpha.send(Envelope{1, heartbeat_from(0, 3)});
  BOOST_REQUIRE(run_until(io, [&] { return at_beta.messages.size() == 1; }));
  BOOST_TEST(std::get<Heartbeat>(at_beta.messages[0].body).probe == 3u);
  beta.send(Envelope{0, heartbeat_from(1, 4)});
  BOOST_REQUIRE(run_until(io, [&] { return at_alpha.messages.size() == 1; }));
  BOOST_TEST(beta.drops().auth_failed == 2u);
  BOOST_TEST(alpha.drops().auth_failed == 0u);

  // A correctly sealed message from a foreign endpoint is still refused by its endpoint.
  net::MessageAuth key("shared");
  std::string forged = wire(heartbeat_from(0, 5));
  key.seal(forged);
  send_foreign(forged, 1);
  BOOST_REQUIRE(run_until(io, [&] { return beta.drops().unknown_sender == 1; }));
  BOOST_TEST(at_beta.messages.size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(with_a_secret_client_traffic_is_sealed_both_ways, TwoSites) {
  beta.require_auth("shared");
  std::vector<net::ClientRequest> requests;
  udp::endpoint client;
  beta.on_client_request([&](const net::ClientRequest& request, const udp::endpoint& from) {
    requests.push_back(request);
    client = from;
  });
  std::string request = net::encode(net::ClientRequest{7, 1, net::ClientOp::get, "k", "", ""});
  send_foreign(request, 1);
  BOOST_REQUIRE(run_until(io, [&] { return beta.drops().auth_failed == 1; }));
  net::MessageAuth key("shared");
  key.seal(request);
  send_foreign(request, 1);
  BOOST_REQUIRE(run_until(io, [&] { return requests.size() == 1; }));
  BOOST_TEST(requests[0].client == 7u);

  beta.send_to_client(client, net::encode(net::ClientReply{7, 1, true, "v", "", "beta"}));
  std::vector<char> buffer(70000);
  udp::endpoint from;
  std::size_t bytes = foreign.receive_from(asio::buffer(buffer), from);
  auto opened = key.open(buffer.data(), bytes);
  BOOST_REQUIRE((opened.result == net::AuthResult::ok));
  auto reply = net::decode_client_reply(opened.body);
  BOOST_REQUIRE(std::holds_alternative<net::ClientReply>(reply));
  BOOST_TEST(*std::get<net::ClientReply>(reply).value == "v");
}

BOOST_AUTO_TEST_SUITE_END()
