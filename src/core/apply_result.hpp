#pragma once

#include <cstdint>
#include <string>

namespace paxoskv {

// The outcome of applying one decided command.
struct ApplyResult {
  bool ok = true;
  std::string reason;      // why a command had no effect ("key exists")
  bool duplicate = false;  // its (client, seq) was applied before: skipped
  std::uint64_t slot = 0;  // where it was applied (0: not known, for an old client's retry)
};

}  // namespace paxoskv
