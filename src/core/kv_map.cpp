#include "paxoskv/kv_map.hpp"

#include <algorithm>

namespace paxoskv {

std::vector<const KvMap::value_type*> sorted_kv(const KvMap& kv, std::size_t limit) {
  std::vector<const KvMap::value_type*> entries;
  entries.reserve(kv.size());
  for (const auto& entry : kv) entries.push_back(&entry);
  const auto end = entries.begin() + static_cast<std::ptrdiff_t>(std::min(limit, entries.size()));
  std::partial_sort(entries.begin(), end, entries.end(),
                    [](const auto* a, const auto* b) { return a->first < b->first; });
  entries.erase(end, entries.end());
  return entries;
}

}  // namespace paxoskv
