#pragma once

// Helpers shared by the simulator's tests.

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "sim/simulator.hpp"

namespace paxoskv::sim::test {

// Under AddressSanitizer a run is several times slower, so sweeps shrink there.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
#else
inline constexpr bool kSanitized = false;
#endif

// How many seeds a sweep runs: PAXOSKV_SIM_SEEDS when set (CI's sanitizer job and long local
// runs use it), else `normal`, or `sanitized` in a sanitizer build.
inline std::uint64_t sweep_seeds(std::uint64_t normal, std::uint64_t sanitized) {
  if (const char* env = std::getenv("PAXOSKV_SIM_SEEDS")) {
    char* end = nullptr;
    const unsigned long long n = std::strtoull(env, &end, 10);
    if (end != env && *end == '\0' && n > 0) return n;
  }
  return kSanitized ? sanitized : normal;
}

// Replays a failed run with its trace and reports it: what failed, the command that replays
// it, and the end of the trace.
inline void report_failure(const SimConfig& config, const RunResult& result) {
  SimConfig traced = config;
  traced.trace_capacity = 200000;
  Simulator replay(traced);
  replay.run();
  BOOST_ERROR("seed " << config.seed << ": " << result.checker << ": " << result.explanation
                      << "\nreplay: " << command_line(config) << " --trace\n"
                      << "last events:\n"
                      << replay.trace().render_tail(60));
}

}  // namespace paxoskv::sim::test
