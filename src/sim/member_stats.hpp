#pragma once

#include <cstdint>
#include <string>

namespace paxoskv::sim {

// The membership changes a run (or a sweep of runs) went through, to show that each kind
// happened: what the operator asked for, and what the decided log made of it.
struct MemberStats {
  // Asked for by the operator (SimOperator).
  std::uint64_t submitted = 0;
  std::uint64_t bursts = 0;    // a second change submitted together with the first
  std::uint64_t given_up = 0;  // the operator stopped waiting: the outcome is unknown to it
  // Decided in the log (ConfigurationChecker's replay), each request once.
  std::uint64_t applied = 0;
  std::uint64_t refused = 0;
  std::uint64_t refused_in_progress = 0;  // of `refused`: another change was in progress
  std::uint64_t added = 0;                // of `applied`, by kind
  std::uint64_t added_as_voter = 0;       // of `added`: `add … voter`
  std::uint64_t promoted = 0;
  std::uint64_t removed = 0;
  std::uint64_t removed_leader = 0;  // of `removed`: the leader at the time it was decided
  std::uint64_t transfers = 0;
  std::uint64_t by_leader = 0;  // of `applied`: a leader's own (promotion, hand-over)
  // Simulated sites.
  std::uint64_t sites_started = 0;  // added sites whose process was started
  std::uint64_t sites_retired = 0;  // removed sites stopped for good
  std::uint64_t added_crashed = 0;  // crashes of added sites, of any kind
  std::uint64_t added_wiped = 0;    // of `added_crashed`: the disk lost

  void add(const MemberStats& other);
  std::string describe() const;
};

}  // namespace paxoskv::sim
