#pragma once

#include <algorithm>
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
    for_each_site(
        configs, [](const Cluster& c, SiteId id) { return c.is_voter(id); },
        [&](SiteId s) { send(s, body); });
  }
  // Every other member of these configurations, voter or learner.
  void to_others(const std::vector<const Cluster*>& configs, const MessageBody& body) {
    for_each_site(
        configs, [](const Cluster& c, SiteId id) { return c.is_member(id); },
        [&](SiteId s) {
          if (s != self_) send(s, body);
        });
  }

 private:
  // Each site that `pick` selects in any of `configs`, once, in id order. No allocation: this
  // runs for every accept, commit and heartbeat.
  template <class Pick, class Visit>
  static void for_each_site(const std::vector<const Cluster*>& configs, Pick pick, Visit visit) {
    std::size_t sites = 0;
    for (const Cluster* c : configs) sites = std::max(sites, c->size());
    for (SiteId id = 0; id < sites; ++id)
      if (std::any_of(configs.begin(), configs.end(),
                      [&](const Cluster* c) { return pick(*c, id); }))
        visit(id);
  }

  SiteId self_;
  Ready& ready_;
};

}  // namespace paxoskv
