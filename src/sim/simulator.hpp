#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "driver/ready_driver.hpp"
#include "paxoskv/replica.hpp"
#include "sim/checkers.hpp"
#include "sim/client_history.hpp"
#include "sim/configuration_checker.hpp"
#include "sim/fault_liveness.hpp"
#include "sim/fault_plan.hpp"
#include "sim/member_stats.hpp"
#include "sim/sim_client.hpp"
#include "sim/sim_config.hpp"
#include "sim/sim_executor.hpp"
#include "sim/sim_file_system.hpp"
#include "sim/sim_network.hpp"
#include "sim/sim_operator.hpp"
#include "sim/sim_random.hpp"
#include "sim/trace.hpp"

namespace paxoskv::sim {

// The faults a run (or a sweep of runs) went through, to show that each kind happened.
struct FaultStats {
  std::array<std::uint64_t, kCrashKinds> crashes{};        // by CrashKind, between two inputs
  std::array<std::uint64_t, kCrashKinds> crashes_in_io{};  // inside a write, fsync or rename
  std::uint64_t crashes_with_work_in_flight = 0;           // a lane's work started and not ended
  std::uint64_t pages_lost = 0;                            // unsynced pages power cuts took
  std::array<std::uint64_t, kNetworkShapes> network_changes{};  // by NetworkShape
  NetworkStats network;
  std::uint64_t lost_to_down_sites = 0;
  std::uint64_t unknown_outcomes = 0;     // operations a client gave up on
  std::uint64_t snapshots_taken = 0;      // compactions persisted
  std::uint64_t snapshots_installed = 0;  // snapshots received by transfer and persisted
  MemberStats members;

  void add(const FaultStats& other);
  std::uint64_t total_crashes() const;
  std::string describe() const;
};

struct RunResult {
  bool ok = true;
  // The checker that failed: "agreement", "recovery" (a site refused its own files),
  // "liveness during faults", "configuration", "durability", "identical logs", "chain",
  // "liveness" or "linearizability".
  std::string checker;
  std::string explanation;

  bool healed = false;  // false when a check failed during the faults
  TimeMs heal_ms = 0;   // when the faults stopped
  TimeMs end_ms = 0;    // when the run ended
  std::uint64_t deliveries = 0;
  std::size_t operations = 0;
  std::size_t completed = 0;
  Slot decided = 0;  // log length at the end
  bool linearizability_inconclusive = false;
  // Requests submitted in a quorum of voters that could all talk to each other, during the
  // faults, and the longest any of them took (see FaultLiveness).
  std::uint64_t requests_in_connected_quorum = 0;
  TimeMs longest_in_connected_quorum_ms = 0;
  FaultStats faults;
};

// The world of one run: at every site the real consensus core (paxoskv::Replica) carried out
// by the real driver (driver::ReadyDriver, which the site runs too) over a simulated disk as
// weak as a real one, under one simulated clock and network, with clients and an operator who
// changes the membership. A fault phase of `steps` ticks (partitions, loss, duplication,
// delays, process crashes and power cuts at any instant, inside a write or while a lane's work
// is in flight; sites added, removed, promoted) is followed by a heal phase: faults stop,
// crashed sites restart, links heal, and the run goes on until every client and the operator
// are done and every member holds the same log, or the liveness bound passes. Then the
// checkers judge.
//
// A site added by a change decided in the log gets its own simulated disk and endpoint, with
// the id the change gave it; its process is started soon after, created with the hosts file's
// configuration and that id, with an empty disk, and recovers like a wiped site. A removed
// site runs on until a random time after its removal governs the slots the cluster works on,
// and after that until stopping it is safe (retire_when_safe); then it is stopped for good,
// and its files are checked as at the end of a run.
class Simulator {
 public:
  explicit Simulator(const SimConfig& config);
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  RunResult run();
  const Trace& trace() const { return trace_; }

 private:
  class Sink;
  struct Site {
    std::string name;                     // its files are named after it
    std::unique_ptr<SimFileSystem> disk;  // survives every crash of its site
    // While the site is up: its core, and the driver with what it runs on.
    std::optional<Replica> replica;
    std::unique_ptr<SimExecutor> executor;
    std::unique_ptr<Sink> sink;
    std::unique_ptr<driver::ReadyDriver> driver;
    std::uint32_t incarnation = 0;
    TimeMs restart_at = 0;
    // A crash armed to strike inside one of the disk's next operations.
    std::optional<CrashKind> armed;
    TimeMs armed_until = 0;
    // Recovering from lost state (Replica::recovering): it does not vote yet.
    bool recovering = false;
    // Its disk was wiped (or it is a new site) and it has not recovered since.
    bool wiped = false;
    // Removed from the configuration, and its removal governs the slots from `removed_by`
    // on: stopped for good once may_retire() has held for a while, from `retire_at` on.
    std::optional<TimeMs> retire_at;
    Slot removed_by = 0;
    std::optional<TimeMs> may_retire_since;
    bool retired = false;
    // Its durable decided end when it last went down (ReadyDriver::durable_decided_end): the
    // least it comes back with, from where it may still need the older configurations.
    Slot durable_when_down = 0;

    bool up() const { return replica.has_value(); }
  };

  void step(bool faults);
  void advance_to(TimeMs until);
  void inject_faults();
  void clients_act();
  void operator_acts();
  void heal();
  bool settled() const;

  void deliver(TimeMs at, InFlight message);
  // Runs `action` on site `s`, then flushes its driver; an armed crash that strikes inside
  // takes the site down there.
  template <typename Action>
  void at_site(SiteId s, Action&& action);
  void check_decisions(SiteId s, const Ready& ready);
  // Replays the decided log as far as it is known without a gap (ConfigurationChecker).
  void replay_decisions();
  void member_decided(Slot slot, const Command& command, const ReplayedSlot& replayed);
  // A site added by a change: its disk and endpoint now, its process soon.
  void add_site(const std::string& name);
  // Removed sites whose removal governs the slots the cluster works on are stopped soon.
  void schedule_retirements();
  // Stopping removed site `s` loses no decision: see retire_when_safe().
  bool may_retire(SiteId s) const;
  void retire_when_safe(SiteId s);
  void retire(SiteId s);
  // A voter of a configuration of the slots the cluster works on, or of the latest one.
  bool votes_somewhere(SiteId s) const;
  bool may_wipe(SiteId s) const;
  // Some site is without its state: wiped, new, or recovering.
  bool state_lost() const;
  // Whether the voters that have their state (`also_lost` counted as without) are a quorum of
  // every configuration of the slots the cluster works on, and of the one the changes under
  // way and `more` would make.
  bool keeps_quorum_with_state(const std::vector<MemberChange>& more, SiteId also_lost) const;
  void crash(SiteId s, CrashKind kind, bool in_io);
  // The sites up or the links between them changed: FaultLiveness recomputes who is covered.
  void topology_changed();
  void start(SiteId s);

  void fail(std::string checker, std::string explanation);
  // The site's files hold what its memory holds; stops its driver.
  std::optional<std::string> check_files(SiteId s);
  void final_checks();
  std::string describe_stuck() const;
  std::vector<SiteId> live_sites() const;
  std::optional<SiteId> leader() const;
  // The sites that must hold the same log at the end: up, and members of the configuration;
  // nullptr for the others.
  std::vector<const Replica*> member_replicas() const;

  SimConfig config_;
  Cluster cluster_;
  SimRandom random_;
  Trace trace_;
  SimNetwork network_;
  FaultPlan faults_;
  std::deque<Site> sites_;  // grows while sites are in use: references must stay valid
  std::vector<SimClient> clients_;
  SimOperator operator_;
  ClientHistory history_;
  AgreementChecker agreement_;
  ConfigurationChecker configuration_;
  FaultLiveness fault_liveness_;
  TimeMs now_ = 0;
  bool healed_ = false;
  RunResult result_;
};

// Runs one schedule; with `trace`, also renders its trace there.
RunResult run_simulation(const SimConfig& config, std::string* trace = nullptr);

}  // namespace paxoskv::sim
