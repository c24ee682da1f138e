#pragma once

#include <cstddef>
#include <vector>

#include "paxoskv/command.hpp"
#include "paxoskv/limits.hpp"

namespace paxoskv {

// Rough bytes a command takes in a datagram, to split lists of entries into pieces that fit.
inline std::size_t wire_size(const Command& c) {
  return c.key.size() + c.value.size() + c.pre.value.size() + 160;
}

// Splits `items` into consecutive groups whose wire size stays within
// limits::max_entries_bytes (a group holds at least one item).
template <typename T, typename SizeOf>
std::vector<std::vector<T>> pack(std::vector<T> items, SizeOf size_of) {
  std::vector<std::vector<T>> groups;
  std::size_t bytes = 0;
  for (T& item : items) {
    std::size_t size = size_of(item);
    if (groups.empty() || bytes + size > limits::max_entries_bytes) {
      groups.emplace_back();
      bytes = 0;
    }
    bytes += size;
    groups.back().push_back(std::move(item));
  }
  return groups;
}

}  // namespace paxoskv
