#include "checks.hpp"

#include <boost/asio.hpp>
#include <boost/test/unit_test.hpp>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

#include "client/client.hpp"
#include "net/hosts_file.hpp"

namespace net_test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::optional<std::size_t> find_leader(NetCluster& cluster, const std::vector<std::size_t>& sites) {
  std::optional<std::size_t> leader;
  std::uint64_t best_round = 0;
  for (std::size_t i : sites) {
    auto status = cluster.status(i, 1s);
    if (!status || status->leader.empty() || (leader && status->ballot_round < best_round))
      continue;
    for (std::size_t j = 0; j < cluster.size(); ++j)
      if (cluster.name(j) == status->leader) {
        leader = j;
        best_round = status->ballot_round;
      }
  }
  return leader;
}

bool barrier_write(const std::filesystem::path& hosts, Clock::time_point deadline) {
  auto loaded = paxoskv::load_hosts(hosts.string());
  const auto& cluster = std::get<paxoskv::Cluster>(loaded);
  while (Clock::now() < deadline) {
    boost::asio::io_context io;
    paxoskv::client::Session session(io, cluster, {});
    bool ok = false;
    session.request(paxoskv::net::ClientOp::put, "barrier", "after-heal",
                    [&](const paxoskv::client::Result& r) {
                      ok = r.ok;
                      session.close();
                    });
    io.run();
    if (ok) return true;
  }
  return false;
}

namespace {

// Polls the sites' chain heads until all are the same, or the deadline.
std::vector<std::optional<std::string>> wait_one_head(NetCluster& cluster,
                                                      const std::vector<std::size_t>& sites,
                                                      Clock::time_point deadline) {
  std::vector<std::optional<std::string>> heads(sites.size());
  for (;;) {
    for (std::size_t i = 0; i < sites.size(); ++i) heads[i] = cluster.chain_head(sites[i], 20s);
    bool same = heads[0].has_value();
    for (const auto& h : heads) same = same && h == heads[0];
    if (same || Clock::now() >= deadline) return heads;
    std::this_thread::sleep_for(200ms);  // re-check; the deadline bounds the wait
  }
}

}  // namespace

HealedChecks check_after_heal(NetCluster& cluster, CheckedLoad& load,
                              const std::vector<std::size_t>& sites,
                              const std::filesystem::path& client_hosts) {
  HealedChecks checks;
  BOOST_TEST_REQUIRE(!sites.empty());
  checks.barrier_ok = barrier_write(client_hosts, Clock::now() + 60s);
  BOOST_TEST(checks.barrier_ok, "no write succeeded within 60 s after heal");
  checks.heads = wait_one_head(cluster, sites, Clock::now() + 60s);
  checks.converged = checks.heads[0].has_value();
  for (const auto& h : checks.heads) checks.converged = checks.converged && h == checks.heads[0];
  BOOST_TEST(checks.converged, "the sites do not converge to one chain head after heal");
  load.final_reads(client_hosts);

  // Lost acknowledged writes: every one must be in the decided log (values are unique). The
  // sites keep every slot in their logs (--log-tail), and one head means one log, so one
  // site's whole log is enough; it must start at slot 0 to be whole.
  std::set<std::tuple<std::string, std::string, std::string>> decided;
  auto log = cluster.print_log(sites[0], 60s);
  BOOST_TEST_REQUIRE(log.has_value(), "no `print log` answer from " << cluster.name(sites[0]));
  std::optional<std::uint64_t> first_slot;
  for (const auto& line : *log)
    if (auto entry = e2e::parse_log_line(line)) {
      if (!first_slot) first_slot = entry->slot;
      decided.insert({entry->op, entry->key, entry->value});
    }
  BOOST_TEST(first_slot.value_or(0) == 0u,
             "the log of " << cluster.name(sites[0]) << " starts at slot " << *first_slot);
  checks.decided_slots = log->size();
  auto acked = load.acked_writes();
  checks.acked = acked.size();
  for (const auto& w : acked)
    if (!decided.count({w.op, w.key, w.value})) {
      if (++checks.lost <= 10)
        BOOST_TEST_MESSAGE("lost acknowledged write: " << w.op << " " << w.key << " " << w.value);
    }
  BOOST_TEST(checks.lost == 0u, checks.lost << " acknowledged writes are not in the decided log");

  auto check_start = Clock::now();
  checks.report = paxoskv::sim::check_linearizable(load.for_checker());
  checks.check_seconds = std::chrono::duration<double>(Clock::now() - check_start).count();
  BOOST_TEST(checks.report.ok, "history not linearizable on key " << checks.report.key << ":\n"
                                                                  << checks.report.explanation);
  BOOST_TEST(!checks.report.inconclusive,
             "linearizability not proven: " << checks.report.explanation);

  // A datagram the proxy sent from the wrong source would be refused as from an unknown
  // endpoint, and counted. (A restarted site counts from zero: this is a lower bound.)
  for (std::size_t i : sites)
    if (auto status = cluster.status(i, 20s)) checks.refused += status->dropped;
  return checks;
}

std::string describe(const HealedChecks& checks, const LoadFigures& f, NetCluster& cluster,
                     const std::vector<std::size_t>& sites, const std::string& faults) {
  std::string head_list;
  for (std::size_t i = 0; i < sites.size(); ++i)
    head_list += " " + cluster.name(sites[i]) + "=" +
                 (checks.heads[i] ? checks.heads[i]->substr(0, 16) : "?");
  const auto& report = checks.report;
  std::ostringstream text;
  text << "  ops: " << f.ok << " ok, " << f.failed_reads << " failed reads, " << f.indeterminate
       << " indeterminate writes (" << checks.acked << " acknowledged writes, "
       << checks.decided_slots << " decided slots)\n"
       << "  faults: " << faults << "\n"
       << "  linearizability: "
       << (report.ok ? (report.inconclusive ? "inconclusive" : "ok") : "VIOLATION") << ", "
       << report.states_explored << " states, " << checks.check_seconds << " s\n"
       << "  lost acknowledged writes: " << checks.lost
       << "; datagrams refused by sites: " << checks.refused << "\n"
       << "  chain heads:" << head_list << (checks.converged ? " (identical)" : " (DIFFERENT)");
  return text.str();
}

}  // namespace net_test
