#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "paxoskv/cluster.hpp"
#include "paxoskv/command.hpp"
#include "paxoskv/member_change.hpp"
#include "paxoskv/ready.hpp"
#include "sim/member_stats.hpp"
#include "sim/sim_config.hpp"
#include "sim/sim_random.hpp"
#include "sim/trace.hpp"

namespace paxoskv::sim {

// One membership change typed at a site.
struct MemberAttempt {
  SiteId site = 0;
  Command command;
};

// The cluster's operator during the fault phase: now and then a membership change, typed at a
// random live site like a client's command and retried at another with the same request id
// until its outcome is known (during the faults it gives up after as many attempts as a
// client). It adds a site (as a learner, or to become a voter), promotes a learner, removes a
// site (a voter or a learner, the leader too) and transfers leadership, picking the sites from
// the configuration the decided log has reached. Now and then it types a second change at
// once, through another site, which the one-change-at-a-time rule should refuse, and now and
// then one bound to be refused (a name or an endpoint in use, no such member, the last voter).
// It never types a change that could leave the voters that have their state short of a quorum
// (the simulator says which, see poll). Each of its two lanes has its own client id and one
// change at a time, as the state machine's dedup of retries requires.
class SimOperator {
 public:
  SimOperator(const SimConfig& config, Trace& trace);

  // Called every tick: the changes to submit now (new ones, retries). `latest` is the
  // configuration after every change decided so far; a new change is typed only when `safe`
  // says that it (with the changes under way) leaves a quorum of voters that have their state
  // (Simulator::keeps_quorum_with_state). `leader` finds the leader, if any.
  std::vector<MemberAttempt> poll(TimeMs now, const std::vector<SiteId>& live,
                                  const Cluster& latest,
                                  const std::function<bool(const std::vector<MemberChange>&)>& safe,
                                  const std::function<std::optional<SiteId>()>& leader,
                                  SimRandom& random);
  // The changes typed and not answered yet, and those given up on that may still be decided
  // (see on_decided).
  std::vector<MemberChange> under_way() const;
  // A request of the operator's was decided (the replay of the decided log reached it): no
  // change of that client with that sequence number or a lower one can take effect any more.
  void on_decided(RequestId id);
  // Whether this request is one of the operator's.
  bool owns(RequestId id) const;
  // Whether the operator still waits for the outcome of this request: it ignores the answers
  // to one it gave up on, as a client does (sites report a plain success for a request older
  // than its client's last, KvStore::result_of).
  bool waits_for(RequestId id) const;
  // A completion reported by `site` for one of the operator's requests.
  void on_completion(SiteId site, const Completion& completion, TimeMs now, SimRandom& random);
  // `site` stopped: a change waiting there is retried elsewhere at once.
  void on_crash(SiteId site);
  // The faults stopped: no new changes; those under way are seen through, never given up.
  void on_heal();
  bool finished() const;

  // submitted, bursts, given up.
  const MemberStats& stats() const { return stats_; }

 private:
  struct Pending {
    MemberAttempt attempt;
    int attempts = 1;
    TimeMs deadline = 0;
    bool retry_now = false;
  };
  struct Lane {
    std::uint64_t client = 0;
    std::uint64_t seq = 0;
    std::optional<Pending> pending;
  };

  // A change to make of `latest`, other than `first` (the change a burst goes with).
  std::optional<MemberChange> choose(const Cluster& latest, std::optional<SiteId> leader,
                                     const MemberChange* first, SimRandom& random);
  std::optional<MemberChange> add(const Cluster& latest, SimRandom& random);
  MemberAttempt start(Lane& lane, const MemberChange& change, TimeMs now,
                      const std::vector<SiteId>& live, SimRandom& random);
  std::optional<MemberAttempt> retry(Lane& lane, TimeMs now, const std::vector<SiteId>& live,
                                     SimRandom& random);
  void finish(Lane& lane, TimeMs now, SimRandom& random);
  std::string label(const Lane& lane) const;

  Trace& trace_;
  bool enabled_;
  TimeMs mean_interval_ms_;
  TimeMs timeout_ms_;
  int max_attempts_;
  std::size_t max_sites_;  // ids, removed sites included: the initial ones and a few added
  std::array<Lane, 2> lanes_;
  // Changes given up on during the faults and not decided yet. Giving up says nothing of the
  // outcome: a site may still hold the request, an acceptor may have accepted it, and a later
  // leader re-proposes what it finds. Such a change stays under way until a request of its
  // client as recent or more is decided: the state machine acts on a client's requests in
  // sequence (KvStore::apply_once), so an older one decided after that is a stale retry and
  // changes nothing (mixed seeds 23185 and 49105: a removal given up on, then decided after the
  // simulator had wiped a voter of the configuration of two it made).
  std::vector<Command> given_up_;
  TimeMs next_at_ = 0;
  bool healed_ = false;
  std::uint64_t added_ = 0;  // names and ports handed out to new sites
  MemberStats stats_;
};

}  // namespace paxoskv::sim
