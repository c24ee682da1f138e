#include "core/kv_store.hpp"

#include <algorithm>
#include <cassert>
#include <charconv>

#include "paxoskv/limits.hpp"

namespace paxoskv {

ApplyResult KvStore::apply(Slot slot, const Command& command) {
  if (command.op == Op::noop) {
    history_.applied(slot, std::nullopt);
    return {};
  }
  const std::uint64_t revision_before = history_.revision();
  ApplyResult result = apply_once(command, [&] {
    ApplyResult r = execute(slot, command);
    r.revision = revision_of_slot(slot);
    return r;
  });
  if (history_.revision() == revision_before) history_.applied(slot, std::nullopt);
  return result;
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

std::optional<std::string> KvStore::precondition_problem(const Command& command) const {
  const Precondition& pre = command.pre;
  auto found = map_.find(command.key);
  bool holds = true;
  switch (pre.kind) {
    case Precondition::Kind::none:
      break;
    case Precondition::Kind::absent:
      holds = found == map_.end();
      break;
    case Precondition::Kind::value:
      holds = found != map_.end() && found->second == pre.value;
      break;
    case Precondition::Kind::revision: {
      auto revision = revisions_.find(command.key);
      holds = pre.revision == (revision == revisions_.end() ? 0 : revision->second);
      break;
    }
  }
  if (holds) return std::nullopt;
  return std::string(precondition_failed_reason(pre.kind));
}

void KvStore::changed(Slot slot, const std::string& key, std::uint32_t ttl_s) {
  const std::uint64_t revision = revision_of_slot(slot);
  revisions_[key] = revision;
  if (ttl_s != 0)
    expiring_[key] = KeyMeta{revision, ttl_s};
  else
    expiring_.erase(key);
  history_.applied(slot, KeyChange{revision, key, map_.at(key)});
}

void KvStore::erased(Slot slot, const std::string& key) {
  revisions_.erase(key);
  expiring_.erase(key);
  deleted_.insert(key);
  history_.applied(slot, KeyChange{revision_of_slot(slot), key, std::nullopt});
}

ApplyResult KvStore::execute(Slot slot, const Command& command) {
  if (command.op != Op::member)
    if (auto problem = precondition_problem(command)) return {false, *problem, false};
  switch (command.op) {
    case Op::put:
      map_[command.key] = command.value;
      changed(slot, command.key, command.ttl_s);
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
      changed(slot, command.key, command.ttl_s);
      return {};
    }
    case Op::del:
      if (map_.erase(command.key) != 0) erased(slot, command.key);
      return {};
    case Op::tag:
      if (ever_set(command.key)) return {false, "key exists", false};
      map_[command.key] = command.value;
      changed(slot, command.key, command.ttl_s);
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

std::optional<KeyMeta> KvStore::meta(const std::string& key) const {
  auto revision = revisions_.find(key);
  if (revision == revisions_.end()) return std::nullopt;
  auto expiring = expiring_.find(key);
  return KeyMeta{revision->second, expiring == expiring_.end() ? 0 : expiring->second.ttl_s};
}

SnapshotSource KvStore::snapshot(Slot base, const Hash& base_hash) const {
  SnapshotSource s{base, base_hash, KvCopy(map_), {}, {}, {}, {}, {}};
  for (const auto& [key, revision] : revisions_) {
    char digits[20];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, revision);
    (void)ec;  // 20 digits hold every revision
    s.revisions.add(key, std::string_view(digits, static_cast<std::size_t>(end - digits)));
  }
  for (const auto& [key, meta] : expiring_) s.ttls.emplace_back(key, meta.ttl_s);
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
  revisions_ =
      std::unordered_map<std::string, std::uint64_t>(s.revisions.begin(), s.revisions.end());
  expiring_.clear();
  for (const auto& [key, ttl] : s.ttls) expiring_[key] = KeyMeta{s.revisions.at(key), ttl};
  history_.reset(s.base);
  deleted_ = std::unordered_set<std::string>(s.deleted.begin(), s.deleted.end());
  clients_.clear();
  for (const ClientSnapshot& c : s.clients)
    clients_[c.client] = ClientRecord{c.last_seq, ApplyResult{c.ok, c.reason, false}};
}

}  // namespace paxoskv
