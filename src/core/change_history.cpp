#include "paxoskv/change_history.hpp"

#include <algorithm>

namespace paxoskv {

// The bookkeeping of a deque element and its strings, roughly.
std::size_t ChangeHistory::cost(const KeyChange& change) {
  return sizeof(KeyChange) + change.key.size() + (change.value ? change.value->size() : 0);
}

void ChangeHistory::reset(Slot base) {
  changes_.clear();
  bytes_ = 0;
  compacted_ = revision_ = base;  // the revision of slot base - 1
}

void ChangeHistory::applied(Slot slot, std::optional<KeyChange> change) {
  revision_ = std::max(revision_, revision_of_slot(slot));
  if (!change) return;
  bytes_ += cost(*change);
  changes_.push_back(std::move(*change));
  while (bytes_ > max_bytes_ && !changes_.empty()) {
    compacted_ = changes_.front().revision;
    bytes_ -= cost(changes_.front());
    changes_.pop_front();
  }
}

std::vector<KeyChange> ChangeHistory::after(std::uint64_t since, std::string_view key,
                                            bool is_prefix, std::size_t limit) const {
  std::vector<KeyChange> out;
  auto first = std::upper_bound(changes_.begin(), changes_.end(), since,
                                [](std::uint64_t s, const KeyChange& c) { return s < c.revision; });
  for (auto it = first; it != changes_.end() && out.size() < limit; ++it) {
    const bool match = is_prefix ? std::string_view(it->key).starts_with(key) : it->key == key;
    if (match) out.push_back(*it);
  }
  return out;
}

}  // namespace paxoskv
