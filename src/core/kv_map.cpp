#include "paxoskv/kv_map.hpp"

#include <algorithm>

namespace paxoskv {

std::vector<const KvMap::value_type*> sorted_kv(const KvMap& kv) {
  std::vector<const KvMap::value_type*> entries;
  entries.reserve(kv.size());
  for (const auto& entry : kv) entries.push_back(&entry);
  std::sort(entries.begin(), entries.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  return entries;
}

}  // namespace paxoskv
