#pragma once

// What every fault schedule requires once its faults are healed (schedules.cpp,
// membership_schedule.cpp): a write succeeds, the sites agree on one chain head, every
// acknowledged write is in the decided log, and the history, with a final read of every key,
// is linearizable with each unacknowledged write counted as possibly applied.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "load.hpp"
#include "net_cluster.hpp"
#include "sim/linearizability.hpp"

namespace net_test {

// The site most of `sites` (with the highest ballot) name as leader, if any answers.
std::optional<std::size_t> find_leader(NetCluster& cluster, const std::vector<std::size_t>& sites);

// A write that only succeeds once a leader commits again; true if one did before `deadline`.
bool barrier_write(const std::filesystem::path& hosts,
                   std::chrono::steady_clock::time_point deadline);

struct HealedChecks {
  bool barrier_ok = false;
  std::vector<std::optional<std::string>> heads;  // of the sites checked, in their order
  bool converged = false;
  std::size_t acked = 0;          // acknowledged writes
  std::size_t decided_slots = 0;  // in the log the lost writes were looked for in
  std::size_t lost = 0;           // acknowledged writes not in that log
  paxoskv::sim::LinearizabilityReport report;
  double check_seconds = 0;   // the linearizability check's
  std::uint64_t refused = 0;  // datagrams the sites refused (a lower bound: see .cpp)
};

// After load.join() and the heal: runs the checks on `sites` (the members of the cluster),
// reporting failures through Boost.Test. Clients (the barrier, the final reads) use
// `client_hosts`, which should name exactly those sites.
HealedChecks check_after_heal(NetCluster& cluster, CheckedLoad& load,
                              const std::vector<std::size_t>& sites,
                              const std::filesystem::path& client_hosts);

// The lines of a run's report after its first: ops, `faults` (what was injected),
// linearizability, lost writes, chain heads.
std::string describe(const HealedChecks& checks, const LoadFigures& figures, NetCluster& cluster,
                     const std::vector<std::size_t>& sites, const std::string& faults);

}  // namespace net_test
