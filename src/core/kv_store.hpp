#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "paxoskv/command.hpp"
#include "paxoskv/snapshot.hpp"

namespace paxoskv {

// The outcome of applying one decided command.
struct ApplyResult {
  bool ok = true;
  std::string reason;      // why a command had no effect ("key exists")
  bool duplicate = false;  // its (client, seq) was applied before: skipped
};

// The replicated state machine: the key-value map plus, per client, the last sequence number
// applied and its result, so a command that reaches the log twice (a retry) acts once.
class KvStore {
 public:
  KvStore() = default;
  KvStore(const KvStore& other);
  KvStore& operator=(const KvStore& other);
  KvStore(KvStore&&) = default;  // moving the map keeps its nodes, so the index stays valid
  KvStore& operator=(KvStore&&) = default;

  ApplyResult apply(const Command& command);

  std::optional<std::string> get(const std::string& key) const;
  // True when this request, or a later one of its client, has been applied.
  bool already_applied(RequestId id) const;
  // The result of an applied request: the one recorded for the client's last request, or a
  // plain success for an older one (its client has moved on, so it saw the answer before).
  ApplyResult result_of(RequestId id) const;
  const std::map<std::string, std::string>& map() const { return map_; }

  // The whole state (map, keys ever set, dedup table) as of `base`, and back.
  Snapshot snapshot(Slot base, const Hash& base_hash) const;
  void restore(const Snapshot& snapshot);

 private:
  ApplyResult execute(const Command& command);
  // The value of `key`, inserted empty when absent; `inserted` tells which.
  std::string& value_slot(const std::string& key, bool& inserted);
  void erase(const std::string& key);
  void rebuild_index();

  struct ClientRecord {
    std::uint64_t last_seq = 0;
    ApplyResult last_result;
  };

  // map_ is sorted for the views (print kv, SITE.json); index_ finds its nodes by hash, so a
  // write to an existing key skips the tree walk (about 17 string compares at 100k keys).
  // Every change to map_ goes through value_slot() and erase(), which keep the two in step.
  std::map<std::string, std::string> map_;
  std::unordered_map<std::string_view, std::map<std::string, std::string>::iterator> index_;
  std::unordered_set<std::string> ever_set_;  // for tag: "only if KEY was never set"
  std::unordered_map<std::uint64_t, ClientRecord> clients_;
};

}  // namespace paxoskv
