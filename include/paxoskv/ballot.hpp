#pragma once

#include <compare>
#include <cstdint>
#include <string>

namespace paxoskv {

// Index of a site in the hosts file; it is also the tie-breaker of ballots.
using SiteId = std::uint32_t;
// Position in the replicated log, counted from 0.
using Slot = std::uint64_t;

// A ballot is (round, site index), ordered lexicographically, so two sites never
// use the same ballot. Round 0 is the null ballot: nothing promised or accepted.
struct Ballot {
  std::uint64_t round = 0;
  SiteId site = 0;

  auto operator<=>(const Ballot&) const = default;
  bool is_null() const { return round == 0; }
};

// "7.2": round 7 of site 2.
inline std::string to_string(Ballot b) {
  return std::to_string(b.round) + "." + std::to_string(b.site);
}

}  // namespace paxoskv
