#pragma once

#include "paxoskv/cluster.hpp"
#include "paxoskv/ready.hpp"

namespace paxoskv {

// Addresses messages into a Ready on behalf of one site.
class Outbox {
 public:
  Outbox(const Cluster& cluster, SiteId self, Ready& ready)
      : cluster_(cluster), self_(self), ready_(ready) {}

  void send(SiteId to, MessageBody body) {
    ready_.messages.push_back(Envelope{to, Message{self_, std::move(body)}});
  }
  // Every voter, this site included when it is one (its own acceptor takes part).
  void to_voters(const MessageBody& body) {
    for (SiteId s = 0; s < cluster_.size(); ++s)
      if (cluster_.is_voter(s)) send(s, body);
  }
  // Every other site, voter or learner.
  void to_others(const MessageBody& body) {
    for (SiteId s = 0; s < cluster_.size(); ++s)
      if (s != self_) send(s, body);
  }

 private:
  const Cluster& cluster_;
  SiteId self_;
  Ready& ready_;
};

}  // namespace paxoskv
