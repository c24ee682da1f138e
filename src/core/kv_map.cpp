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

KvCopy::KvCopy(const KvMap& kv) {
  entries_.reserve(kv.size());
  for (const auto& [key, value] : kv) add(key, value);
}

void KvCopy::add(std::string_view key, std::string_view value) {
  Span k{text_.size(), key.size()};
  text_.append(key);
  Span v{text_.size(), value.size()};
  text_.append(value);
  entries_.emplace_back(k, v);
}

std::vector<KvCopy::Entry> KvCopy::sorted() const {
  std::vector<Entry> out;
  out.reserve(entries_.size());
  for (const auto& [k, v] : entries_)
    out.emplace_back(std::string_view(text_.data() + k.at, k.size),
                     std::string_view(text_.data() + v.at, v.size));
  std::sort(out.begin(), out.end(),
            [](const Entry& a, const Entry& b) { return a.first < b.first; });
  return out;
}

}  // namespace paxoskv
