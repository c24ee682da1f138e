#include "site/fault_injection.hpp"

#include <cassert>

#include "log/log.hpp"

namespace paxoskv::site {

FaultInjector::FaultInjector(FaultRates rates, std::uint64_t seed) : rates_(rates), random_(seed) {
  assert(rates.fail_rate >= 0.0 && rates.fail_rate <= 1.0);
  assert(rates.drop_rate >= 0.0 && rates.drop_rate <= 1.0);
}

bool FaultInjector::chance(double probability) {
  if (probability <= 0.0) return false;
  if (probability >= 1.0) return true;
  return std::uniform_real_distribution<double>(0.0, 1.0)(random_) < probability;
}

bool FaultInjector::ignore_incoming(const Message& message) {
  if (!is_acceptor_input(message.body) || !chance(rates_.fail_rate)) return false;
  ++counters_.ignored_incoming;
  PAXOSKV_LOG(debug) << "fault injection: acceptor ignores " << type_name(message.body)
                     << " (--fail-rate " << rates_.fail_rate << ")";
  return true;
}

bool FaultInjector::drop_outgoing(const Envelope& envelope) {
  if (!chance(rates_.drop_rate)) return false;
  ++counters_.dropped_outgoing;
  PAXOSKV_LOG(debug) << "fault injection: dropped outgoing " << type_name(envelope.message.body)
                     << " (--drop-rate " << rates_.drop_rate << ")";
  return true;
}

bool is_acceptor_input(const MessageBody& body) {
  return std::holds_alternative<Prepare>(body) || std::holds_alternative<Accept>(body);
}

}  // namespace paxoskv::site
