#pragma once

// The decisions of paxoskv-faultproxy, without any I/O: which datagrams are dropped, which are
// duplicated, how long each copy is held back, and in which order the held copies leave.
// Independent random delays of the copies are what reorder them. The tool feeds it what it
// receives and sends what it hands back; the unit tests drive it with a fake clock.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <tuple>
#include <vector>

namespace paxoskv::faultproxy {

struct FaultOptions {
  double drop = 0;                // probability that a datagram is dropped
  double duplicate = 0;           // probability that a datagram that is not dropped is sent twice
  std::int64_t delay_min_ms = 0;  // every copy is held for a uniform random time in
  std::int64_t delay_max_ms = 0;  // [delay_min_ms, delay_max_ms]
  std::uint64_t seed = 1;
  // Held copies beyond this are dropped (and counted): memory stays bounded under any load.
  std::size_t max_held = 100'000;
};

// A user's mistake in the options, as a message, or nullopt when they are usable.
std::optional<std::string> check(const FaultOptions& options);

// IPv4 endpoints in host byte order; a flow is one (source, destination) pair.
struct Endpoint {
  std::uint32_t address = 0;
  std::uint16_t port = 0;
  friend auto operator<=>(const Endpoint&, const Endpoint&) = default;
};

struct Datagram {
  Endpoint source;
  Endpoint destination;
  std::string bytes;
};

struct FaultStats {
  std::uint64_t received = 0;
  std::uint64_t dropped = 0;
  std::uint64_t duplicated = 0;  // datagrams sent twice
  std::uint64_t released = 0;    // copies handed back for sending
  std::uint64_t reordered = 0;   // copies released after a later datagram of the same flow
  std::uint64_t overflow = 0;    // copies dropped because max_held were held
};

std::string describe(const FaultStats& stats);  // "received=N dropped=N ..."

class FaultLine {
 public:
  explicit FaultLine(FaultOptions options);

  // A datagram arrives at now_ms: it is dropped, or one or two copies are held.
  void arrive(Datagram datagram, std::int64_t now_ms);
  // When the next held copy is due, if any copy is held.
  std::optional<std::int64_t> next_due_ms() const;
  // The copies due at or before now_ms, earliest first (arrival order among equal times).
  std::vector<Datagram> take_due(std::int64_t now_ms);

  std::size_t held() const { return held_.size(); }
  const FaultStats& stats() const { return stats_; }

 private:
  struct Held {
    std::int64_t due_ms;
    std::uint64_t order;     // global arrival order of the copy, to break ties
    std::uint64_t flow_seq;  // arrival number of the datagram within its flow
    Datagram datagram;
    bool operator>(const Held& other) const {
      return std::tie(due_ms, order) > std::tie(other.due_ms, other.order);
    }
  };
  using FlowKey = std::pair<Endpoint, Endpoint>;
  struct Flow {
    std::uint64_t arrived = 0;
    std::uint64_t highest_released = 0;  // highest flow_seq released (from 1); 0: none yet
  };

  void hold(const Datagram& datagram, std::uint64_t flow_seq, std::int64_t now_ms);
  Flow& flow_of(const Datagram& datagram);

  FaultOptions options_;
  std::mt19937_64 random_;
  std::priority_queue<Held, std::vector<Held>, std::greater<Held>> held_;
  std::vector<std::pair<FlowKey, Flow>> flows_;  // few flows (one per pair of sites)
  std::uint64_t next_order_ = 0;
  FaultStats stats_;
};

}  // namespace paxoskv::faultproxy
