#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "paxoskv/replica.hpp"

namespace paxoskv::sim {

// Every site ticks once per kTickMs of simulated time; one "step" of a schedule is one such
// tick of the fault phase, so `steps` fixes the simulated length of the faults
// (steps * kTickMs) whatever the message traffic is.
inline constexpr TimeMs kTickMs = 10;

// All knobs of one simulated run. A run is a pure function of this struct: the same config
// (seed included) replays the same schedule, event for event.
struct SimConfig {
  std::uint64_t seed = 1;

  // The cluster: voters first, then learners (site ids in that order).
  std::size_t voters = 3;
  std::size_t learners = 0;

  // Length of the fault phase, in ticks of kTickMs. The heal phase follows.
  std::uint64_t steps = 1000;

  // Clients, each with one operation at a time, over `keys` keys.
  std::size_t clients = 3;
  std::size_t keys = 3;
  // Client attempt timeout before it retries the same request at another site.
  TimeMs client_timeout_ms = 1000;
  // Attempts of one operation during the fault phase before the client gives up (the
  // outcome of a write is then unknown). After healing clients never give up.
  int client_max_attempts = 6;
  // Operations every client runs once the faults have stopped, to prove the cluster serves.
  int ops_after_heal = 1;

  // Network, during the fault phase.
  double drop_rate = 0.1;  // 0 to 0.4
  double dup_rate = 0.05;
  TimeMs min_delay_ms = 1;
  TimeMs max_delay_ms = 20;
  // A few messages are very late, so stale ones arrive after leadership changed.
  double late_rate = 0.01;
  TimeMs late_delay_ms = 800;
  // Without reordering each directed link delivers in send order.
  bool reorder = true;

  // Partitions: splits, leader isolation, one-way cuts, single clogged links.
  bool partitions = true;
  TimeMs mean_partition_interval_ms = 1000;

  // Crash-restart of any site at any instant, including torn writes.
  bool crashes = true;
  TimeMs mean_crash_interval_ms = 1500;
  TimeMs max_down_ms = 1500;

  // After healing, every pending client operation must complete within this bound.
  TimeMs liveness_bound_ms = 30000;
  // During the faults, a request submitted at a voter in a quorum of voters that can all talk
  // to each other must complete within this many election timeouts (see FaultLiveness),
  // stretched by 1 / (1 - drop_rate)^2, the odds that a round trip survives the random loss;
  // 0 only measures.
  int fault_liveness_timeouts = 10;
  TimeMs fault_liveness_bound_ms() const;

  // Membership changes during the faults (SimOperator): sites added (as learners, some to
  // become voters) and started with empty disks, learners promoted, sites removed (the leader
  // too) and stopped once their removal governs, leadership transferred; now and then two
  // changes at once, and changes bound to be refused. The operator waits for the outcome of
  // one change (or burst) and then a random time, on average this long, before the next.
  bool member_changes = false;
  TimeMs mean_member_change_interval_ms = 2000;

  // Compaction: small, so that runs snapshot often and crashed sites fall behind the log of
  // their peers and catch up by snapshot transfer.
  Slot snapshot_every = 20;
  Slot log_tail = 5;

  InjectedBug bug = InjectedBug::none;

  // Events kept in memory for the trace (the oldest are dropped beyond it); 0 keeps none.
  std::size_t trace_capacity = 200000;

  std::size_t sites() const { return voters + learners; }
  ReplicaOptions replica_options() const;
  // Empty when the config is usable, else why not, for the user.
  std::string validate() const;
};

// The schedule of `seed` in a mixed sweep (CTest's, and paxoskv-sim --mixed): the knobs are
// spread over the seeds so that every combination of cluster size (3 and 5 voters, a few 7,
// some with a learner), loss rate (0 to 0.4), duplication, lateness, reordering, fault
// intensity and membership changes comes up, with partitions and crashes always on. Every knob it
// sets is a flag of paxoskv-sim, so command_line() replays any of its seeds.
SimConfig mixed_config(std::uint64_t seed);

std::string_view bug_name(InjectedBug bug);
std::optional<InjectedBug> bug_from_name(std::string_view name);

// The paxoskv-sim arguments that replay `config` (the knobs the tool exposes).
std::string command_line(const SimConfig& config);

}  // namespace paxoskv::sim
