#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace paxoskv {

// The applied key-value map. Hashed, because every decided write lands in it on every site:
// a new key in a sorted tree of 100k keys cost about 17 string compares (each a cache miss),
// the largest single item in a site's profile. The views that list it in key order (print kv,
// SITE.json, the status page, snapshots) sort it when they are made, with sorted_kv().
using KvMap = std::unordered_map<std::string, std::string>;

// What the state machine knows of a key besides its value.
struct KeyMeta {
  std::uint64_t revision = 0;  // of the slot that last changed it (revision_of_slot)
  std::uint32_t ttl_s = 0;     // its time to live in seconds (0: none), from that change
  bool operator==(const KeyMeta&) const = default;
};

// The entries of `kv` in key order, as pointers into it (valid while it is unchanged); only the
// first `limit` of them when it is given (a partial sort, for a view that shows a few).
std::vector<const KvMap::value_type*> sorted_kv(
    const KvMap& kv, std::size_t limit = std::numeric_limits<std::size_t>::max());

// The entries of a map copied into one buffer, in no particular order: one pass and no
// allocation per key. Cheap enough for the site's only thread, so that sorting and writing a
// view of a large map (a snapshot, SITE.json) can happen on another thread meanwhile: with
// 100k keys, sorting alone held the site's thread for 100-400 ms.
class KvCopy {
 public:
  using Entry = std::pair<std::string_view, std::string_view>;

  KvCopy() = default;
  explicit KvCopy(const KvMap& kv);
  void add(std::string_view key, std::string_view value);
  std::size_t size() const { return entries_.size(); }
  // The entries in key order, as views into this copy.
  std::vector<Entry> sorted() const;

 private:
  struct Span {
    std::size_t at = 0;
    std::size_t size = 0;
  };
  std::string text_;  // every key and value, back to back
  std::vector<std::pair<Span, Span>> entries_;
};

}  // namespace paxoskv
