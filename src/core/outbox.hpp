#pragma once

#include <set>
#include <vector>

#include "paxoskv/cluster.hpp"
#include "paxoskv/ready.hpp"

namespace paxoskv {

// Addresses messages into a Ready on behalf of one site.
class Outbox {
 public:
  Outbox(SiteId self, Ready& ready) : self_(self), ready_(ready) {}

  void send(SiteId to, MessageBody body) {
    ready_.messages.push_back(Envelope{to, Message{self_, std::move(body)}});
  }
  // Every voter of these configurations, this site included when it is one (its own acceptor
  // takes part).
  void to_voters(const std::vector<const Cluster*>& configs, const MessageBody& body) {
    for (SiteId s : union_of(configs, [](const Cluster&c, SiteId id) { return c.is_voter(id); }))
      send(s, body);
  }
  // Every other member of these configurations, voter or learner.
  void to_others(const std::vector<const Cluster*>& configs, const MessageBody& body) {
    for (SiteId s : union_of(configs, [](const Cluster&c, SiteId id) { return c.is_member(id); }))
      if (s != self_) send(s, body);
  }

 private:
  template <class Pick>
  static std::set<SiteId> union_of(const std::vector<const Cluster*>& configs, Pick pick) {
    std::set<SiteId> sites;
    for (const Cluster* c : configs)
      for (SiteId id = 0; id < c->size(); ++id)
        if (pick(*c, id)) sites.insert(id);
    return sites;
  }

  SiteId self_;
  Ready& ready_;
};

}  // namespace paxoskv
