// Acceptance 2 of issue 17: HTTP clients (puts, compare-and-swaps, linearizable gets) drive a
// 3-site cluster of real processes in network namespaces while its leader is isolated, muted
// or killed (-9) and other sites are cut off or killed, for $PAXOSKV_NET_SECONDS seconds
// (default 30). Every site serves the HTTP API at its own namespace address (--http-bind);
// the clients, in the root namespace, reach it through the router as the UDP clients do, and
// go on to the next site when one does not answer. Then every fault is healed and the run
// must show what the other schedules show: a linearizable history (with the cas model: a
// 504 or a request without an answer may or may not have applied, a 412 or a 503 did
// nothing), no acknowledged write missing from the decided log, and one chain head.

#include <boost/test/unit_test.hpp>
#include <iostream>
#include <random>
#include <thread>

#include "checks.hpp"
#include "environment.hpp"
#include "faults.hpp"
#include "http_load.hpp"
#include "net_cluster.hpp"

using namespace net_test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kSites = 3;
constexpr std::uint16_t kHttpPort = 8080;
constexpr int kDefaultSeconds = 30;

// Until `end`, in turn: the leader isolated for 7 s (longer than a site waits for a write, so
// the writes it holds end in 504), the leader killed (-9) and restarted 2 s later, the leader
// muted for 3 s (nobody hears it, it hears everyone), a follower killed and restarted 2 s
// later, a follower cut off for 3 s; with 1.5 s healed between them.
void drive_faults(Faults& faults, NetCluster& cluster, Clock::time_point end,
                  std::mt19937_64& random) {
  auto pace = [&](Clock::duration d) {
    std::this_thread::sleep_until(std::min(end, Clock::now() + d));
    return Clock::now() < end;
  };
  const std::vector<std::size_t> all = {0, 1, 2};
  for (int step = 0; pace(step == 0 ? 1s : 1500ms); ++step) {
    const auto leader = find_leader(cluster, all);
    if (!leader) continue;
    const std::size_t follower =
        (*leader + 1 + std::uniform_int_distribution<std::size_t>(0, kSites - 2)(random)) % kSites;
    switch (step % 5) {
      case 0:
        faults.isolate(*leader);
        pace(7s);
        break;
      case 1:
        faults.kill9(*leader);
        pace(2s);
        faults.restart(*leader);
        break;
      case 2:
        for (std::size_t i = 0; i < kSites; ++i)
          if (i != *leader) faults.cut_one_way(*leader, i);
        faults.count("leader muted");
        pace(3s);
        break;
      case 3:
        faults.kill9(follower);
        pace(2s);
        faults.restart(follower);
        break;
      case 4:
        faults.isolate(follower);
        pace(3s);
        break;
    }
    faults.heal_links();
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(schedules)

BOOST_AUTO_TEST_CASE(three_sites_http_clients) {
  const int seconds = load_seconds(kDefaultSeconds);
  const std::uint64_t seed = 17'002;
  std::mt19937_64 random(seed);
  Topology topology(tools(), kSites);
  NetCluster cluster(topology, {"--snapshot-every", "5000", "--log-tail", "1000000"}, kSites,
                     kHttpPort);
  cluster.start_all();
  Faults faults(topology, cluster);
  std::vector<std::string> addresses;
  for (std::size_t i = 0; i < kSites; ++i) addresses.push_back(Topology::site_address(i));
  HttpLoad load(addresses, kHttpPort, 2 * kSites, seed);

  const auto start = Clock::now();
  load.start(std::chrono::seconds(seconds));
  drive_faults(faults, cluster, start + std::chrono::seconds(seconds), random);
  load.join();
  faults.heal();

  const std::vector<std::size_t> sites = {0, 1, 2};
  const HealedChecks checks = check_after_heal(cluster, load, sites, cluster.hosts_file());
  const HttpLoadFigures f = load.figures();
  std::string unexpected;
  for (const auto& [status, count] : f.unexpected)
    unexpected += " " + std::to_string(count) + " x " + std::to_string(status);
  BOOST_TEST(f.unexpected.empty(), "unexpected answers (status 0: not JSON):" << unexpected);
  BOOST_TEST(load.final_reads_missing() == 0u, "keys without a final read after the heal");
  // The load did what it is for: cas both applied and failed.
  BOOST_TEST(f.cas_applied > 0u);
  BOOST_TEST(f.cas_failed > 0u);

  LoadFigures totals;
  totals.ok = f.puts + f.cas_applied + f.cas_failed + f.gets;
  totals.failed_reads = f.failed_reads;
  totals.indeterminate = f.indeterminate;
  std::cout << "net run: " << kSites
            << " sites, HTTP clients under leader isolation, kills and cuts, " << seconds
            << " s of load, seed " << seed << ", "
            << std::chrono::duration<double>(Clock::now() - start).count() << " s in all\n"
            << "  http: " << f.puts << " puts, " << f.cas_applied << " cas applied, "
            << f.cas_failed << " cas failed (412), " << f.gets << " gets answered; "
            << f.indeterminate << " writes indeterminate (" << f.outcome_unknown_504
            << " of them 504), " << f.refused_503 << " refused (503), " << f.not_connected
            << " not connected, " << f.site_switches << " site switches, " << load.keys()
            << " keys\n"
            << describe(checks, totals, cluster, sites, faults.describe_counts()) << std::endl;
}

BOOST_AUTO_TEST_SUITE_END()
