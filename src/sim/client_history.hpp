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
// that never returned is left out.
class ClientHistory {
 public:
  std::size_t invoke(std::uint64_t client, OpKind kind, std::string key, std::string value,
                     std::int64_t now_ms);
  void complete(std::size_t index, std::int64_t now_ms, std::optional<std::string> result);
  // The client stopped waiting: the outcome is unknown.
  void abandon(std::size_t index);

  const Operation& at(std::size_t index) const { return ops_.at(index); }
  bool completed(std::size_t index) const { return state_.at(index) == State::completed; }
  std::size_t size() const { return ops_.size(); }
  std::size_t count_completed() const;
  std::size_t count_abandoned() const;
  // Everything the checker should judge; operations still pending count as unknown.
  std::vector<Operation> for_checker() const;

 private:
  enum class State : std::uint8_t { pending, completed, abandoned };
  std::vector<Operation> ops_;
  std::vector<State> state_;
};

}  // namespace paxoskv::sim
