#pragma once

// Linearizability checker for key-value client histories.
//
// Linearizability is local (Herlihy & Wing): a history is linearizable iff its sub-history on
// every key is, so each key is checked on its own, as Porcupine does. Each key's history is
// searched with the Wing & Gong algorithm plus Lowe's memoization of (set of linearized ops,
// model state).
//
// The model per key is an optional string, absent at first: put sets it, append concatenates
// (append to absent = put), delete makes it absent, get returns it. A cas (compare-and-swap)
// sets it to its value only if it is its `expected` value: a completed cas either applied
// (the value was `expected`) or failed with no effect (condition_failed). A failed cas must
// say what it found (`result`, as HTTP's 412 reports `current`): it is checked as a read of
// that value at one instant, a value that must differ from `expected`. (A site reads `current`
// at or after the slot where the condition failed, within the request; when no value is ever
// written twice, as in the net tests' loads, the value there still differs from `expected`.)
// A cas with an unknown outcome may apply at any instant after its invocation where the value
// is `expected`, or never.
//
// Timing rules:
//   - an op that completes at t and one invoked at t count as concurrent (times are coarse
//     milliseconds, so neither is known to precede the other);
//   - a write with an unknown outcome (ok == false or completed_ms == kNeverCompleted) may take
//     effect at any instant after its invocation, or never;
//   - a get with an unknown outcome carries no information and is ignored.
//
// Besides the memo, the search uses exact reductions that keep long, concurrent histories
// tractable (each is argued where it is implemented): a get that fits the current value is
// taken at once; a write after which a pending get can no longer read its value is not tried;
// values no get could ever read are merged into one state; unknown-outcome writes that no get
// may have seen are dropped, and retired once every get that may have seen them has taken
// effect; interchangeable unknown-outcome writes (same kind and value) are tried once.
// Distinct values per write (say "c3.17") make these work best: a value that is a substring
// of others only weakens them. A key with a cas is searched apart, with fewer reductions
// (cas_search.hpp).
//
// On a violation, the failing key's history is shrunk greedily. Only ops that no remaining get
// may have seen are removed, so the smaller history fails only if the full one does, for the
// same reads. The effort is bounded by counts, not time: the same history always gives the
// same report.

#include <cstdint>
#include <string>
#include <vector>

#include "sim/history.hpp"

namespace paxoskv::sim {

struct LinearizabilityReport {
  bool ok = true;
  // The search of some key gave up after max_states_per_key states: ok stays true but that key
  // was not proven linearizable. `explanation` names the keys.
  bool inconclusive = false;
  std::string key;                 // the key whose history is not linearizable
  std::vector<Operation> history;  // the smallest failing sub-history found, in invocation order
  std::string explanation;  // the ops in invocation order, one per line, and why no order works
  std::uint64_t states_explored = 0;  // by the main check, summed over keys (not the shrinking)
};

// Throws std::invalid_argument when an op completes before it is invoked.
LinearizabilityReport check_linearizable(const std::vector<Operation>& history,
                                         std::uint64_t max_states_per_key = 5'000'000);

}  // namespace paxoskv::sim
