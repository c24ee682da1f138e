#include "sim/sim_config.hpp"

#include <array>
#include <sstream>
#include <utility>

namespace paxoskv::sim {

namespace {

constexpr std::array<std::pair<InjectedBug, std::string_view>, 11> kBugNames{{
    {InjectedBug::none, "none"},
    {InjectedBug::forget_promise_on_restart, "forget_promise_on_restart"},
    {InjectedBug::accept_below_promise, "accept_below_promise"},
    {InjectedBug::ignore_promised_values, "ignore_promised_values"},
    {InjectedBug::apply_out_of_order, "apply_out_of_order"},
    {InjectedBug::no_check_quorum, "no_check_quorum"},
    {InjectedBug::wiped_voter_votes_at_once, "wiped_voter_votes_at_once"},
    {InjectedBug::two_changes_in_flight, "two_changes_in_flight"},
    {InjectedBug::change_used_before_decided, "change_used_before_decided"},
    {InjectedBug::forget_before_log_durable, "forget_before_log_durable"},
    {InjectedBug::ack_before_fsync, "ack_before_fsync"},
}};

}  // namespace

TimeMs SimConfig::fault_liveness_bound_ms() const {
  const double survive = (1 - drop_rate) * (1 - drop_rate);
  return static_cast<TimeMs>(static_cast<double>(fault_liveness_timeouts) *
                             static_cast<double>(replica_options().election_timeout_ms) / survive);
}

ReplicaOptions SimConfig::replica_options() const {
  ReplicaOptions options;
  options.bug = bug;
  options.snapshot_every = snapshot_every;
  options.log_tail = log_tail;
  return options;
}

std::string SimConfig::validate() const {
  if (voters < 1 || voters > 7) return "--sites must be between 1 and 7";
  if (learners > 4) return "--learners must be at most 4";
  if (clients < 1 || clients > 64) return "--clients must be between 1 and 64";
  if (keys < 1 || keys > 64) return "--keys must be between 1 and 64";
  if (drop_rate < 0 || drop_rate > 0.9) return "--drop must be between 0 and 0.9";
  if (dup_rate < 0 || dup_rate > 0.9) return "--dup must be between 0 and 0.9";
  if (late_rate < 0 || late_rate > 0.5) return "--late must be between 0 and 0.5";
  if (min_delay_ms < 0 || max_delay_ms < min_delay_ms) return "--delay needs 0 <= MIN <= MAX";
  if (mean_crash_interval_ms < kTickMs || mean_partition_interval_ms < kTickMs ||
      mean_member_change_interval_ms < kTickMs)
    return "fault intervals must be at least one tick";
  if (max_down_ms < kTickMs) return "--max-down must be at least one tick";
  if (liveness_bound_ms < kTickMs) return "--liveness-ms must be at least one tick";
  return "";
}

SimConfig mixed_config(std::uint64_t seed) {
  // Decimal literals only: command_line() prints them back exactly.
  constexpr std::array<double, 5> kDrops{0.0, 0.1, 0.2, 0.3, 0.4};
  SimConfig c;
  c.seed = seed;
  c.voters = seed % 13 == 0 ? 7 : seed % 2 == 0 ? 5 : 3;
  c.learners = seed % 3 == 0 ? 1 : 0;
  c.drop_rate = kDrops[(seed / 2) % kDrops.size()];
  c.dup_rate = seed % 4 == 0 ? 0.2 : 0.05;
  c.late_rate = seed % 6 == 1 ? 0.05 : 0.01;
  c.reorder = seed % 10 != 7;
  c.clients = 3 + seed % 4;
  c.keys = 2 + seed % 3;
  c.mean_crash_interval_ms = seed % 5 == 0 ? 400 : 1500;
  // Some network shapes last long enough for FaultLiveness to hold them to its bound.
  c.mean_partition_interval_ms = seed % 7 == 0 ? 300 : seed % 11 == 0 ? 5000 : 1000;
  // Three seeds in four change the membership, some of them every few hundred ms.
  c.member_changes = seed % 4 != 3;
  c.mean_member_change_interval_ms = seed % 8 < 2 ? 500 : 2000;
  c.snapshot_every = seed % 3 == 1 ? 10 : seed % 3 == 2 ? 20 : 50;
  c.log_tail = seed % 2 == 0 ? 2 : 10;
  return c;
}

std::string_view bug_name(InjectedBug bug) {
  for (const auto& [b, name] : kBugNames)
    if (b == bug) return name;
  return "?";
}

std::optional<InjectedBug> bug_from_name(std::string_view name) {
  for (const auto& [b, n] : kBugNames)
    if (n == name) return b;
  return std::nullopt;
}

std::string command_line(const SimConfig& c) {
  const SimConfig d;
  std::ostringstream out;
  out << "paxoskv-sim --seed " << c.seed << " --sites " << c.voters << " --steps " << c.steps;
  if (c.learners != d.learners) out << " --learners " << c.learners;
  if (c.clients != d.clients) out << " --clients " << c.clients;
  if (c.keys != d.keys) out << " --keys " << c.keys;
  if (c.drop_rate != d.drop_rate) out << " --drop " << c.drop_rate;
  if (c.dup_rate != d.dup_rate) out << " --dup " << c.dup_rate;
  if (c.late_rate != d.late_rate) out << " --late " << c.late_rate;
  if (c.min_delay_ms != d.min_delay_ms || c.max_delay_ms != d.max_delay_ms)
    out << " --delay " << c.min_delay_ms << ':' << c.max_delay_ms;
  if (!c.reorder) out << " --no-reorder";
  if (!c.partitions) out << " --no-partitions";
  if (c.partitions && c.mean_partition_interval_ms != d.mean_partition_interval_ms)
    out << " --partition-every " << c.mean_partition_interval_ms;
  if (!c.crashes) out << " --no-crashes";
  if (c.crashes && c.mean_crash_interval_ms != d.mean_crash_interval_ms)
    out << " --crash-every " << c.mean_crash_interval_ms;
  if (c.crashes && c.max_down_ms != d.max_down_ms) out << " --max-down " << c.max_down_ms;
  if (c.member_changes) out << " --member-changes";
  if (c.member_changes && c.mean_member_change_interval_ms != d.mean_member_change_interval_ms)
    out << " --member-every " << c.mean_member_change_interval_ms;
  if (c.liveness_bound_ms != d.liveness_bound_ms) out << " --liveness-ms " << c.liveness_bound_ms;
  if (c.snapshot_every != d.snapshot_every) out << " --snapshot-every " << c.snapshot_every;
  if (c.log_tail != d.log_tail) out << " --log-tail " << c.log_tail;
  if (c.bug != InjectedBug::none) out << " --bug " << bug_name(c.bug);
  return out.str();
}

}  // namespace paxoskv::sim
