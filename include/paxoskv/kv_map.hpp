#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

namespace paxoskv {

// The applied key-value map. Hashed, because every decided write lands in it on every site:
// a new key in a sorted tree of 100k keys cost about 17 string compares (each a cache miss),
// the largest single item in a site's profile. The views that list it in key order (print kv,
// SITE.json, the status page, snapshots) sort it when they are made, with sorted_kv().
using KvMap = std::unordered_map<std::string, std::string>;

// The entries of `kv` in key order, as pointers into it (valid while it is unchanged); only the
// first `limit` of them when it is given (a partial sort, for a view that shows a few).
std::vector<const KvMap::value_type*> sorted_kv(
    const KvMap& kv, std::size_t limit = std::numeric_limits<std::size_t>::max());

}  // namespace paxoskv
