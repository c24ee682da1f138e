#include "core/learner.hpp"

#include <cassert>

namespace paxoskv {

void Learner::restore(Slot base, const Hash& base_hash, const std::vector<LogEntry>& log) {
  base_ = base;
  base_hash_ = base_hash;
  log_ = log;
  waiting_.clear();
  for (Slot i = 0; i < log_.size(); ++i) assert(log_[i].slot == base_ + i);
}

void Learner::learn(Slot slot, const Command& command, std::vector<LogEntry>& newly_decided) {
  if (slot < base_) return;  // compacted: decided long ago, nothing left to compare with
  if (const Command* known = decided(slot)) {
    if (!(*known == command)) ++conflicts_;
    return;
  }
  if (apply_early_ && slot > decided_end()) {
    Slot next = decided_end();
    Hash hash = chain_hash(next, command, head());
    log_.push_back(LogEntry{next, command, hash});
    newly_decided.push_back(log_.back());
    return;
  }
  waiting_.emplace(slot, command);
  join_waiting(newly_decided);
}

void Learner::join_waiting(std::vector<LogEntry>& newly_decided) {
  while (!waiting_.empty() && waiting_.begin()->first <= decided_end()) {
    Slot next = decided_end();
    if (waiting_.begin()->first < next) {  // superseded by an installed snapshot
      waiting_.erase(waiting_.begin());
      continue;
    }
    Command c = std::move(waiting_.begin()->second);
    waiting_.erase(waiting_.begin());
    Hash hash = chain_hash(next, c, head());
    log_.push_back(LogEntry{next, std::move(c), hash});
    newly_decided.push_back(log_.back());
  }
}

void Learner::compact(Slot new_base) {
  assert(new_base <= decided_end());
  if (new_base <= base_) return;
  base_hash_ = log_[new_base - base_ - 1].hash;
  log_.erase(log_.begin(), log_.begin() + static_cast<std::ptrdiff_t>(new_base - base_));
  base_ = new_base;
}

void Learner::install(Slot base, const Hash& base_hash, std::vector<LogEntry>& newly_decided) {
  assert(base > decided_end());
  base_ = base;
  base_hash_ = base_hash;
  log_.clear();
  join_waiting(newly_decided);
}

const Command* Learner::decided(Slot slot) const {
  if (slot < base_) return nullptr;
  if (slot < decided_end()) return &log_[slot - base_].command;
  auto it = waiting_.find(slot);
  return it == waiting_.end() ? nullptr : &it->second;
}

}  // namespace paxoskv
