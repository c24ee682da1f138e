#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "paxoskv/replica.hpp"
#include "sim/checkers.hpp"
#include "sim/client_history.hpp"
#include "sim/fault_plan.hpp"
#include "sim/sim_client.hpp"
#include "sim/sim_config.hpp"
#include "sim/sim_disk.hpp"
#include "sim/sim_network.hpp"
#include "sim/sim_random.hpp"
#include "sim/trace.hpp"

namespace paxoskv::sim {

// The faults a run (or a sweep of runs) went through, to show that each kind happened.
struct FaultStats {
  std::array<std::uint64_t, 4> crashes{};                       // by CrashPoint
  std::array<std::uint64_t, kNetworkShapes> network_changes{};  // by NetworkShape
  NetworkStats network;
  std::uint64_t lost_to_down_sites = 0;
  std::uint64_t unknown_outcomes = 0;     // operations a client gave up on
  std::uint64_t snapshots_taken = 0;      // compactions persisted
  std::uint64_t snapshots_installed = 0;  // snapshots received by transfer and persisted

  void add(const FaultStats& other);
  std::uint64_t total_crashes() const;
  std::string describe() const;
};

struct RunResult {
  bool ok = true;
  // The checker that failed: "agreement", "durability", "identical logs", "chain",
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
  FaultStats faults;
};

// The world of one run: the real consensus core (paxoskv::Replica, the object the site drives)
// at every site, each with a simulated disk, under one simulated clock and network, with
// clients. A fault phase of `steps` ticks (partitions, loss, duplication, delays, crashes at
// any point of a Ready's handling) is followed by a heal phase: faults stop, crashed sites
// restart, links heal, and the run goes on until every client is done and every site holds the
// same log, or the liveness bound passes. Then the checkers judge.
class Simulator {
 public:
  explicit Simulator(const SimConfig& config);
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  RunResult run();
  const Trace& trace() const { return trace_; }

 private:
  struct Site {
    std::optional<Replica> replica;  // empty while the site is down
    SimDisk disk;
    std::uint32_t incarnation = 0;
    TimeMs restart_at = 0;
    // A crash waiting for the next Ready that has records to persist.
    std::optional<CrashPoint> armed;
    TimeMs armed_until = 0;
    // A snapshot handed out in a Ready (Ready::snapshot), in the hands of the site's writer
    // thread until `due`; `written` once its file is on disk, before the replica hears.
    struct PendingSnapshot {
      std::shared_ptr<const SnapshotSource> source;
      std::shared_ptr<const SnapshotImage> written;
      TimeMs due = 0;
    };
    std::optional<PendingSnapshot> snapshot;
  };

  void step(bool faults);
  void advance_to(TimeMs until);
  void inject_faults();
  void clients_act();
  void heal();
  bool settled() const;

  void deliver(TimeMs at, InFlight message);
  void drain(SiteId s);
  void check_decisions(SiteId s, const Ready& ready);
  void send(SiteId s, Ready& ready);
  void crash_in_ready(SiteId s, const Ready& ready);
  void write_pending_snapshot(Site& site);
  void finish_snapshots();
  void crash(SiteId s, CrashPoint point);
  void start(SiteId s);

  void fail(std::string checker, std::string explanation);
  void final_checks();
  std::string describe_stuck() const;
  std::vector<SiteId> live_sites() const;
  std::optional<SiteId> leader() const;
  std::vector<const Replica*> replicas() const;

  SimConfig config_;
  Cluster cluster_;
  SimRandom random_;
  Trace trace_;
  SimNetwork network_;
  FaultPlan faults_;
  std::vector<Site> sites_;
  std::vector<SimClient> clients_;
  ClientHistory history_;
  AgreementChecker agreement_;
  TimeMs now_ = 0;
  bool healed_ = false;
  RunResult result_;
};

// Runs one schedule; with `trace`, also renders its trace there.
RunResult run_simulation(const SimConfig& config, std::string* trace = nullptr);

}  // namespace paxoskv::sim
