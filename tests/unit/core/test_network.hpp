#pragma once

// A few Replicas wired by hand: the test decides when each message arrives, as in etcd's
// interaction tests. Ready effects are taken as if persisted at once.

#include <deque>
#include <functional>
#include <map>
#include <vector>

#include "paxoskv/replica.hpp"

namespace paxoskv::test {

inline Cluster make_cluster(std::size_t voters, std::size_t learners = 0) {
  std::vector<SiteInfo> sites;
  const char* names[] = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta"};
  for (std::size_t i = 0; i < voters + learners; ++i)
    sites.push_back(SiteInfo{names[i], "127.0.0.1", static_cast<std::uint16_t>(5001 + i),
                             i < voters ? Role::voter : Role::learner});
  return Cluster(std::move(sites));
}

inline Command put(std::string key, std::string value, std::uint64_t client, std::uint64_t seq) {
  return Command{Op::put, std::move(key), std::move(value), RequestId{client, seq}};
}

class TestNetwork {
 public:
  // Site i's randomness (its election timeouts) comes from seed `seed + i`.
  explicit TestNetwork(std::size_t voters, std::size_t learners = 0, ReplicaOptions options = {},
                       std::uint64_t seed = 1000) {
    Cluster cluster = make_cluster(voters, learners);
    for (SiteId i = 0; i < cluster.size(); ++i)
      replicas.emplace_back(cluster, i, options, seed + i);
    completions.resize(cluster.size());
  }

  // Moves every Ready into the queue of messages in flight (a snapshot's compaction comes in
  // the next Ready).
  void collect() {
    for (SiteId i = 0; i < replicas.size(); ++i) {
      Ready r = replicas[i].take_ready();
      for (Envelope& e : r.messages) in_flight.push_back(std::move(e));
      for (Completion& c : r.completions) completions[i].push_back(std::move(c));
      if (r.compaction) ++compactions;
      // The snapshot is written at once, as a driver without a writer thread would, unless
      // the test holds this site's snapshots back.
      if (r.snapshot && held_snapshots.contains(i))
        held_snapshots[i].push_back(r.snapshot);
      else if (r.snapshot)
        replicas[i].snapshot_written(make_snapshot_image(*r.snapshot), now);
    }
  }

  // Delivers messages (in order, those to `down` sites dropped) until none is left.
  void deliver_all(const std::function<bool(const Envelope&)>& drop = nullptr) {
    collect();
    for (int guard = 0; !in_flight.empty() && guard < 100000; ++guard) {
      Envelope e = std::move(in_flight.front());
      in_flight.pop_front();
      if (!(drop && drop(e))) replicas[e.to].step(e.message, now);
      collect();
    }
  }

  // Advances time in ticks of 10 ms, delivering everything after each tick.
  void run_for(TimeMs ms, const std::function<bool(const Envelope&)>& drop = nullptr) {
    for (TimeMs t = 0; t < ms; t += 10) {
      now += 10;
      for (Replica& r : replicas) r.tick(now);
      deliver_all(drop);
    }
  }

  std::optional<SiteId> leader() const {
    for (SiteId i = 0; i < replicas.size(); ++i)
      if (replicas[i].status().is_leader) return i;
    return std::nullopt;
  }

  TimeMs now = 0;
  std::vector<Replica> replicas;
  std::deque<Envelope> in_flight;
  std::vector<std::vector<Completion>> completions;
  std::size_t compactions = 0;  // Readies that carried a snapshot to persist
  // Sites whose snapshots the test writes itself, and the states they handed out.
  std::map<SiteId, std::vector<std::shared_ptr<const SnapshotSource>>> held_snapshots;
};

}  // namespace paxoskv::test
