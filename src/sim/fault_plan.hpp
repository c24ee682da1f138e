#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "sim/sim_config.hpp"
#include "sim/sim_network.hpp"
#include "sim/sim_random.hpp"
#include "sim/trace.hpp"

namespace paxoskv::sim {

// The shapes the fault plan gives the network.
enum class NetworkShape : std::uint8_t {
  healed,
  split,            // two sides, cut both ways
  leader_isolated,  // the leader (or a random site when there is none) cut off both ways
  leader_one_way,   // the leader can only send, or only receive
  one_way_cuts,     // random directed links cut
  link_toggled,     // one directed link clogged or unclogged, the others unchanged
};
inline constexpr std::size_t kNetworkShapes = 6;
const char* network_shape_name(NetworkShape shape);

// How a crash strikes a site, and what of its disk survives it.
enum class CrashKind : std::uint8_t {
  process,    // the process dies: every byte it wrote survives, fsynced or not
  power_cut,  // the power goes: of what was not fsynced, any subset of pages survives
  wipe,       // the disk is lost: the site comes back with an empty one
};
inline constexpr std::size_t kCrashKinds = 3;
const char* crash_kind_name(CrashKind kind);

struct CrashOrder {
  SiteId site = 0;
  CrashKind kind = CrashKind::process;
  // Struck inside one of the next few operations that change the site's disk (a write
  // lands in part), rather than between two inputs.
  bool in_io = false;
};

// The faults of the fault phase, decided tick by tick from the run's random source: when the
// network changes shape (splits, the leader isolated or cut one way, random one-way cuts,
// links clogged and unclogged one at a time) and which site crashes at which point.
class FaultPlan {
 public:
  FaultPlan(const SimConfig& config, SimRandom& random, Trace& trace);

  // Perhaps gives the network a new shape; true if it did. `leader` finds the current leader,
  // if any (asked only when needed: it is not free).
  bool maybe_repartition(TimeMs now, SimNetwork& network,
                         const std::function<std::optional<SiteId>()>& leader);
  // Perhaps orders a crash of one of `candidates`.
  std::optional<CrashOrder> maybe_crash(const std::vector<SiteId>& candidates);
  // How long a crashed site stays down.
  TimeMs down_time();
  // A site added to the cluster, with the next id: the network's shapes include it.
  void add_site() { ++sites_; }

  // Network changes so far, by NetworkShape.
  const std::array<std::uint64_t, kNetworkShapes>& shapes() const { return shapes_; }

 private:
  NetworkShape reshape(SimNetwork& network, SiteId target);
  void split(SimNetwork& network);
  void cut_all_links_of(SimNetwork& network, SiteId site, bool outgoing, bool incoming);
  void random_one_way_cuts(SimNetwork& network);
  void toggle_one_link(SimNetwork& network);
  SiteId random_site() { return static_cast<SiteId>(random_.below(sites_)); }

  SimRandom& random_;
  Trace& trace_;
  std::size_t sites_;
  bool partitions_;
  bool crashes_;
  double partition_chance_;  // per tick
  double crash_chance_;      // per tick
  TimeMs max_down_ms_;
  std::array<std::uint64_t, kNetworkShapes> shapes_{};
};

}  // namespace paxoskv::sim
