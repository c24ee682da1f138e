#include "sim/member_stats.hpp"

namespace paxoskv::sim {

void MemberStats::add(const MemberStats& o) {
  submitted += o.submitted;
  bursts += o.bursts;
  given_up += o.given_up;
  applied += o.applied;
  refused += o.refused;
  refused_in_progress += o.refused_in_progress;
  added += o.added;
  added_as_voter += o.added_as_voter;
  promoted += o.promoted;
  removed += o.removed;
  removed_leader += o.removed_leader;
  transfers += o.transfers;
  by_leader += o.by_leader;
  sites_started += o.sites_started;
  sites_retired += o.sites_retired;
  added_crashed += o.added_crashed;
  added_wiped += o.added_wiped;
}

std::string MemberStats::describe() const {
  auto n = [](std::uint64_t v) { return std::to_string(v); };
  return "membership: changes submitted=" + n(submitted) + " (" + n(bursts) +
         " two at once) given up=" + n(given_up) + ", decided applied=" + n(applied) +
         " refused=" + n(refused) + " (another in progress=" + n(refused_in_progress) +
         "); applied: added=" + n(added) + " (as voter=" + n(added_as_voter) +
         ") promoted=" + n(promoted) + " removed=" + n(removed) +
         " (the leader=" + n(removed_leader) + ") transfers=" + n(transfers) +
         ", a leader's own=" + n(by_leader) + "; sites started=" + n(sites_started) +
         " retired=" + n(sites_retired) + ", added ones crashed=" + n(added_crashed) +
         " (wiped=" + n(added_wiped) + ")";
}

}  // namespace paxoskv::sim
