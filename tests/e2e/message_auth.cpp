// Issue 7, acceptance 2: with --secret, forged `commit` and `accept` datagrams change nothing,
// whether they carry no MAC or one under a wrong secret, even when they come from the endpoint
// of a site of the hosts file; the same datagrams under the right secret are acted upon (so
// the checks can fail). And replaying genuine authenticated datagrams does no harm.
//
// The hosts file names alpha, beta and gamma; only alpha and beta run. The test binds gamma's
// endpoint itself, so what it sends comes from a legitimate site address, and it receives
// what the sites send to gamma.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

#include "harness.hpp"
#include "net/client_protocol.hpp"
#include "net/codec.hpp"
#include "net/hosts_file.hpp"
#include "net/message_auth.hpp"

using namespace e2e;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSecret = "correct horse battery staple";
constexpr std::string_view kWrongSecret = "correct horse battery stapler";

// A UDP socket on 127.0.0.1 (a given port, or any), for playing gamma or a client.
class UdpSocket {
 public:
  explicit UdpSocket(std::uint16_t port = 0) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    BOOST_TEST_REQUIRE(fd_ >= 0, "socket: " << std::strerror(errno));
    sockaddr_in self = loopback(port);
    BOOST_TEST_REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&self), sizeof self) == 0,
                       "bind 127.0.0.1:" << port << ": " << std::strerror(errno));
  }
  ~UdpSocket() { ::close(fd_); }
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  void send_to(std::uint16_t port, std::string_view payload) {
    sockaddr_in to = loopback(port);
    ssize_t n = ::sendto(fd_, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to),
                         sizeof to);
    BOOST_TEST_REQUIRE(n == static_cast<ssize_t>(payload.size()),
                       "sendto: " << std::strerror(errno));
  }
  // The next datagram, or nullopt after `wait` without one.
  std::optional<std::string> receive(std::chrono::milliseconds wait) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return std::nullopt;
    std::string buffer(70000, '\0');
    ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    if (n < 0) return std::nullopt;
    buffer.resize(static_cast<std::size_t>(n));
    return buffer;
  }

  static sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    return a;
  }

 private:
  int fd_ = -1;
};

// Sends UDP datagrams with any source port on loopback through a raw socket (CAP_NET_RAW):
// the attacker who captured a datagram can also send it from its original source address.
class SpoofingSender {
 public:
  SpoofingSender() : fd_(::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW)) {}
  ~SpoofingSender() {
    if (fd_ >= 0) ::close(fd_);
  }
  SpoofingSender(const SpoofingSender&) = delete;
  SpoofingSender& operator=(const SpoofingSender&) = delete;
  bool available() const { return fd_ >= 0; }

  void send(std::uint16_t from_port, std::uint16_t to_port, std::string_view payload) {
    std::string packet(sizeof(iphdr) + sizeof(udphdr) + payload.size(), '\0');
    auto* ip = reinterpret_cast<iphdr*>(packet.data());
    ip->ihl = 5;
    ip->version = 4;
    ip->ttl = 64;
    ip->protocol = IPPROTO_UDP;
    ip->saddr = htonl(INADDR_LOOPBACK);
    ip->daddr = htonl(INADDR_LOOPBACK);
    ip->tot_len = htons(static_cast<std::uint16_t>(packet.size()));  // the kernel sets the sum
    auto* udp = reinterpret_cast<udphdr*>(packet.data() + sizeof(iphdr));
    udp->source = htons(from_port);
    udp->dest = htons(to_port);
    udp->len = htons(static_cast<std::uint16_t>(sizeof(udphdr) + payload.size()));
    udp->check = 0;  // no checksum, allowed over IPv4
    std::memcpy(packet.data() + sizeof(iphdr) + sizeof(udphdr), payload.data(), payload.size());
    sockaddr_in to = UdpSocket::loopback(to_port);
    ssize_t n =
        ::sendto(fd_, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    BOOST_TEST_REQUIRE(n == static_cast<ssize_t>(packet.size()),
                       "raw sendto: " << std::strerror(errno));
  }

 private:
  int fd_ = -1;
};

// Secret files next to the cluster, and a cluster of alpha and beta (gamma is the test).
struct AuthCluster {
  TempDir keys;
  fs::path secret_file = keys.path() / "secret";
  Cluster cluster{spec()};
  paxoskv::Cluster hosts = load(cluster.hosts_file());
  UdpSocket gamma{cluster.port("gamma")};
  paxoskv::net::MessageAuth right{kSecret};
  paxoskv::net::MessageAuth wrong{kWrongSecret};

  ClusterSpec spec() {
    // A trailing newline, as `echo` writes it: stripped, so the key is kSecret.
    write_file(secret_file, std::string(kSecret) + "\n");
    ClusterSpec s;
    for (const char* name : {"alpha", "beta", "gamma"}) s.sites.push_back(SiteSpec{name, "", {}});
    s.extra_args = {"--log-level", "debug", "--secret", secret_file.string()};
    return s;
  }
  static paxoskv::Cluster load(const fs::path& path) {
    auto loaded = paxoskv::load_hosts(path.string());
    BOOST_TEST_REQUIRE(std::holds_alternative<paxoskv::Cluster>(loaded));
    return std::get<paxoskv::Cluster>(loaded);
  }

  void start() {
    for (const char* name : {"alpha", "beta"}) cluster.start(name);
    for (const char* name : {"alpha", "beta"})
      BOOST_TEST_REQUIRE(cluster.print_log(name).has_value(), name << " did not start");
    answer_recovery_queries();
  }

  // alpha and beta start empty, so neither votes before every other voter has said that it
  // never voted either (a new cluster; README, "A voter that lost its files"). The test
  // stands in for gamma: it answers as a gamma that never voted would, under the right key.
  void answer_recovery_queries() {
    std::set<paxoskv::SiteId> answered;
    for (Deadline d = after(20s); answered.size() < 2 && Clock::now() < d;) {
      auto datagram = gamma.receive(std::chrono::milliseconds(100));
      if (!datagram) continue;
      auto message = decode(*datagram);
      if (!message) continue;
      const auto* query = std::get_if<paxoskv::RecoveryQuery>(&message->body);
      if (!query) continue;
      const paxoskv::Message reply{2, paxoskv::RecoveryReply{query->query_id, {}, true}};
      gamma.send_to(cluster.port(hosts.name(message->from)), sealed(encode(reply), right));
      answered.insert(message->from);
    }
    BOOST_TEST_REQUIRE(answered.size() == 2u, "alpha and beta did not both ask gamma");
  }

  std::string encode(const paxoskv::Message& message) {
    return paxoskv::net::encode(message, hosts);
  }
  std::string sealed(std::string body, paxoskv::net::MessageAuth& key) {
    key.seal(body);
    return body;
  }
  // A datagram the sites sent, opened with the right key and decoded.
  std::optional<paxoskv::Message> decode(std::string datagram) {
    auto opened = right.open(datagram.data(), datagram.size());
    if (opened.result != paxoskv::net::AuthResult::ok) return std::nullopt;
    auto decoded = paxoskv::net::decode(opened.body, hosts);
    if (auto* message = std::get_if<paxoskv::Message>(&decoded)) return *message;
    return std::nullopt;
  }
};

// A `key=value` field of a `print status` line.
std::string status_field(const std::string& line, const std::string& key) {
  std::string needle = " " + key + "=";
  auto at = (" " + line).find(needle);
  BOOST_TEST_REQUIRE(at != std::string::npos, "no " << key << "= in status: " << line);
  std::string rest = line.substr(at + needle.size() - 1);
  return rest.substr(0, rest.find(' '));
}

std::uint64_t status_count(Cluster& c, const std::string& site, const std::string& key) {
  return std::stoull(status_field(c.run(site, "print status"), key));
}

// Polls `print status` until `key` reaches exactly `expected`; false at the deadline or if it
// goes past it.
bool wait_count(Cluster& c, const std::string& site, const std::string& key, std::uint64_t expected,
                Deadline deadline) {
  for (;;) {
    std::uint64_t now = status_count(c, site, key);
    if (now == expected) return true;
    if (now > expected || Clock::now() >= deadline) {
      BOOST_TEST(now == expected, site << ": " << key << "=" << now << ", expected " << expected);
      return false;
    }
    std::this_thread::sleep_for(10ms);  // a polling interval, not a wait for luck
  }
}

std::string chain_head(Cluster& c, const std::string& site) {
  SiteProcess& s = c.site(site);
  BOOST_TEST_REQUIRE(s.send_line("print chain"));
  auto line =
      s.wait_for_line([](const std::string& l) { return l.rfind("head ", 0) == 0; }, after(20s));
  BOOST_TEST_REQUIRE(line.has_value(), site << ": no `head` line after `print chain`");
  return *line;
}

struct Snapshot {
  std::map<std::string, Lines> logs;
  std::map<std::string, Lines> kvs;
  std::map<std::string, std::string> heads;
  std::map<std::string, std::string> ballots;
};

Snapshot snapshot(Cluster& c) {
  Snapshot s;
  for (const char* name : {"alpha", "beta"}) {
    s.logs[name] = c.print_log(name).value_or(Lines{"<no answer>"});
    s.kvs[name] = c.print_kv(name).value_or(Lines{"<no answer>"});
    s.heads[name] = chain_head(c, name);
    s.ballots[name] = status_field(c.run(name, "print status"), "ballot");
  }
  return s;
}

void expect_unchanged(const Snapshot& before, const Snapshot& after) {
  for (const char* name : {"alpha", "beta"}) {
    BOOST_TEST(after.logs.at(name) == before.logs.at(name),
               name << "'s log changed:" << join_lines(after.logs.at(name)));
    BOOST_TEST(after.kvs.at(name) == before.kvs.at(name),
               name << "'s map changed:" << join_lines(after.kvs.at(name)));
    BOOST_TEST(after.heads.at(name) == before.heads.at(name), name << "'s chain head changed");
    BOOST_TEST(after.ballots.at(name) == before.ballots.at(name),
               name << "'s ballot changed to " << after.ballots.at(name));
  }
}

paxoskv::Command evil(std::uint64_t seq) {
  return paxoskv::Command{paxoskv::Op::put, "evil", "forged", paxoskv::RequestId{424242, seq}};
}

const paxoskv::Ballot kHighBallot{99999, 2};  // gamma's site index is 2

// Writes until alpha and beta hold `count` slots between them in the log.
void write_and_converge(Cluster& c, const std::string& prefix, int count) {
  for (int i = 0; i < count; ++i) {
    std::string key = prefix + std::to_string(i);
    const char* at = i % 2 == 0 ? "alpha" : "beta";
    BOOST_TEST_REQUIRE(c.run(at, "put " + key + " v" + std::to_string(i)) ==
                       "put " + key + " completed");
  }
  std::string last = prefix + std::to_string(count - 1);
  auto has_last = [&](const Lines& log, const Lines&) {
    return log_has(log, "put", last, "v" + std::to_string(count - 1));
  };
  BOOST_TEST_REQUIRE(c.wait_converged(after(20s), nullptr, nullptr, {"alpha", "beta"}, has_last),
                     "alpha and beta did not converge");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(message_auth)

BOOST_FIXTURE_TEST_CASE(forged_commit_and_accept_change_nothing, AuthCluster) {
  start();
  write_and_converge(cluster, "k", 3);
  const Snapshot before = snapshot(cluster);
  const std::uint64_t used = before.logs.at("alpha").size();
  BOOST_TEST_REQUIRE(used >= 3u);

  // Commits and accepts from gamma's endpoint that would plant key "evil": in a decided slot,
  // in the next free one and beyond, with a ballot above anything the cluster used.
  std::vector<paxoskv::Message> forged;
  std::uint64_t seq = 0;
  for (std::uint64_t slot : {std::uint64_t{0}, used, used + 3}) {
    forged.push_back({2, paxoskv::Commit{slot + 1, {{slot, evil(++seq)}}}});
    forged.push_back({2, paxoskv::Accept{kHighBallot, slot, {{slot, evil(++seq)}}}});
  }
  for (const auto& message : forged)
    for (const char* site : {"alpha", "beta"}) {
      gamma.send_to(cluster.port(site), encode(message));                 // (i) no MAC
      gamma.send_to(cluster.port(site), sealed(encode(message), wrong));  // (ii) wrong secret
    }
  const std::uint64_t sent = 2 * forged.size();  // to each site
  // Every forged datagram was seen and refused, and no genuine one was.
  for (const char* site : {"alpha", "beta"})
    BOOST_TEST_REQUIRE(wait_count(cluster, site, "auth_failed", sent, after(20s)));
  expect_unchanged(before, snapshot(cluster));
  // No answer to the forged ballot ever came back to gamma.
  while (auto datagram = gamma.receive(std::chrono::milliseconds(0))) {
    auto message = decode(*datagram);
    BOOST_TEST_REQUIRE(message.has_value(), "a site sent gamma a datagram without a valid MAC");
    if (auto* ack = std::get_if<paxoskv::Ack>(&message->body))
      BOOST_TEST(!(ack->ballot == kHighBallot), "a site acknowledged the forged accept");
  }

  // The same forged datagrams under the right secret are acted upon: the checks above can
  // fail. Beta promises the high ballot and acknowledges; alpha applies the forged commit.
  gamma.send_to(cluster.port("beta"), sealed(encode(forged[3]), right));  // accept, slot `used`
  bool acked = false;
  for (Deadline d = after(10s); !acked && Clock::now() < d;)
    if (auto datagram = gamma.receive(std::chrono::milliseconds(100)))
      if (auto message = decode(*datagram))
        if (auto* ack = std::get_if<paxoskv::Ack>(&message->body))
          acked = ack->ballot == kHighBallot;
  BOOST_TEST(acked, "beta did not acknowledge the correctly sealed forged accept");
  BOOST_TEST(status_field(cluster.run("beta", "print status"), "ballot") == "99999.2");

  gamma.send_to(cluster.port("alpha"), sealed(encode(forged[2]), right));  // commit, slot `used`
  bool applied = false;
  for (Deadline d = after(10s); !applied && Clock::now() < d;) {
    auto kv = cluster.print_kv("alpha");
    applied = kv && kv_map(*kv).count("evil") == 1;
  }
  BOOST_TEST(applied, "alpha did not apply the correctly sealed forged commit");
  BOOST_TEST(status_count(cluster, "alpha", "auth_failed") == sent);
}

BOOST_FIXTURE_TEST_CASE(replayed_authenticated_datagrams_do_no_harm, AuthCluster) {
  start();
  // Record what alpha and beta send to gamma, genuine and sealed, while the cluster writes.
  std::mutex mutex;
  std::vector<std::string> recorded;
  std::atomic<bool> recording{true};
  std::thread recorder([&] {
    while (recording)
      if (auto datagram = gamma.receive(std::chrono::milliseconds(50))) {
        std::lock_guard lock(mutex);
        recorded.push_back(std::move(*datagram));
      }
  });
  struct StopRecorder {
    std::atomic<bool>& flag;
    std::thread& thread;
    ~StopRecorder() {
      flag = false;
      if (thread.joinable()) thread.join();
    }
  } stop_recorder{recording, recorder};

  // An authenticated client writes r=old once; its request is kept for replay.
  UdpSocket client;
  paxoskv::net::ClientRequest request{987654321, 1, paxoskv::net::ClientOp::put, "r", "old", ""};
  const std::string old_request = sealed(paxoskv::net::encode(request), right);
  auto client_reply = [&](Deadline deadline) -> std::optional<paxoskv::net::ClientReply> {
    while (Clock::now() < deadline)
      if (auto datagram = client.receive(std::chrono::milliseconds(100))) {
        auto opened = right.open(datagram->data(), datagram->size());
        if (opened.result != paxoskv::net::AuthResult::ok) continue;
        auto reply = paxoskv::net::decode_client_reply(opened.body);
        if (auto* r = std::get_if<paxoskv::net::ClientReply>(&reply)) return *r;
      }
    return std::nullopt;
  };
  client.send_to(cluster.port("alpha"), old_request);
  auto first = client_reply(after(20s));
  BOOST_TEST_REQUIRE((first && first->ok), "the client's put r old did not complete");

  write_and_converge(cluster, "a", 8);
  recording = false;
  recorder.join();
  std::map<std::string, std::size_t> kinds;
  std::vector<std::pair<paxoskv::SiteId, std::string>> replay;
  for (const auto& datagram : recorded) {
    auto message = decode(datagram);
    BOOST_TEST_REQUIRE(message.has_value(), "a site sent gamma a datagram without a valid MAC");
    ++kinds[std::string(paxoskv::type_name(message->body))];
    replay.emplace_back(message->from, datagram);
  }
  for (const auto& [kind, n] : kinds) BOOST_TEST_MESSAGE("recorded " << n << " " << kind);
  BOOST_TEST_REQUIRE(kinds["accept"] > 0u, "no accept was recorded");
  BOOST_TEST_REQUIRE(kinds["commit"] > 0u, "no commit was recorded");

  // More writes, r among them: the recorded datagrams are old now.
  BOOST_TEST_REQUIRE(cluster.run("beta", "put r new") == "put r completed");
  write_and_converge(cluster, "b", 6);
  const Snapshot before = snapshot(cluster);
  std::map<std::string, std::uint64_t> unknown_before;
  for (const char* site : {"alpha", "beta"})
    unknown_before[site] = status_count(cluster, site, "unknown_sender");

  // The replay. (1) From each datagram's true source (alpha's or beta's endpoint) to the
  // other site, so that both checks pass and the core sees it, when raw sockets are allowed.
  SpoofingSender spoof;
  std::uint64_t probes = 0;
  if (spoof.available()) {
    // First a probe without a MAC from alpha's endpoint, to see that spoofed datagrams arrive:
    // beta counts it as auth_failed.
    spoof.send(cluster.port("alpha"), cluster.port("beta"), R"({"type":"heartbeat"})");
    probes = 1;
    BOOST_TEST_REQUIRE(wait_count(cluster, "beta", "auth_failed", probes, after(20s)));
    for (const auto& [from, datagram] : replay) {
      const std::string sender = hosts.name(from);
      const std::string other = sender == "alpha" ? "beta" : "alpha";
      spoof.send(cluster.port(sender), cluster.port(other), datagram);
    }
  } else {
    BOOST_TEST_MESSAGE("no CAP_NET_RAW: the replay from the original source endpoints is skipped");
  }
  // (2) The old client request, to both sites: (client, seq) was applied once already.
  for (const char* site : {"alpha", "beta"}) client.send_to(cluster.port(site), old_request);
  // (3) Everything again from gamma's endpoint, where the sender check refuses it. These come
  // last: once they are counted, everything before them was handled.
  for (const auto& [from, datagram] : replay)
    for (const char* site : {"alpha", "beta"}) gamma.send_to(cluster.port(site), datagram);
  for (const char* site : {"alpha", "beta"}) {
    BOOST_TEST(wait_count(cluster, site, "unknown_sender", unknown_before[site] + replay.size(),
                          after(20s)));
    BOOST_TEST(status_count(cluster, site, "auth_failed") ==
               (site == std::string("beta") ? probes : 0));
  }
  auto replayed = client_reply(after(20s));
  BOOST_TEST_REQUIRE(replayed.has_value(), "no reply to the replayed client request");
  BOOST_TEST(replayed->ok, "the replayed request was answered: " << replayed->error);

  expect_unchanged(before, snapshot(cluster));
  BOOST_TEST(kv_map(before.kvs.at("alpha")).at("r") == "new");

  // And the cluster still serves writes, to one chain head.
  BOOST_TEST(cluster.run("alpha", "put after replay") == "put after completed");
  auto has_after = [](const Lines& log, const Lines&) {
    return log_has(log, "put", "after", "replay");
  };
  BOOST_TEST(cluster.wait_converged(after(20s), nullptr, nullptr, {"alpha", "beta"}, has_after));
  BOOST_TEST(chain_head(cluster, "alpha") == chain_head(cluster, "beta"));
}

BOOST_AUTO_TEST_CASE(secret_file_problems_are_usage_errors) {
  TempDir tmp;
  auto ports = free_udp_ports(1);
  write_hosts_file(tmp.path() / "hosts.txt", {HostLine{"alpha", ports[0], ""}});
  write_file(tmp.path() / "empty", "\n");
  for (const fs::path& secret : {tmp.path() / "missing", tmp.path() / "empty"}) {
    BOOST_TEST_CONTEXT(secret) {
      SiteProcess p("alpha", tmp.path() / "hosts.txt", tmp.path() / "data",
                    tmp.path() / "stderr.txt", {"--secret", secret.string()});
      p.start();
      p.close_stdin();
      BOOST_TEST_REQUIRE(p.wait_exit(after(15s)), "the site runs with a bad secret file");
      BOOST_TEST(p.describe_exit() == "exit code 2");
      const std::string err = read_file(p.stderr_file());
      BOOST_TEST(err.find(secret.string()) != std::string::npos, "stderr:\n" << err);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
