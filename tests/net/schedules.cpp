// Acceptance 1 of issue 7: 3- and 5-site clusters of real processes in network namespaces,
// five fault schedules each, under client load for $PAXOSKV_NET_SECONDS (default 60) seconds.
// Then every fault is healed and the run must show: a linearizable history (indeterminate
// writes count as possibly applied), no acknowledged write missing from the decided log, and
// one chain head on every site.
//
// Topology (see topology.hpp): each site in its own namespace and /24 (10.77.(i+1).2),
// routed through a router namespace; the test and its clients are in the root namespace
// (10.77.0.2). Loss and cuts are iptables rules in the site namespaces; duplication, delay and
// reordering are paxoskv-faultproxy in the router namespace (TPROXY); kill -9, restart,
// SIGSTOP and SIGCONT act on the site processes by pid.

#include <boost/asio.hpp>
#include <boost/test/unit_test.hpp>
#include <cstring>
#include <iostream>
#include <random>
#include <set>
#include <thread>

#include "checks.hpp"
#include "environment.hpp"
#include "faults.hpp"
#include "load.hpp"
#include "net_cluster.hpp"

using namespace net_test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

enum class Schedule { proxy_chaos, rotating_partitions, leader_isolation, kill_minority, kill_all };

const char* schedule_name(Schedule s) {
  switch (s) {
    case Schedule::proxy_chaos:
      return "20% loss + 5% duplication + 0-20 ms delay (reordering)";
    case Schedule::rotating_partitions:
      return "rotating partitions";
    case Schedule::leader_isolation:
      return "leader isolation";
    case Schedule::kill_minority:
      return "kill -9 of a random minority";
    case Schedule::kill_all:
      return "kill -9 of all sites";
  }
  return "?";
}

std::vector<std::size_t> all_sites(std::size_t n) {
  std::vector<std::size_t> all(n);
  for (std::size_t i = 0; i < n; ++i) all[i] = i;
  return all;
}

std::vector<std::size_t> random_minority(std::size_t n, std::mt19937_64& random) {
  std::vector<std::size_t> all(n);
  for (std::size_t i = 0; i < n; ++i) all[i] = i;
  std::shuffle(all.begin(), all.end(), random);
  std::size_t size = std::uniform_int_distribution<std::size_t>(1, (n - 1) / 2)(random);
  all.resize(size);
  return all;
}

// Injects the schedule's faults until `end`. Sleeping here paces the faults; nothing waits
// for an effect.
void drive_faults(Schedule schedule, Faults& faults, NetCluster& cluster, Clock::time_point end,
                  std::mt19937_64& random) {
  const std::size_t n = cluster.size();
  auto pace = [&](Clock::duration d) {
    std::this_thread::sleep_until(std::min(end, Clock::now() + d));
    return Clock::now() < end;
  };
  auto pick = [&](std::size_t below) {
    return std::uniform_int_distribution<std::size_t>(0, below - 1)(random);
  };
  switch (schedule) {
    case Schedule::proxy_chaos:
      faults.set_loss(0.2);
      faults.start_proxy(ProxyFaults{0.05, 0, 20, random()});
      pace(end - Clock::now());
      return;
    case Schedule::rotating_partitions:
      for (int step = 0; pace(step == 0 ? 1s : 4s); ++step) {
        faults.heal_links();
        for (std::size_t i = 0; i < n; ++i) faults.resume(i);
        std::size_t a = pick(n), b = (a + 1 + pick(n - 1)) % n;
        switch (step % 4) {
          case 0:  // a minority against the majority
            faults.partition(random_minority(n, random));
            break;
          case 1:  // a bridge: two sites cannot talk, each still reaches the others
            faults.cut_one_way(a, b);
            faults.cut_one_way(b, a);
            faults.count("bridges");
            break;
          case 2:
            faults.cut_one_way(a, b);
            break;
          case 3:
            faults.pause(a);
            break;
        }
      }
      return;
    case Schedule::leader_isolation:
      for (int step = 0; pace(step == 0 ? 1s : 1500ms); ++step) {
        auto leader = find_leader(cluster, all_sites(n));
        if (!leader) continue;
        switch (step % 3) {
          case 0:
            faults.isolate(*leader);
            break;
          case 1:  // the leader still hears the others, nobody hears it
            for (std::size_t i = 0; i < n; ++i)
              if (i != *leader) faults.cut_one_way(*leader, i);
            faults.count("leader muted");
            break;
          case 2:
            faults.pause(*leader);
            break;
        }
        bool more = pace(4s);
        faults.heal_links();
        faults.resume(*leader);
        if (!more) return;
      }
      return;
    case Schedule::kill_minority:
      while (pace(1500ms)) {
        auto victims = random_minority(n, random);
        for (std::size_t v : victims) faults.kill9(v);
        pace(1500ms);
        for (std::size_t v : victims) faults.restart(v);
      }
      return;
    case Schedule::kill_all:
      while (pace(6s)) {
        faults.kill9_all();
        // Down longer than a client waits (2 s): some writes end with an unknown outcome.
        pace(2500ms);
        for (std::size_t i = 0; i < n; ++i) faults.restart(i);
      }
      return;
  }
}

void run_schedule(std::size_t n, Schedule schedule) {
  const int seconds = load_seconds();
  const std::uint64_t seed = 1000 * n + static_cast<std::uint64_t>(schedule) + 1;
  std::mt19937_64 random(seed);
  Topology topology(tools(), n);
  // Sites snapshot and rewrite their files every 5000 slots (so kill -9 hits compactions too)
  // but keep every slot in the log, so the lost-write check below can see each one.
  NetCluster cluster(topology, {"--snapshot-every", "5000", "--log-tail", "1000000"});
  cluster.start_all();
  Faults faults(topology, cluster);
  Load load(cluster.hosts_file(), 2 * n, seed);

  const auto start = Clock::now();
  load.start(std::chrono::seconds(seconds));
  drive_faults(schedule, faults, cluster, start + std::chrono::seconds(seconds), random);
  load.join();
  faults.heal();

  const std::vector<std::size_t> sites = all_sites(n);
  HealedChecks checks = check_after_heal(cluster, load, sites, cluster.hosts_file());

  if (schedule == Schedule::proxy_chaos) {
    BOOST_TEST(checks.refused == 0u,
               checks.refused << " datagrams refused by the sites behind the proxy");
    // The faults did happen: the proxy's counts.
    const std::string& stats = faults.proxy_stats();
    for (const char* field : {"received=", "duplicated=", "reordered="}) {
      auto at = stats.find(field);
      BOOST_TEST_REQUIRE(at != std::string::npos, "proxy counts: " << stats);
      BOOST_TEST(std::stoull(stats.substr(at + std::strlen(field))) > 0u, field << " in " << stats);
    }
  }

  std::cout << "net run: " << n << " sites, " << schedule_name(schedule) << ", " << seconds
            << " s of load, seed " << seed << "\n"
            << describe(checks, load.figures(), cluster, sites, faults.describe_counts())
            << std::endl;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(schedules)

BOOST_AUTO_TEST_CASE(three_sites_loss_duplication_delay) {
  run_schedule(3, Schedule::proxy_chaos);
}
BOOST_AUTO_TEST_CASE(three_sites_rotating_partitions) {
  run_schedule(3, Schedule::rotating_partitions);
}
BOOST_AUTO_TEST_CASE(three_sites_leader_isolation) {
  run_schedule(3, Schedule::leader_isolation);
}
BOOST_AUTO_TEST_CASE(three_sites_kill_minority) {
  run_schedule(3, Schedule::kill_minority);
}
BOOST_AUTO_TEST_CASE(three_sites_kill_all) {
  run_schedule(3, Schedule::kill_all);
}
BOOST_AUTO_TEST_CASE(five_sites_loss_duplication_delay) {
  run_schedule(5, Schedule::proxy_chaos);
}
BOOST_AUTO_TEST_CASE(five_sites_rotating_partitions) {
  run_schedule(5, Schedule::rotating_partitions);
}
BOOST_AUTO_TEST_CASE(five_sites_leader_isolation) {
  run_schedule(5, Schedule::leader_isolation);
}
BOOST_AUTO_TEST_CASE(five_sites_kill_minority) {
  run_schedule(5, Schedule::kill_minority);
}
BOOST_AUTO_TEST_CASE(five_sites_kill_all) {
  run_schedule(5, Schedule::kill_all);
}

BOOST_AUTO_TEST_SUITE_END()
