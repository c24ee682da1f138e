#pragma once

#include <map>
#include <optional>
#include <vector>

#include "paxoskv/chain.hpp"

namespace paxoskv {

// The decided log. Decisions may arrive in any order; they join the log, with their chain
// hashes, only once every slot before them is decided, so the log is always a gap-free
// prefix and slots are applied strictly in order.
class Learner {
 public:
  // With `apply_early`, a decision beyond a gap is applied at once, in arrival order (an
  // injected bug for the simulator's tests).
  explicit Learner(bool apply_early = false) : apply_early_(apply_early) {}
  void restore(const std::vector<LogEntry>& log);

  // Records that `slot` is decided with `command`; entries that became contiguous are
  // appended to the log and to `newly_decided`.
  void learn(Slot slot, const Command& command, std::vector<LogEntry>& newly_decided);

  Slot decided_end() const { return log_.size(); }
  const std::vector<LogEntry>& log() const { return log_; }
  // The decided command of `slot`, from the log or from the decisions waiting for a gap.
  const Command* decided(Slot slot) const;
  const Hash& head() const { return log_.empty() ? genesis_hash : log_.back().hash; }
  // Times a slot was reported decided with a different command than the one learned first.
  // Paxos makes this impossible; the simulator asserts it stays zero.
  std::uint64_t conflicts() const { return conflicts_; }

 private:
  std::vector<LogEntry> log_;
  std::map<Slot, Command> waiting_;  // decided beyond a gap
  std::uint64_t conflicts_ = 0;
  bool apply_early_ = false;
};

}  // namespace paxoskv
