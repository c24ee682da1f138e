#pragma once

// The linearizability search for one key whose history has a compare-and-swap
// (check_linearizable sends such keys here; the model is in linearizability.hpp).
//
// It is the Wing & Gong search with Lowe's memo, as for the other keys, but with only the
// reductions that stay exact when a write may depend on the value before it:
//   - a read (a get, or a cas that failed and found a value) that fits the current value is
//     taken at once, as the only move of its node;
//   - a write with an unknown outcome that would change nothing (a cas whose condition does
//     not hold, a put of the current value) is not tried: it may as well never happen;
//   - when the key has no append, a write with an unknown outcome is retired (counted as taken,
//     without effect) once no op left to take mentions the value it writes: reads it, or
//     expects it (a cas).
// On a violation the history is shrunk greedily by removals that cannot make a history fail:
// reads, and writes whose value no remaining op mentions.

#include <cstdint>
#include <string>
#include <vector>

#include "sim/linearizability_detail.hpp"

namespace paxoskv::sim::detail {

struct CasKeyVerdict {
  enum class Outcome { linearizable, violation, inconclusive };
  Outcome outcome = Outcome::linearizable;
  std::uint64_t states = 0;        // explored by the check (not by the shrinking)
  std::size_t ops = 0;             // ops searched
  std::vector<Operation> history;  // violation: the smallest failing sub-history found
  std::string explanation;         // violation: the ops and why no order works
};

// `ops`: the key's history, in any order.
CasKeyVerdict check_cas_key(const std::string& key, const OpList& ops, std::uint64_t max_states);

}  // namespace paxoskv::sim::detail
