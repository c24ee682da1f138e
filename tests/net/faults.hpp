#pragma once

// The faults of the net tests, applied to a Topology and its NetCluster:
//   - loss: `-m statistic --mode random` DROP rules on INPUT in every site namespace (chain
//     PKVNET-LOSS), so each datagram a site receives, from a peer or a client, is lost with
//     probability P;
//   - cuts: DROP rules on INPUT of the receiving site for the sender's address (chain
//     PKVNET-CUT); a one-way cut is one rule, a partition or an isolation is a set of them;
//   - duplication, delay with jitter and so reordering: paxoskv-faultproxy in the router
//     namespace, fed by a TPROXY rule for datagrams between sites (not those of clients);
//   - processes: kill -9 and restart, SIGSTOP and SIGCONT (through the NetCluster).
// Every rule lives inside a namespace of the topology, so it goes with the namespace; heal()
// removes them earlier. Counts of everything injected, by kind, are kept for the report.

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "net_cluster.hpp"
#include "topology.hpp"

namespace net_test {

struct ProxyFaults {
  double duplicate = 0;
  std::int64_t delay_min_ms = 0;
  std::int64_t delay_max_ms = 0;
  std::uint64_t seed = 1;
};

class Faults {
 public:
  Faults(const Topology& topology, NetCluster& cluster);
  ~Faults();  // stops the proxy (by its pid)
  Faults(const Faults&) = delete;
  Faults& operator=(const Faults&) = delete;

  void set_loss(double probability);
  // Datagrams from `from` no longer reach `to` (the other direction is untouched).
  void cut_one_way(std::size_t from, std::size_t to);
  // No datagram crosses between `side` and the other sites, either way.
  void partition(const std::vector<std::size_t>& side);
  void isolate(std::size_t site) { partition({site}); }
  void heal_links();

  void start_proxy(const ProxyFaults& faults);
  // Stops the proxy and returns its counts line ("received=… dropped=…").
  std::string stop_proxy();
  // The last stopped proxy's counts line ("" if none ran).
  const std::string& proxy_stats() const { return proxy_stats_; }

  void kill9(std::size_t site);
  void kill9_all();
  void restart(std::size_t site);
  void pause(std::size_t site);
  void resume(std::size_t site);

  // Everything back to normal: links, loss, proxy, paused and killed sites (not the spare
  // sites that never ran, nor the retired ones).
  void heal();

  void count(const std::string& kind, std::uint64_t n = 1) { counts_[kind] += n; }
  const std::map<std::string, std::uint64_t>& counts() const { return counts_; }
  std::string describe_counts() const;

 private:
  void drop_from(std::size_t from, std::size_t to);

  const Topology& topology_;
  NetCluster& cluster_;
  std::map<std::string, std::uint64_t> counts_;
  pid_t proxy_pid_ = -1;
  int proxy_in_ = -1;
  int proxy_out_ = -1;
  std::string proxy_stats_;
};

}  // namespace net_test
