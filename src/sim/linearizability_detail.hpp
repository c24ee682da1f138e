#pragma once

// What the two searches of the linearizability checker share (linearizability.cpp: keys of
// puts, appends and deletes; cas_search.cpp: keys with compare-and-swaps): the memo, the op
// list and how a report shows ops and values. Not an interface: only those files include it.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/history.hpp"

namespace paxoskv::sim::detail {

using OpList = std::vector<const Operation*>;

inline constexpr std::size_t kMaxListedOps = 60;  // longer histories are listed by head and tail

inline std::uint64_t mix64(std::uint64_t x) {  // splitmix64's finalizer
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

inline void sort_by_invocation(OpList& ops) {
  std::stable_sort(ops.begin(), ops.end(), [](const Operation* a, const Operation* b) {
    if (a->invoked_ms != b->invoked_ms) return a->invoked_ms < b->invoked_ms;
    return a->completed_ms < b->completed_ms;
  });
}

// Lowe's memo: the (set of linearized ops, state) pairs already explored. Open addressing over
// flat arrays, because entries are many and small and a node per entry would dominate. Sets
// are stored encoded (see the searches' encode_set), as a full bitset per entry would cost
// gigabytes on long histories.
class VisitedSet {
 public:
  VisitedSet() : slots_(1024, 0), offsets_(1, 0) {}

  // False when the pair was already present.
  bool insert(const std::vector<std::uint64_t>& set, std::uint64_t hash, std::uint32_t state) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t slot = hash & mask;
    for (; slots_[slot] != 0; slot = (slot + 1) & mask) {
      const std::size_t id = slots_[slot] - 1;
      if (hashes_[id] == hash && states_[id] == state &&
          std::equal(set.begin(), set.end(), arena_.begin() + offsets_[id],
                     arena_.begin() + offsets_[id + 1]))
        return false;
    }
    slots_[slot] = static_cast<std::uint32_t>(hashes_.size() + 1);
    hashes_.push_back(hash);
    states_.push_back(state);
    arena_.insert(arena_.end(), set.begin(), set.end());
    offsets_.push_back(arena_.size());
    if (hashes_.size() * 2 > slots_.size()) grow();
    return true;
  }

 private:
  void grow() {
    std::vector<std::uint32_t> slots(slots_.size() * 2, 0);
    const std::size_t mask = slots.size() - 1;
    for (std::size_t id = 0; id < hashes_.size(); ++id) {
      std::size_t slot = hashes_[id] & mask;
      while (slots[slot] != 0) slot = (slot + 1) & mask;
      slots[slot] = static_cast<std::uint32_t>(id + 1);
    }
    slots_.swap(slots);
  }

  std::vector<std::uint32_t> slots_;  // 0 = empty, else entry id + 1
  std::vector<std::uint64_t> hashes_;
  std::vector<std::uint32_t> states_;
  std::vector<std::uint64_t> offsets_;  // entry id's set is arena_[offsets_[id], offsets_[id + 1])
  std::vector<std::uint64_t> arena_;
};

inline std::string shown(const std::optional<std::string>& value) {
  if (!value) return "null";
  if (value->size() <= 80) return quoted(*value);
  return quoted(value->substr(0, 30)) + "..." + quoted(value->substr(value->size() - 30)) + " (" +
         std::to_string(value->size()) + " bytes)";
}

// One line per op, numbered from 1.
inline std::string list_ops(const OpList& ops) {
  std::string text;
  const std::size_t n = ops.size();
  const std::size_t head = n <= kMaxListedOps ? n : kMaxListedOps / 2;
  for (std::size_t i = 0; i < n; ++i) {
    if (i == head && n > kMaxListedOps) {
      text += "  ... " + std::to_string(n - kMaxListedOps) + " more ...\n";
      i = n - kMaxListedOps / 2;
    }
    text += "  #" + std::to_string(i + 1) + " " + describe(*ops[i]) + "\n";
  }
  return text;
}

}  // namespace paxoskv::sim::detail
