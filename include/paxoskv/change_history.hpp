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

// Revisions count decided slots, as etcd's count its changes from 1: the change made in slot
// s has revision s + 1, and revision R says "every slot below R". 0 is no change at all (a
// key that is absent), so that slot 0 needs no special case.
inline std::uint64_t revision_of_slot(Slot slot) {
  return slot + 1;
}

// One change of a key as the state machine applied it: what a watch delivers.
struct KeyChange {
  std::uint64_t revision = 0;
  std::string key;
  std::optional<std::string> value;  // the key's value after it; nullopt: deleted
  bool operator==(const KeyChange&) const = default;
};

// The changes of the revisions after compacted(), up to revision(), oldest first, so that a
// watch from any revision in that range delivers every change after it, in order, with no gap.
// Kept in memory only: a site that restarts rebuilds it from the log it replays (the slots
// from its snapshot's base on). Bounded: the oldest changes are forgotten once it holds more
// than `max_bytes`, and a watch from before what it holds is told it was compacted, as etcd's
// is.
class ChangeHistory {
 public:
  explicit ChangeHistory(std::size_t max_bytes = kDefaultMaxBytes) : max_bytes_(max_bytes) {}

  // Starts over after the slots below `base` (a snapshot's), which it does not hold.
  void reset(Slot base);
  // The slot `slot` is applied; `change` is what it did to a key, if anything.
  void applied(Slot slot, std::optional<KeyChange> change);

  // Changes of revisions up to this one are not held.
  std::uint64_t compacted() const { return compacted_; }
  // The revision of the last slot applied: every change up to it is here or compacted.
  std::uint64_t revision() const { return revision_; }
  // Whether every change after revision `since` is still here.
  bool covers_after(std::uint64_t since) const { return since >= compacted_; }
  // Up to `limit` changes after revision `since` of `key` (or of every key that starts with
  // `key` when `is_prefix`), oldest first. Requires covers_after(since).
  std::vector<KeyChange> after(std::uint64_t since, std::string_view key, bool is_prefix,
                               std::size_t limit) const;

  static constexpr std::size_t kDefaultMaxBytes = std::size_t{64} << 20;

 private:
  static std::size_t cost(const KeyChange& change);

  std::deque<KeyChange> changes_;
  std::size_t bytes_ = 0;
  std::size_t max_bytes_;
  std::uint64_t compacted_ = 0;
  std::uint64_t revision_ = 0;
};

}  // namespace paxoskv
