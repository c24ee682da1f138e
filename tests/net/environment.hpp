#pragma once

// What main() learned about the machine before the tests ran.

#include <cstdlib>
#include <string>

#include "topology.hpp"

namespace net_test {

// The exit code CTest's SKIP_RETURN_CODE maps to "Skipped" (the automake convention).
inline constexpr int kSkipExitCode = 77;

void set_tools(Tools tools);
const Tools& tools();

// Seconds of load per fault schedule: $PAXOSKV_NET_SECONDS, else `default_seconds`.
int load_seconds(int default_seconds = 60);

}  // namespace net_test
