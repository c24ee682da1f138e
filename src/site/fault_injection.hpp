#pragma once

#include <cstdint>
#include <random>

#include "paxoskv/message.hpp"

namespace paxoskv::site {

// Probabilities in [0, 1] of the site's injected faults (--fail-rate, --drop-rate).
struct FaultRates {
  double fail_rate = 0.0;  // the acceptor ignores an incoming prepare or accept
  double drop_rate = 0.0;  // an outgoing datagram is lost
};

// How many messages the injected faults have eaten, for the log and the tests.
struct FaultCounters {
  std::uint64_t ignored_incoming = 0;
  std::uint64_t dropped_outgoing = 0;
};

// Decides, message by message, which ones an injected fault eats. Lives in the site, outside
// the deterministic core: to the Replica an ignored prepare or accept is simply one that never
// arrived, and a dropped datagram one that UDP lost.
class FaultInjector {
 public:
  FaultInjector(FaultRates rates, std::uint64_t seed);

  // True if this message must not reach the Replica: an acceptor input (prepare, accept),
  // from a peer or from this site's own proposer, ignored with probability fail_rate.
  bool ignore_incoming(const Message& message);
  // True if this datagram must not be sent (probability drop_rate).
  bool drop_outgoing(const Envelope& envelope);

  const FaultRates& rates() const { return rates_; }
  const FaultCounters& counters() const { return counters_; }

 private:
  bool chance(double probability);

  FaultRates rates_;
  std::mt19937_64 random_;
  FaultCounters counters_;
};

// Prepare and accept: the messages an acceptor answers.
bool is_acceptor_input(const MessageBody& body);

}  // namespace paxoskv::site
