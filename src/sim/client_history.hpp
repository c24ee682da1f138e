#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/history.hpp"

namespace paxoskv::sim {

// The history of every client operation of a run, as the linearizability checker wants it:
// a write whose outcome stays unknown is kept (it may or may not have taken effect), a read
// that never returned is left out, and so is a write refused before it could take effect.
class ClientHistory {
 public:
  std::size_t invoke(std::uint64_t client, OpKind kind, std::string key, std::string value,
                     std::int64_t now_ms);
  // A cas: `value` only if the key holds `expected`.
  std::size_t invoke_cas(std::uint64_t client, std::string key, std::string expected,
                         std::string value, std::int64_t now_ms);
  // Done (for a cas: applied); `result` is what a get read.
  void complete(std::size_t index, std::int64_t now_ms, std::optional<std::string> result);
  // A cas whose condition failed: no effect; it found `found`.
  void fail_condition(std::size_t index, std::int64_t now_ms, std::optional<std::string> found);
  // The client stopped waiting: the outcome is unknown.
  void abandon(std::size_t index);
  // Refused before it could take effect (nothing was done): left out, like a failed get.
  void refuse(std::size_t index);

  const Operation& at(std::size_t index) const { return ops_.at(index); }
  bool completed(std::size_t index) const { return state_.at(index) == State::completed; }
  bool refused(std::size_t index) const { return state_.at(index) == State::refused; }
  std::size_t size() const { return ops_.size(); }
  std::size_t count_completed() const;
  std::size_t count_abandoned() const;
  // Everything the checker should judge; operations still pending count as unknown.
  std::vector<Operation> for_checker() const;

 private:
  enum class State : std::uint8_t { pending, completed, abandoned, refused };
  std::vector<Operation> ops_;
  std::vector<State> state_;
};

}  // namespace paxoskv::sim
