#include "sim/fault_plan.hpp"

#include <cassert>

namespace paxoskv::sim {

FaultPlan::FaultPlan(const SimConfig& config, SimRandom& random, Trace& trace)
    : random_(random),
      trace_(trace),
      sites_(config.sites()),
      partitions_(config.partitions && config.sites() > 1),
      crashes_(config.crashes),
      partition_chance_(static_cast<double>(kTickMs) /
                        static_cast<double>(config.mean_partition_interval_ms)),
      crash_chance_(static_cast<double>(kTickMs) /
                    static_cast<double>(config.mean_crash_interval_ms)),
      max_down_ms_(config.max_down_ms) {}

const char* network_shape_name(NetworkShape shape) {
  switch (shape) {
    case NetworkShape::healed:
      return "healed";
    case NetworkShape::split:
      return "split";
    case NetworkShape::leader_isolated:
      return "leader isolated";
    case NetworkShape::leader_one_way:
      return "leader cut one way";
    case NetworkShape::one_way_cuts:
      return "one-way cuts";
    case NetworkShape::link_toggled:
      return "link toggled";
  }
  return "?";
}

bool FaultPlan::maybe_repartition(TimeMs now, SimNetwork& network,
                                  const std::function<std::optional<SiteId>()>& find_leader) {
  if (!partitions_ || !random_.chance(partition_chance_)) return false;
  const std::optional<SiteId> leader = find_leader();
  const SiteId target = leader ? *leader : random_site();
  const NetworkShape shape = reshape(network, target);
  ++shapes_[static_cast<std::size_t>(shape)];
  std::string what = network_shape_name(shape);
  if (shape == NetworkShape::leader_isolated || shape == NetworkShape::leader_one_way)
    what += std::string(" (s") + std::to_string(target) + (leader ? ", the leader)" : ")");
  trace_.note(now, TraceKind::network, Trace::kNoSite, what + "; cut: " + network.describe_cuts());
  return true;
}

NetworkShape FaultPlan::reshape(SimNetwork& network, SiteId target) {
  const std::uint64_t dice = random_.below(100);
  if (dice < 25) {
    network.heal();
    return NetworkShape::healed;
  }
  if (dice < 45) {
    split(network);
    return NetworkShape::split;
  }
  if (dice < 60) {
    cut_all_links_of(network, target, true, true);
    return NetworkShape::leader_isolated;
  }
  if (dice < 75) {
    // A leader that is heard but cannot hear, or hears but is not heard.
    const bool outgoing = random_.chance(0.5);
    cut_all_links_of(network, target, outgoing, !outgoing);
    return NetworkShape::leader_one_way;
  }
  if (dice < 85) {
    random_one_way_cuts(network);
    return NetworkShape::one_way_cuts;
  }
  toggle_one_link(network);
  return NetworkShape::link_toggled;
}

void FaultPlan::split(SimNetwork& network) {
  // Any split into two non-empty sides, majority on either side or on none.
  std::vector<char> side(sites_);
  const std::uint64_t all = (std::uint64_t{1} << sites_) - 1;
  const std::uint64_t mask = 1 + random_.below(all - 1);  // neither empty nor everything
  for (std::size_t i = 0; i < sites_; ++i) side[i] = (mask >> i) & 1;
  network.heal();
  for (SiteId a = 0; a < sites_; ++a)
    for (SiteId b = 0; b < sites_; ++b)
      if (side[a] != side[b]) network.set_cut(a, b, true);
}

void FaultPlan::cut_all_links_of(SimNetwork& network, SiteId site, bool outgoing, bool incoming) {
  network.heal();
  for (SiteId other = 0; other < sites_; ++other) {
    if (other == site) continue;
    if (outgoing) network.set_cut(site, other, true);
    if (incoming) network.set_cut(other, site, true);
  }
}

void FaultPlan::random_one_way_cuts(SimNetwork& network) {
  network.heal();
  for (SiteId a = 0; a < sites_; ++a)
    for (SiteId b = 0; b < sites_; ++b)
      if (a != b && random_.chance(0.25)) network.set_cut(a, b, true);
}

void FaultPlan::toggle_one_link(SimNetwork& network) {
  const SiteId a = random_site();
  SiteId b = static_cast<SiteId>(random_.below(sites_ - 1));
  if (b >= a) ++b;
  network.set_cut(a, b, !network.is_cut(a, b));
}

std::optional<CrashOrder> FaultPlan::maybe_crash(const std::vector<SiteId>& candidates) {
  if (!crashes_ || candidates.empty() || !random_.chance(crash_chance_)) return std::nullopt;
  CrashOrder order;
  order.site = candidates[random_.below(candidates.size())];
  // One crash in ten loses the disk; the others are process crashes and power cuts alike.
  order.kind = random_.below(10) == 0 ? CrashKind::wipe : static_cast<CrashKind>(random_.below(2));
  order.in_io = order.kind != CrashKind::wipe && random_.below(4) != 0;
  return order;
}

const char* crash_kind_name(CrashKind kind) {
  switch (kind) {
    case CrashKind::process:
      return "process";
    case CrashKind::power_cut:
      return "power-cut";
    case CrashKind::wipe:
      return "wipe";
  }
  return "?";
}

TimeMs FaultPlan::down_time() {
  return random_.between(kTickMs, max_down_ms_);
}

}  // namespace paxoskv::sim
