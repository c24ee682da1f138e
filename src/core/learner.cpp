#include "core/learner.hpp"

#include <cassert>

namespace paxoskv {

void Learner::restore(const std::vector<LogEntry>& log) {
  log_ = log;
  waiting_.clear();
  for (Slot s = 0; s < log_.size(); ++s) assert(log_[s].slot == s);
}

void Learner::learn(Slot slot, const Command& command, std::vector<LogEntry>& newly_decided) {
  if (const Command* known = decided(slot)) {
    if (!(*known == command)) ++conflicts_;
    return;
  }
  if (apply_early_ && slot > log_.size()) {
    Hash hash = chain_hash(log_.size(), command, head());
    log_.push_back(LogEntry{log_.size(), command, hash});
    newly_decided.push_back(log_.back());
    return;
  }
  waiting_.emplace(slot, command);
  while (!waiting_.empty() && waiting_.begin()->first == log_.size()) {
    Slot next = log_.size();
    Command c = std::move(waiting_.begin()->second);
    waiting_.erase(waiting_.begin());
    Hash hash = chain_hash(next, c, head());
    log_.push_back(LogEntry{next, std::move(c), hash});
    newly_decided.push_back(log_.back());
  }
}

const Command* Learner::decided(Slot slot) const {
  if (slot < log_.size()) return &log_[slot].command;
  auto it = waiting_.find(slot);
  return it == waiting_.end() ? nullptr : &it->second;
}

}  // namespace paxoskv
