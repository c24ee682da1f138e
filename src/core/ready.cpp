#include "paxoskv/ready.hpp"

namespace paxoskv {

bool sendable_before_persist(const Envelope& envelope, SiteId self) {
  if (envelope.to == self) return false;  // the site's own acceptor must see its records first
  return std::holds_alternative<Accept>(envelope.message.body);
}

}  // namespace paxoskv
