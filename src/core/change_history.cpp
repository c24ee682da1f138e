#include "paxoskv/change_history.hpp"

#include <algorithm>

namespace paxoskv {

// The bookkeeping of a deque element and its strings, roughly.
std::size_t ChangeHistory::cost(const KeyChange& change) {
  return sizeof(KeyChange) + change.key.size() + (change.value ? change.value->size() : 0);
}

void ChangeHistory::reset(Slot from) {
  changes_.clear();
  bytes_ = 0;
  covered_from_ = end_ = from;
}

void ChangeHistory::applied(Slot slot, std::optional<KeyChange> change) {
  end_ = std::max(end_, slot + 1);
  if (!change) return;
  bytes_ += cost(*change);
  changes_.push_back(std::move(*change));
  while (bytes_ > max_bytes_ && !changes_.empty()) {
    // Forgetting the oldest change forgets its slot too: a watch from before it must re-read.
    covered_from_ = changes_.front().revision + 1;
    bytes_ -= cost(changes_.front());
    changes_.pop_front();
  }
}

std::vector<KeyChange> ChangeHistory::after(Slot since, std::string_view key, bool is_prefix,
                                            std::size_t limit) const {
  std::vector<KeyChange> out;
  auto first = std::upper_bound(changes_.begin(), changes_.end(), since,
                                [](Slot s, const KeyChange& c) { return s < c.revision; });
  for (auto it = first; it != changes_.end() && out.size() < limit; ++it) {
    const bool match = is_prefix ? std::string_view(it->key).starts_with(key) : it->key == key;
    if (match) out.push_back(*it);
  }
  return out;
}

}  // namespace paxoskv
