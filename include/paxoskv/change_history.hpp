#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "paxoskv/ballot.hpp"

namespace paxoskv {

// One change of a key as the state machine applied it: what a watch delivers.
struct KeyChange {
  Slot revision = 0;  // the slot that made it
  std::string key;
  std::optional<std::string> value;  // the key's value after it; nullopt: deleted
  bool operator==(const KeyChange&) const = default;
};

// The changes applied in the slots [covered_from(), end), oldest first, so that a watch from
// any revision in that range delivers every change after it, in order, with no gap. Kept in
// memory only: a site that restarts rebuilds it from the log it replays (the slots from its
// snapshot's base on). Bounded: the oldest changes are forgotten once it holds more than
// `max_bytes`, and a watch from before what it covers is told it was compacted, as etcd does.
class ChangeHistory {
 public:
  explicit ChangeHistory(std::size_t max_bytes = kDefaultMaxBytes) : max_bytes_(max_bytes) {}

  // Starts over, covering the slots from `from` on (after a snapshot is restored).
  void reset(Slot from);
  // The slot `slot` is applied; `change` is what it did, if anything.
  void applied(Slot slot, std::optional<KeyChange> change);

  Slot covered_from() const { return covered_from_; }
  Slot end() const { return end_; }
  // Whether every change after revision `since` is still here.
  bool covers_after(Slot since) const { return since + 1 >= covered_from_; }
  // Up to `limit` changes after `since` of `key` (or of every key that starts with `prefix`
  // when `is_prefix`), oldest first. Requires covers_after(since).
  std::vector<KeyChange> after(Slot since, std::string_view key, bool is_prefix,
                               std::size_t limit) const;

  static constexpr std::size_t kDefaultMaxBytes = std::size_t{64} << 20;

 private:
  static std::size_t cost(const KeyChange& change);

  std::deque<KeyChange> changes_;
  std::size_t bytes_ = 0;
  std::size_t max_bytes_;
  Slot covered_from_ = 0;
  Slot end_ = 0;
};

}  // namespace paxoskv
