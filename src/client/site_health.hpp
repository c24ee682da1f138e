#pragma once

#include <chrono>
#include <cstddef>
#include <vector>

#include "paxoskv/ballot.hpp"

namespace paxoskv::client {

// Which sites did not answer lately, shared by the sessions of one process. Once a site dies
// (or is removed from the cluster and stopped), the first session whose attempt times out
// there spares the others that wait: every session then goes round it to the next site, until
// the hold runs out or the site answers again.
class SiteHealth {
 public:
  using Clock = std::chrono::steady_clock;

  explicit SiteHealth(std::size_t sites, Clock::duration hold = std::chrono::seconds(5))
      : suspect_until_(sites), hold_(hold) {}

  void timed_out(SiteId site, Clock::time_point now) { suspect_until_.at(site) = now + hold_; }
  void answered(SiteId site) { suspect_until_.at(site) = Clock::time_point{}; }
  bool suspect(SiteId site, Clock::time_point now) const { return now < suspect_until_.at(site); }

 private:
  std::vector<Clock::time_point> suspect_until_;
  Clock::duration hold_;
};

}  // namespace paxoskv::client
