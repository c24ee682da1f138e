#pragma once

#include <map>
#include <optional>
#include <vector>

#include "paxoskv/chain.hpp"

namespace paxoskv {

// The decided log. Decisions may arrive in any order; they join the log, with their chain
// hashes, only once every slot before them is decided, so the log is always a gap-free
// prefix and slots are applied strictly in order. After compaction the log in memory starts
// at `base()`: slots below are folded into a snapshot, and `base_hash()` is hash(base - 1).
class Learner {
 public:
  // With `apply_early`, a decision beyond a gap is applied at once, in arrival order (an
  // injected bug for the simulator's tests).
  explicit Learner(bool apply_early = false) : apply_early_(apply_early) {}
  // `log` holds slots [base, base + log.size()) chained from `base_hash`.
  void restore(Slot base, const Hash& base_hash, const std::vector<LogEntry>& log);
  void restore(const std::vector<LogEntry>& log) { restore(0, genesis_hash, log); }

  // Records that `slot` is decided with `command`; entries that became contiguous are
  // appended to the log and to `newly_decided`. Slots below decided_end() are only compared.
  void learn(Slot slot, const Command& command, std::vector<LogEntry>& newly_decided);

  // Drops the entries below `new_base` (at most decided_end()).
  void compact(Slot new_base);
  // Replaces the log by an empty one at `base` (beyond decided_end(), from a snapshot), then
  // joins any waiting decisions that continue it; those are appended to `newly_decided`.
  void install(Slot base, const Hash& base_hash, std::vector<LogEntry>& newly_decided);

  Slot base() const { return base_; }
  const Hash& base_hash() const { return base_hash_; }
  Slot decided_end() const { return base_ + log_.size(); }
  // Slots [base(), decided_end()).
  const std::vector<LogEntry>& log() const { return log_; }
  // The decided command of `slot`, from the log or from the decisions waiting for a gap;
  // nullptr when unknown here or compacted away.
  const Command* decided(Slot slot) const;
  const Hash& head() const { return log_.empty() ? base_hash_ : log_.back().hash; }
  // Times a slot was reported decided with a different command than the one learned first.
  // Paxos makes this impossible; the simulator asserts it stays zero.
  std::uint64_t conflicts() const { return conflicts_; }

 private:
  void join_waiting(std::vector<LogEntry>& newly_decided);

  Slot base_ = 0;
  Hash base_hash_ = genesis_hash;
  std::vector<LogEntry> log_;
  std::map<Slot, Command> waiting_;  // decided beyond a gap
  std::uint64_t conflicts_ = 0;
  bool apply_early_ = false;
};

}  // namespace paxoskv
