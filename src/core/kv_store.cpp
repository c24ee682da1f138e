#include "core/kv_store.hpp"

#include <algorithm>
#include <cassert>

#include "paxoskv/limits.hpp"

namespace paxoskv {

ApplyResult KvStore::apply(const Command& command) {
  if (command.op == Op::noop) return {};
  return apply_once(command, [&] { return execute(command); });
}

// A retry of something already applied. An older seq can only be a stale retry: its client has
// moved on, so it must not take effect now.
ApplyResult KvStore::retried(const Command& command, const ClientRecord& client) {
  ApplyResult again = command.id.seq == client.last_seq ? client.last_result : ApplyResult{};
  again.duplicate = true;
  return again;
}

bool KvStore::ever_set(const std::string& key) const {
  return map_.contains(key) || deleted_.contains(key);
}

ApplyResult KvStore::execute(const Command& command) {
  switch (command.op) {
    case Op::put:
      map_[command.key] = command.value;
      return {};
    case Op::append: {
      // The value limit holds for what is stored, not only for what one command carries: a
      // get must be able to answer with any stored value in one datagram. Every site applies
      // the same log to the same map, so every site refuses the same appends.
      auto found = map_.find(command.key);
      const std::size_t stored = found == map_.end() ? 0 : found->second.size();
      if (stored + command.value.size() > limits::max_value_bytes)
        return {false, value_too_large_reason(), false};
      if (found == map_.end())
        map_.emplace(command.key, command.value);
      else
        found->second += command.value;
      return {};
    }
    case Op::del:
      if (map_.erase(command.key) != 0) deleted_.insert(command.key);
      return {};
    case Op::tag:
      if (ever_set(command.key)) return {false, "key exists", false};
      map_[command.key] = command.value;
      return {};
    case Op::noop:
      return {};
    case Op::member:  // carried out by the replica's Membership, through apply_once
      return {false, "not a command of the map", false};
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
  auto found = map_.find(key);
  if (found == map_.end()) return std::nullopt;
  return found->second;
}

SnapshotSource KvStore::snapshot(Slot base, const Hash& base_hash) const {
  SnapshotSource s{base, base_hash, KvCopy(map_), {}, {}, {}};
  for (const std::string& key : deleted_)
    if (!map_.contains(key)) s.deleted.push_back(key);
  s.clients.reserve(clients_.size());
  for (const auto& [client, record] : clients_)
    s.clients.push_back(
        ClientSnapshot{client, record.last_seq, record.last_result.ok, record.last_result.reason});
  return s;
}

void KvStore::restore(const Snapshot& s) {
  map_ = KvMap(s.kv.begin(), s.kv.end());
  deleted_ = std::unordered_set<std::string>(s.deleted.begin(), s.deleted.end());
  clients_.clear();
  for (const ClientSnapshot& c : s.clients)
    clients_[c.client] = ClientRecord{c.last_seq, ApplyResult{c.ok, c.reason, false}};
}

}  // namespace paxoskv
