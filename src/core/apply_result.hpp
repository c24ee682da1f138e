#pragma once

#include <cstdint>
#include <string>

namespace paxoskv {

// The outcome of applying one decided command.
struct ApplyResult {
  bool ok = true;
  std::string reason;      // why a command had no effect ("key exists")
  bool duplicate = false;  // its (client, seq) was applied before: skipped
  // The revision of the slot it was applied in (change_history.hpp); 0: not known (a retry
  // whose result came with a snapshot).
  std::uint64_t revision = 0;
};

}  // namespace paxoskv
