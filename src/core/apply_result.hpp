#pragma once

#include <string>

namespace paxoskv {

// The outcome of applying one decided command.
struct ApplyResult {
  bool ok = true;
  std::string reason;      // why a command had no effect ("key exists")
  bool duplicate = false;  // its (client, seq) was applied before: skipped
};

}  // namespace paxoskv
