#pragma once

#include <optional>
#include <string>
#include <vector>

#include "paxoskv/chain.hpp"
#include "paxoskv/replica.hpp"
#include "sim/client_history.hpp"

namespace paxoskv::sim {

// Agreement: no slot is ever decided with two different commands, anywhere. Every decision
// that shows up (a site's newly decided log entries, and the decided entries sites send each
// other in commits and catch-up replies, which is what a learner would count as a conflict)
// is compared with the first decision seen for its slot.
class AgreementChecker {
 public:
  // Why `command` contradicts an earlier decision of `slot`, or nothing.
  std::optional<std::string> observe(Slot slot, const Command& command, SiteId site, TimeMs now,
                                     const char* source);
  Slot slots_seen() const { return first_.size(); }
  // The command first seen decided in `slot`, or nullptr.
  const Command* decided(Slot slot) const {
    return slot < first_.size() && first_[slot].known ? &first_[slot].command : nullptr;
  }

 private:
  struct Decision {
    bool known = false;
    Command command;
    SiteId site = 0;
    TimeMs at = 0;
    const char* source = "";
  };
  std::vector<Decision> first_;  // by slot: slots are dense from 0
};

std::string describe(const Command& command);

// After healing: every site holds the same log entries (commands and chain hashes), the same
// chain head and the same applied map. `replicas[i]` is site i, or nullptr for a site left out
// (one removed from the configuration).
std::optional<std::string> check_identical_logs(const std::vector<const Replica*>& replicas);
// Cheap test of the same thing, to know when to stop running: same length, same head.
bool logs_converged(const std::vector<const Replica*>& replicas);
// Each entry's hash is chain_hash(slot, command, previous hash), from the hash the log starts
// from (the genesis hash, or after compaction hash(log_start - 1), which the snapshot names).
std::optional<std::string> check_chain(const Replica& replica);
// What a site recovers from its disk (`restored`) is what it held in memory (`live`).
std::optional<std::string> check_durable_log(SiteId site, const Replica& restored,
                                             const Replica& live);
// Linearizability of the client history; a search that ran out of budget passes but sets
// `inconclusive`.
std::optional<std::string> check_history(const ClientHistory& history, bool& inconclusive);

}  // namespace paxoskv::sim
