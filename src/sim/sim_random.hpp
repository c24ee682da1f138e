#pragma once

#include <cassert>
#include <cstdint>
#include <random>

#include "paxoskv/replica.hpp"

namespace paxoskv::sim {

// The one source of randomness of a run. Ranges are computed here rather than with the
// std distributions, whose algorithms differ between standard libraries: a seed must
// replay the same schedule wherever it runs.
class SimRandom {
 public:
  explicit SimRandom(std::uint64_t seed) : engine_(seed) {}

  std::uint64_t next() { return engine_(); }
  // Uniform in [0, n); n > 0. The modulo bias is below 2^-40 for the small n used here.
  std::uint64_t below(std::uint64_t n) {
    assert(n > 0);
    return engine_() % n;
  }
  // Uniform in [lo, hi].
  TimeMs between(TimeMs lo, TimeMs hi) {
    assert(lo <= hi);
    return lo + static_cast<TimeMs>(below(static_cast<std::uint64_t>(hi - lo) + 1));
  }
  // True with probability p.
  bool chance(double p) { return static_cast<double>(engine_() >> 11) * 0x1.0p-53 < p; }

 private:
  std::mt19937_64 engine_;
};

// SplitMix64: independent-looking seeds for each replica incarnation, derived from the run's
// seed, so restarting one site does not shift the random choices of the others.
inline std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t a, std::uint64_t b) {
  std::uint64_t z = seed ^ (a * 0x9e3779b97f4a7c15ULL) ^ (b * 0xbf58476d1ce4e5b9ULL);
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace paxoskv::sim
