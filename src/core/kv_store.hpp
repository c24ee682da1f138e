#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "core/apply_result.hpp"
#include "paxoskv/change_history.hpp"
#include "paxoskv/command.hpp"
#include "paxoskv/kv_map.hpp"
#include "paxoskv/snapshot.hpp"

namespace paxoskv {

// The replicated state machine: the key-value map plus, per client, the last sequence number
// applied and its result, so a command that reaches the log twice (a retry) acts once.
class KvStore {
 public:
  // The command decided in `slot`, applied in slot order.
  ApplyResult apply(Slot slot, const Command& command);
  // A command the map does not carry out (a membership change): `execute` is called unless
  // the command is a retry, and its result is remembered like any other.
  template <class Execute>
  ApplyResult apply_once(const Command& command, Execute&& execute) {
    // A leader's own commands (an automatic promotion or hand-over) have no client to retry
    // them, and applying one twice is harmless: the second is refused or changes nothing.
    if (command.id.client == 0) return execute();
    ClientRecord& client = clients_[command.id.client];
    if (command.id.seq <= client.last_seq) return retried(command, client);
    ApplyResult result = execute();
    client.last_seq = command.id.seq;
    client.last_result = result;
    return result;
  }

  // A slot applied elsewhere (a membership change): the revisions count it too.
  void applied_elsewhere(Slot slot) { history_.applied(slot, std::nullopt); }
  std::optional<std::string> get(const std::string& key) const;
  // The key's revision and time to live; nullopt when it has no value.
  std::optional<KeyMeta> meta(const std::string& key) const;
  // The keys with a time to live.
  const std::unordered_map<std::string, KeyMeta>& expiring() const { return expiring_; }
  const ChangeHistory& history() const { return history_; }
  // True when this request, or a later one of its client, has been applied.
  bool already_applied(RequestId id) const;
  // The result of an applied request: the one recorded for the client's last request, or a
  // plain success for an older one (its client has moved on, so it saw the answer before).
  ApplyResult result_of(RequestId id) const;
  const KvMap& map() const { return map_; }

  // The whole state (map, keys ever set, dedup table) as of `base`, and back.
  SnapshotSource snapshot(Slot base, const Hash& base_hash) const;
  void restore(const Snapshot& snapshot);

 private:
  struct ClientRecord;
  ApplyResult execute(Slot slot, const Command& command);
  std::optional<std::string> precondition_problem(const Command& command) const;
  void changed(Slot slot, const std::string& key, std::uint32_t ttl_s);
  void erased(Slot slot, const std::string& key);
  static ApplyResult retried(const Command& command, const ClientRecord& client);
  // For tag: "only if KEY was never set".
  bool ever_set(const std::string& key) const;

  struct ClientRecord {
    std::uint64_t last_seq = 0;
    ApplyResult last_result;
  };

  KvMap map_;
  // Keys deleted at some time (some may be set again): with the keys in map_, every key ever
  // set. Kept apart so that a new key costs one insertion, not two.
  std::unordered_set<std::string> deleted_;
  std::unordered_map<std::uint64_t, ClientRecord> clients_;
  // Each key's revision (revision_of_slot), apart from map_ so that the map stays what every view
  // lists.
  std::unordered_map<std::string, std::uint64_t> revisions_;
  std::unordered_map<std::string, KeyMeta> expiring_;
  ChangeHistory history_;
};

}  // namespace paxoskv
