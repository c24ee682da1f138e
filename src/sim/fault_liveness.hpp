#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "paxoskv/cluster.hpp"
#include "paxoskv/command.hpp"
#include "paxoskv/replica.hpp"

namespace paxoskv::sim {

// Liveness during faults, not only after them: while a set of sites that are up (and not
// recovering from lost state, when they may not vote yet) holds a quorum of voters of every
// configuration of the slots the cluster works on (from its decided end to α slots above,
// README "Membership": a leader needs them all) and every link between them works both ways
// (whatever else is broken: one-way cuts, a leader that cannot hear, a site that reaches no
// one, crashed sites), a request submitted at one of its voters completes within `bound_ms`,
// counted from its submission or from when that set last formed, whichever is later. Random
// loss, duplication and delay go on meanwhile.
class FaultLiveness {
 public:
  explicit FaultLiveness(TimeMs bound_ms);

  // The sites that are up, the links between them or the configurations of the slots the
  // cluster works on changed at `now`. `up` has an entry for every site.
  void changed(TimeMs now, const std::vector<bool>& up,
               const std::function<bool(SiteId from, SiteId to)>& cut,
               const std::vector<const Cluster*>& configs);
  void submitted(SiteId site, RequestId id, TimeMs now);
  void completed(SiteId site, RequestId id, TimeMs now);
  // Its requests died with it.
  void crashed(SiteId site);
  // Why a request is overdue at `now`, or nothing.
  std::optional<std::string> check(TimeMs now) const;

  // The longest a request took that was submitted in a connected quorum and completed there.
  TimeMs longest_ms() const { return longest_ms_; }
  std::uint64_t covered_requests() const { return covered_requests_; }

 private:
  // Sizes the tables for sites up to `site`.
  void track(SiteId site);

  TimeMs bound_ms_;
  TimeMs epoch_start_ = 0;
  std::vector<bool> covered_;  // by site: in a connected quorum of up voters since epoch_start_
  std::vector<std::map<RequestId, TimeMs>> pending_;  // by site: submitted, not completed
  TimeMs longest_ms_ = 0;
  std::uint64_t covered_requests_ = 0;
};

}  // namespace paxoskv::sim
