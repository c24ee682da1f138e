#pragma once

#include <optional>
#include <string>
#include <vector>

#include "paxoskv/chain.hpp"
#include "paxoskv/message.hpp"

namespace paxoskv {

// The outcome of a command submitted at this site.
struct Completion {
  RequestId id;
  bool ok = false;
  std::string reason;  // why it failed, for the user
  bool is_read = false;
  std::optional<std::string> value;  // a read's result; nullopt is null
};

// What the core asks its driver to do, in this order (the idea of etcd raft's Ready):
//   1. append `promised` and `accepted` to the acceptor state and `decided` to the log,
//      and fsync both: nothing below may be seen by anyone before that;
//   2. send `messages`;
//   3. report `completions`.
struct Ready {
  std::optional<Ballot> promised;
  std::vector<AcceptedEntry> accepted;
  std::vector<LogEntry> decided;  // contiguous, in slot order, continuing the log
  std::vector<Envelope> messages;
  std::vector<Completion> completions;
  bool kv_changed = false;  // the applied map changed since the last Ready

  bool must_persist() const { return promised || !accepted.empty() || !decided.empty(); }
  bool empty() const {
    return !must_persist() && messages.empty() && completions.empty() && !kv_changed;
  }
};

}  // namespace paxoskv
