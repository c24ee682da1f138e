#pragma once

// A deterministic in-memory network for the consensus library: n Peers under a simulated
// clock, with seeded loss, duplication, reordering (random latency), partitions, deaf peers
// and arbitrary drop rules. The same seed replays the same run. Every decision any peer
// reports is checked against every other (agreement) and against the values proposed for
// that instance (validity); breaches are collected in violations().

#include <cstdint>
#include <functional>
#include <map>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "paxoskv/consensus.hpp"

namespace paxoskv::consensus::test {

struct NetFaults {
  double drop = 0;       // probability that a datagram is lost
  double duplicate = 0;  // probability that it is delivered twice
  // Each copy gets a latency drawn from this range; a wide range reorders messages.
  TimeMs min_latency_ms = 1;
  TimeMs max_latency_ms = 5;
};

inline constexpr NetFaults unreliable{
    .drop = 0.2, .duplicate = 0.1, .min_latency_ms = 1, .max_latency_ms = 40};

class SimCluster {
 public:
  SimCluster(std::size_t n, std::uint64_t seed, Config config = {});

  std::size_t size() const { return peers_.size(); }
  Peer& peer(PeerId p) { return peers_.at(p); }
  TimeMs now() const { return now_ms_; }

  // Calls into a peer and takes its Ready; start also records the value for validity.
  void start(PeerId p, Seq seq, const std::string& value);
  void done(PeerId p, Seq seq);

  void set_faults(NetFaults faults) { faults_ = faults; }
  // Peers in different groups cannot exchange messages; a peer in no group is alone.
  void partition(const std::vector<std::vector<PeerId>>& groups);
  void heal();
  // A deaf peer receives nothing (it still sends and ticks).
  void set_deaf(PeerId p, bool deaf) { deaf_.at(p) = deaf; }
  // Datagrams for which the rule returns true are lost.
  void set_drop_rule(std::function<bool(const Message&)> rule) { drop_rule_ = std::move(rule); }

  void run_for(TimeMs ms);
  // Runs until `pred` holds (checked every 5 simulated ms), for at most `limit_ms`.
  bool run_until(const std::function<bool()>& pred, TimeMs limit_ms);

  // Number of peers that report `seq` decided now; checks their values agree.
  int ndecided(Seq seq);
  bool wait_decided(Seq seq, int wanted, TimeMs limit_ms = 30000);

  std::uint64_t datagrams_sent() const { return datagrams_sent_; }
  std::uint64_t datagrams_sent(MessageType type) const;
  const std::vector<std::string>& violations() const { return violations_; }

 private:
  struct InFlight {
    TimeMs at_ms;
    std::uint64_t order;  // FIFO among equal times, for determinism
    Message message;
    bool operator>(const InFlight& o) const {
      return at_ms != o.at_ms ? at_ms > o.at_ms : order > o.order;
    }
  };

  void collect(PeerId p);
  void submit(Message m);
  void deliver(const Message& m);
  bool can_deliver(const Message& m) const;
  void check_decided(PeerId p, Seq seq, const std::string& value);
  double uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }

  std::vector<Peer> peers_;
  std::mt19937_64 rng_;
  NetFaults faults_;
  std::function<bool(const Message&)> drop_rule_;
  std::vector<int> group_;
  std::vector<bool> deaf_;
  std::priority_queue<InFlight, std::vector<InFlight>, std::greater<>> in_flight_;
  std::uint64_t next_order_ = 0;
  TimeMs now_ms_ = 0;
  TimeMs next_tick_ms_ = 0;
  std::uint64_t datagrams_sent_ = 0;
  std::map<MessageType, std::uint64_t> sent_by_type_;
  std::map<Seq, std::string> chosen_;
  std::map<Seq, std::set<std::string>> proposed_;
  std::vector<std::string> violations_;
};

}  // namespace paxoskv::consensus::test
