#include "core/kv_store.hpp"

#include <cassert>

namespace paxoskv {

ApplyResult KvStore::apply(const Command& command) {
  if (command.op == Op::noop) return {};
  ClientRecord& client = clients_[command.id.client];
  if (command.id.seq <= client.last_seq) {
    // A retry of something already applied. An older seq can only be a stale retry: its
    // client has moved on, so it must not take effect now.
    ApplyResult again = command.id.seq == client.last_seq ? client.last_result : ApplyResult{};
    again.duplicate = true;
    return again;
  }
  ApplyResult result = execute(command);
  client.last_seq = command.id.seq;
  client.last_result = result;
  return result;
}

ApplyResult KvStore::execute(const Command& command) {
  switch (command.op) {
    case Op::put:
      map_[command.key] = command.value;
      ever_set_.insert(command.key);
      return {};
    case Op::append:
      map_[command.key] += command.value;
      ever_set_.insert(command.key);
      return {};
    case Op::del:
      map_.erase(command.key);
      return {};
    case Op::tag:
      if (ever_set_.contains(command.key)) return {false, "key exists", false};
      map_[command.key] = command.value;
      ever_set_.insert(command.key);
      return {};
    case Op::noop:
      return {};
  }
  return {};
}

bool KvStore::already_applied(RequestId id) const {
  auto it = clients_.find(id.client);
  return it != clients_.end() && id.seq <= it->second.last_seq;
}

ApplyResult KvStore::result_of(RequestId id) const {
  assert(already_applied(id));
  const ClientRecord& client = clients_.at(id.client);
  return id.seq == client.last_seq ? client.last_result : ApplyResult{};
}

std::optional<std::string> KvStore::get(const std::string& key) const {
  auto it = map_.find(key);
  if (it == map_.end()) return std::nullopt;
  return it->second;
}

}  // namespace paxoskv
