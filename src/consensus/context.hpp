#pragma once

#include <cstdint>
#include <vector>

#include "paxoskv/consensus.hpp"

namespace paxoskv::consensus::detail {

// splitmix64: tiny, fast, and the same sequence on every platform, so a seed replays a run.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform enough in [0, bound]; bound is small, so the modulo bias does not matter.
  std::uint64_t upto(std::uint64_t bound) { return next() % (bound + 1); }

 private:
  std::uint64_t state_;
};

// A message with only its header set; the fields of its type are filled in by the caller.
inline Message make_message(MessageType type, PeerId to, Seq seq) {
  Message m;
  m.type = type;
  m.to = to;
  m.seq = seq;
  return m;
}

// What an instance needs from its peer for one input: the time, the timings, the jitter
// source, and where to put messages. The peer fills in `from` and the piggybacked `done`.
struct Context {
  TimeMs now;
  const Config& config;
  Rng& rng;
  std::vector<Message>& out;
};

}  // namespace paxoskv::consensus::detail
