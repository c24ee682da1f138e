// Acceptance items 3 and 4 of issue 5, on real processes with small compaction intervals
// (--snapshot-every), so that a few hundred writes go through many compactions:
//  - snapshot_catchup: a site wiped clean rejoins under 10% packet loss and converges to the
//    same map and chain head by snapshot transfer (its status shows snapshots_installed);
//  - compaction_restart: a site down during many writes and compactions restarts, converges,
//    and a `get` at it at once returns the latest value.

#include <signal.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "client/client.hpp"
#include "harness.hpp"
#include "net/hosts_file.hpp"

using namespace e2e;

namespace {

// Types `count` puts at `site` at once (the shell runs them one by one) and waits for every
// answer. Keys cycle over `keys`; values are unique and `value_bytes` long.
void write_many(SiteProcess& site, const std::string& prefix, int count, int keys,
                std::size_t value_bytes, Deadline deadline) {
  for (int i = 0; i < count; ++i) {
    std::string value = prefix + std::to_string(i) + "-";
    value += std::string(value_bytes > value.size() ? value_bytes - value.size() : 0, 'x');
    BOOST_TEST_REQUIRE(site.send_line("put " + prefix + std::to_string(i % keys) + " " + value));
  }
  for (int i = 0; i < count; ++i) {
    auto line = site.next_line(deadline);
    BOOST_TEST_REQUIRE(line.has_value(), site.name() << ": answer " << i << " missing");
    BOOST_TEST_REQUIRE(*line == "put " + prefix + std::to_string(i % keys) + " completed");
  }
}

// The `key=value` field of a `print status` line.
std::string status_field(const std::string& status, const std::string& key) {
  std::size_t at = status.find(" " + key + "=");
  if (at == std::string::npos) return "";
  std::size_t from = at + key.size() + 2;
  return status.substr(from, status.find(' ', from) - from);
}

std::string chain_head(Cluster& cluster, const std::string& name) {
  SiteProcess& s = cluster.site(name);
  BOOST_TEST_REQUIRE(s.send_line("print chain"));
  auto line =
      s.wait_for_line([](const std::string& l) { return l.rfind("head ", 0) == 0; }, after(20s));
  BOOST_TEST_REQUIRE(line.has_value(), name << ": no chain head");
  return line->substr(5);
}

// Polls until every site shows the same chain head and the same map, or the deadline.
bool converged(Cluster& cluster, Deadline deadline) {
  for (;;) {
    std::string head = chain_head(cluster, cluster.names().front());
    auto kv = cluster.print_kv(cluster.names().front());
    bool same = kv.has_value();
    for (const std::string& name : cluster.names()) {
      same = same && chain_head(cluster, name) == head;
      same = same && cluster.print_kv(name) == kv;
    }
    if (same) return true;
    if (Clock::now() > deadline) return false;
  }
}

ClusterSpec spec(std::vector<std::string> common) {
  ClusterSpec s;
  s.sites = {{"alpha", "", {}}, {"beta", "", {}}, {"gamma", "", {}}};
  s.extra_args = {"--log-level", "info"};
  s.extra_args.insert(s.extra_args.end(), common.begin(), common.end());
  return s;
}

// The datagrams the kernel dropped at the UDP socket bound to 127.0.0.1:`port` because its
// receive buffer was full: the last column of its line in /proc/net/udp.
std::uint64_t udp_drops(std::uint16_t port) {
  std::ifstream table("/proc/net/udp");
  std::string line;
  std::getline(table, line);  // the header
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, address, word;
    fields >> slot >> address;  // address: "0100007F:80E9", the port in hex last
    if (address.size() < 5 || std::stoul(address.substr(address.size() - 4), nullptr, 16) != port)
      continue;
    std::uint64_t last = 0;
    while (fields >> word) last = std::strtoull(word.c_str(), nullptr, 10);
    return last;
  }
  BOOST_FAIL("no UDP socket on port " << port << " in /proc/net/udp");
  return 0;
}

// `clients` closed-loop clients putting 100-byte values to 50 keys through the client
// protocol, on a thread of their own, from construction to destruction: faster than a shell,
// which runs its commands one at a time.
class PutLoad {
 public:
  PutLoad(const std::filesystem::path& hosts_file, std::size_t clients)
      : thread_([this, hosts_file, clients] { run(hosts_file, clients); }) {}
  ~PutLoad() {
    stop_ = true;
    thread_.join();
  }
  std::uint64_t done() const { return done_; }

 private:
  void run(const std::filesystem::path& hosts_file, std::size_t clients) {
    auto loaded = paxoskv::load_hosts(hosts_file.string());
    const paxoskv::Cluster cluster = std::get<paxoskv::Cluster>(loaded);
    boost::asio::io_context io;
    std::vector<std::unique_ptr<paxoskv::client::Session>> sessions;
    // Short attempts: once stopped, the load ends within about a second whatever is down.
    paxoskv::client::SessionOptions options;
    options.attempt_timeout_ms = 250;
    options.max_attempts = 4;
    for (std::size_t i = 0; i < clients; ++i) {
      sessions.push_back(std::make_unique<paxoskv::client::Session>(io, cluster, options));
      put(*sessions.back(), i);
    }
    io.run();  // until every session has stopped asking
  }
  void put(paxoskv::client::Session& session, std::uint64_t n) {
    if (stop_) return session.close();  // its socket no longer keeps io.run() going
    session.request(paxoskv::net::ClientOp::put, "load" + std::to_string(n % 50),
                    std::string(100, 'v'), [this, &session, n](const paxoskv::client::Result&) {
                      ++done_;
                      put(session, n + 1);
                    });
  }

  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> done_{0};
  std::thread thread_;  // last: it starts once the members above exist
};

void remove_files_of(const Cluster& cluster, const std::string& name) {
  for (const char* suffix : {"_state.json", "_log.json", "_snapshot.json", ".json"})
    std::filesystem::remove(cluster.data_dir() / (name + suffix));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(snapshot_catchup)

BOOST_AUTO_TEST_CASE(a_wiped_site_rejoins_by_snapshot_transfer_under_packet_loss) {
  Cluster cluster(spec({"--snapshot-every", "50", "--log-tail", "10", "--drop-rate", "0.1"}));
  cluster.start_all();
  // 40 keys of 1 KB: the snapshot is about 40 KB, two datagram-sized pieces or more.
  write_many(cluster.site("alpha"), "a", 200, 40, 1000, after(120s));
  cluster.site("gamma").kill9();
  remove_files_of(cluster, "gamma");
  write_many(cluster.site("alpha"), "b", 150, 40, 1000, after(120s));
  std::string before = cluster.run("alpha", "print status");
  BOOST_TEST_REQUIRE(std::stoull(status_field(before, "compacted")) > 0, before);

  cluster.restart("gamma");
  BOOST_TEST(converged(cluster, after(60s)), "gamma did not converge");
  std::string status = cluster.run("gamma", "print status");
  BOOST_TEST(std::stoull(status_field(status, "snapshots_installed")) >= 1, status);
  BOOST_TEST(std::stoull(status_field(status, "compacted")) > 0, status);
  BOOST_TEST(cluster.run("gamma", "get b29") == "get b29 returned " + [] {  // 149 % 40 = 29
    std::string v = "b149-";
    return v + std::string(1000 - v.size(), 'x');
  }());
  // The received snapshot is on gamma's disk, and its files verify after a clean stop.
  BOOST_TEST(cluster.quit_all());
  BOOST_TEST(std::filesystem::exists(cluster.data_dir() / "gamma_snapshot.json"));
  boost::json::value log = boost::json::parse(read_file(cluster.log_file("gamma")));
  BOOST_TEST(log.at("entries").as_array().at(0).as_object().contains("start"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(compaction_restart)

BOOST_AUTO_TEST_CASE(a_site_down_during_compactions_restarts_and_reads_the_latest_value) {
  Cluster cluster(spec({"--snapshot-every", "100", "--log-tail", "20"}));
  cluster.start_all();
  write_many(cluster.site("alpha"), "early", 30, 10, 10, after(60s));
  BOOST_TEST_REQUIRE(cluster.run("gamma", "put g before") == "put g completed");
  cluster.site("gamma").kill9();
  write_many(cluster.site("alpha"), "k", 1500, 100, 20, after(300s));
  BOOST_TEST_REQUIRE(cluster.run("beta", "put g after") == "put g completed");
  std::string alpha = cluster.run("alpha", "print status");
  BOOST_TEST_REQUIRE(std::stoull(status_field(alpha, "compacted")) >= 1400, alpha);

  cluster.restart("gamma");
  // Linearizable at once: the read waits until gamma has applied the leader's read index.
  BOOST_TEST(cluster.run("gamma", "get g") == "get g returned after");
  BOOST_TEST(cluster.run("gamma", "get k99") == "get k99 returned k1499-xxxxxxxxxxxxxx");
  BOOST_TEST(converged(cluster, after(60s)), "gamma did not converge");
  std::string status = cluster.run("gamma", "print status");
  BOOST_TEST(std::stoull(status_field(status, "compacted")) >= 1400, status);
  // Its log holds only slots from its start on (print log), and a write through it works.
  auto log = cluster.print_log("gamma");
  BOOST_TEST_REQUIRE(log.has_value());
  BOOST_TEST_REQUIRE(!log->empty());
  BOOST_TEST(parse_log_line(log->front())->slot >= 1300u);
  BOOST_TEST(cluster.run("gamma", "put g last") == "put g completed");
  BOOST_TEST(cluster.run("alpha", "get g") == "get g returned last");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(compaction_superseded)

// A follower that compacts every few slots, and installs a snapshot from the leader while a
// rewrite of its own log is still being staged: the staged rewrite is superseded, not put in
// place over the log the snapshot left (that aborted the site in about half of such rounds).
// Stopping gamma under load until its socket drops datagrams makes it do both: back at work,
// it applies what reached its socket, compacting as it goes, then finds the slots it lost
// gone from the leader's log and installs the leader's snapshot.
BOOST_AUTO_TEST_CASE(a_follower_that_lost_datagrams_installs_snapshots_while_it_compacts) {
  Cluster cluster(spec({"--snapshot-every", "20", "--log-tail", "1"}));
  cluster.start_all();
  BOOST_TEST_REQUIRE(cluster.run("alpha", "put first 1") == "put first completed");
  SiteProcess& gamma = cluster.site("gamma");
  auto installed = [&] {
    const std::string field =
        status_field(cluster.run("gamma", "print status"), "snapshots_installed");
    BOOST_TEST_REQUIRE(!field.empty(), "gamma: no status: " << gamma.diagnostics());
    return std::stoull(field);
  };
  {
    PutLoad load(cluster.hosts_file(), 16);
    for (int round = 0; round < 5; ++round) {
      const std::uint64_t drops = udp_drops(cluster.port("gamma"));
      const std::uint64_t installs = installed();
      BOOST_TEST_REQUIRE(::kill(gamma.pid(), SIGSTOP) == 0);  // our own child, by its pid
      const Deadline deadline = after(60s);
      while (udp_drops(cluster.port("gamma")) == drops) {
        if (Clock::now() > deadline) BOOST_FAIL("round " << round << ": gamma lost nothing");
        std::this_thread::sleep_for(20ms);
      }
      BOOST_TEST_REQUIRE(::kill(gamma.pid(), SIGCONT) == 0);
      for (;;) {
        BOOST_TEST_REQUIRE(gamma.is_running(), "round " << round << ": " << gamma.diagnostics());
        if (installed() > installs) break;
        if (Clock::now() > deadline) BOOST_FAIL("round " << round << ": no snapshot installed");
      }
    }
    BOOST_TEST(load.done() > 0u);
  }
  BOOST_TEST(converged(cluster, after(60s)), "gamma did not converge");
  BOOST_TEST(cluster.quit_all());
}

BOOST_AUTO_TEST_SUITE_END()
