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
                       std::uint64_t seed = 1000)
      : cluster_(make_cluster(voters, learners)), options_(options), seed_(seed) {
    for (SiteId i = 0; i < cluster_.size(); ++i)
      replicas.emplace_back(cluster_, i, options, seed + i);
    completions.resize(cluster_.size());
    recovered.resize(cluster_.size());
    durable.resize(cluster_.size());
  }

  // Site i restarts with an empty data directory (Replica::restore_amnesiac), with new
  // randomness. Messages still in flight to it reach the new incarnation.
  void restart_amnesiac(SiteId i) {
    replicas[i] = Replica(cluster_, i, options_, seed_ + 1000 * ++restarts_ + i);
    replicas[i].restore_amnesiac(now);
    recovered[i].reset();
    durable[i] = {};
  }
  // Site i crashes and restarts from its files (Replica::restore): the acceptor state its
  // Readies persisted, its decided log and snapshot. What it knew only in memory (the decided
  // ends others reported, the leader it heard) is gone.
  void restart(SiteId i) {
    const std::vector<LogEntry> log = replicas[i].log();
    const Slot log_start = replicas[i].log_start();
    const Hash log_start_hash = replicas[i].log_start_hash();
    std::shared_ptr<const SnapshotImage> snapshot = replicas[i].snapshot();
    std::vector<AcceptedEntry> accepted;
    for (const auto& [slot, entry] : durable[i].accepted)
      if (slot >= log_start + log.size()) accepted.push_back(entry);
    replicas[i] = Replica(cluster_, i, options_, seed_ + 1000 * ++restarts_ + i);
    replicas[i].restore(durable[i].promised, accepted, std::move(snapshot), log_start,
                        log_start_hash, log, now);
  }
  // The same for a site that stopped while recovering: it keeps the decided log it had (the
  // driver made it durable) and recovers again.
  void restart_amnesiac_keeping_log(SiteId i) {
    const std::vector<LogEntry> log = replicas[i].log();
    const Slot log_start = replicas[i].log_start();
    const Hash log_start_hash = replicas[i].log_start_hash();
    std::shared_ptr<const SnapshotImage> snapshot = replicas[i].snapshot();
    replicas[i] = Replica(cluster_, i, options_, seed_ + 1000 * ++restarts_ + i);
    replicas[i].restore_amnesiac(std::move(snapshot), log_start, log_start_hash, log, now);
    recovered[i].reset();
  }

  // A site a membership change adds: it starts empty with the initial configuration and its
  // own new id, and learns the rest from the others.
  SiteId add_site() {
    const auto id = static_cast<SiteId>(replicas.size());
    replicas.emplace_back(cluster_, id, options_, seed_ + id);
    replicas.back().restore_amnesiac(now);
    completions.emplace_back();
    recovered.emplace_back();
    durable.emplace_back();
    return id;
  }

  // Moves every Ready into the queue of messages in flight (a snapshot's compaction comes in
  // the next Ready).
  void collect() {
    for (SiteId i = 0; i < replicas.size(); ++i) {
      Ready r = replicas[i].take_ready();
      for (Envelope& e : r.messages) in_flight.push_back(std::move(e));
      for (Completion& c : r.completions) completions[i].push_back(std::move(c));
      if (r.compaction) ++compactions;
      if (r.promised) durable[i].promised = *r.promised;
      for (const AcceptedEntry& a : r.accepted) durable[i].accepted[a.slot] = a;
      if (r.recovered) recovered[i] = r.promised.value_or(Ballot{999999, 0});
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
  // Per site, the promise floor of the Ready that ended its recovery (a Ready with
  // `recovered` but no promise shows as round 999999).
  std::vector<std::optional<Ballot>> recovered;
  // Per site, the acceptor state its Readies persisted (for restart).
  struct DurableState {
    Ballot promised;
    std::map<Slot, AcceptedEntry> accepted;
  };
  std::vector<DurableState> durable;
  // Sites whose snapshots the test writes itself, and the states they handed out.
  std::map<SiteId, std::vector<std::shared_ptr<const SnapshotSource>>> held_snapshots;

 private:
  Cluster cluster_;
  ReplicaOptions options_;
  std::uint64_t seed_ = 0;
  std::uint64_t restarts_ = 0;
};

}  // namespace paxoskv::test
