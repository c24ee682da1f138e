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

// Liveness during faults, not only after them: while a quorum of voters is up (and not
// recovering from lost state, when it may not vote yet) and every link between them works both
// ways (whatever else is broken: one-way cuts, a leader that cannot
// hear, a site that reaches no one, crashed sites), a request submitted at one of them
// completes within `bound_ms`, counted from its submission or from when that quorum last
// formed, whichever is later. Random loss, duplication and delay go on meanwhile.
class FaultLiveness {
 public:
  FaultLiveness(const Cluster& cluster, TimeMs bound_ms);

  // The sites that are up, or the links between them, changed at `now`.
  void changed(TimeMs now, const std::vector<bool>& up,
               const std::function<bool(SiteId from, SiteId to)>& cut);
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
  const Cluster& cluster_;
  TimeMs bound_ms_;
  TimeMs epoch_start_ = 0;
  std::vector<bool> covered_;  // by site: in a connected quorum of up voters since epoch_start_
  std::vector<std::map<RequestId, TimeMs>> pending_;  // by site: submitted, not completed
  TimeMs longest_ms_ = 0;
  std::uint64_t covered_requests_ = 0;
};

}  // namespace paxoskv::sim
