#include "sim/client_history.hpp"

#include <algorithm>
#include <cassert>

namespace paxoskv::sim {

std::size_t ClientHistory::invoke(std::uint64_t client, OpKind kind, std::string key,
                                  std::string value, std::int64_t now_ms) {
  Operation op;
  op.client = client;
  op.kind = kind;
  op.key = std::move(key);
  op.value = std::move(value);
  op.invoked_ms = now_ms;
  op.completed_ms = kNeverCompleted;
  op.ok = false;
  ops_.push_back(std::move(op));
  state_.push_back(State::pending);
  return ops_.size() - 1;
}

void ClientHistory::complete(std::size_t index, std::int64_t now_ms,
                             std::optional<std::string> result) {
  assert(state_.at(index) == State::pending);
  Operation& op = ops_[index];
  assert(now_ms >= op.invoked_ms);
  op.completed_ms = now_ms;
  op.ok = true;
  op.result = std::move(result);
  state_[index] = State::completed;
}

std::size_t ClientHistory::invoke_cas(std::uint64_t client, std::string key, std::string expected,
                                      std::string value, std::int64_t now_ms) {
  const std::size_t index = invoke(client, OpKind::cas, std::move(key), std::move(value), now_ms);
  ops_[index].expected = std::move(expected);
  return index;
}

void ClientHistory::fail_condition(std::size_t index, std::int64_t now_ms,
                                   std::optional<std::string> found) {
  assert(ops_.at(index).kind == OpKind::cas);
  complete(index, now_ms, std::move(found));
  ops_[index].condition_failed = true;
}

void ClientHistory::abandon(std::size_t index) {
  assert(state_.at(index) == State::pending);
  state_[index] = State::abandoned;
}

void ClientHistory::refuse(std::size_t index) {
  assert(state_.at(index) == State::pending);
  state_[index] = State::refused;
}

std::size_t ClientHistory::count_completed() const {
  return static_cast<std::size_t>(std::count(state_.begin(), state_.end(), State::completed));
}

std::size_t ClientHistory::count_abandoned() const {
  return static_cast<std::size_t>(std::count(state_.begin(), state_.end(), State::abandoned));
}

std::vector<Operation> ClientHistory::for_checker() const {
  std::vector<Operation> out;
  out.reserve(ops_.size());
  for (std::size_t i = 0; i < ops_.size(); ++i)
    if (state_[i] == State::completed ||
        (ops_[i].kind != OpKind::get && state_[i] != State::refused))
      out.push_back(ops_[i]);
  return out;
}

}  // namespace paxoskv::sim
