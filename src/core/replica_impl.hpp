#pragma once

#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/acceptor.hpp"
#include "core/kv_store.hpp"
#include "core/learner.hpp"
#include "core/membership.hpp"
#include "core/proposer.hpp"
#include "paxoskv/member_change.hpp"
#include "paxoskv/replica.hpp"

namespace paxoskv {

class ReplicaImpl {
 public:
  ReplicaImpl(Cluster cluster, SiteId self, ReplicaOptions options, std::uint64_t seed);

  void restore(Ballot promised, const std::vector<AcceptedEntry>& accepted,
               std::shared_ptr<const SnapshotImage> snapshot, Slot log_start,
               const Hash& log_start_hash, const std::vector<LogEntry>& log, TimeMs now);
  void restore_amnesiac(std::shared_ptr<const SnapshotImage> snapshot, Slot log_start,
                        const Hash& log_start_hash, const std::vector<LogEntry>& log, TimeMs now);
  void step(const Message& message, TimeMs now);
  void tick(TimeMs now);
  void submit(const Command& command, TimeMs now);
  void submit_read(RequestId id, const std::string& key, TimeMs now);
  Ready take_ready();
  void snapshot_written(std::shared_ptr<const SnapshotImage> image, TimeMs now);

  const std::vector<LogEntry>& log() const { return learner_.log(); }
  Slot log_start() const { return learner_.base(); }
  const Hash& log_start_hash() const { return learner_.base_hash(); }
  const Hash& head() const { return learner_.head(); }
  std::shared_ptr<const SnapshotImage> snapshot() const { return snapshot_; }
  const KvMap& kv() const { return kv_.map(); }
  const KvStore& kv_store() const { return kv_; }
  bool recovering() const { return recovery_.has_value(); }
  const Cluster& members() const { return members_.latest(); }
  Cluster address_book() const;
  const std::vector<MemberEpoch>& member_epochs() const { return members_.epochs(); }
  ReplicaStatus status() const;

 private:
  // A command or read submitted here, until it completes.
  struct Request {
    int attempt = 1;
    TimeMs attempt_deadline = 0;
    std::optional<SiteId> routed_to;
    TimeMs sent_at = 0;  // when it was last handed to routed_to
    std::uint32_t resends = 0;
  };
  struct PendingWrite {
    Command command;
    Request request;
  };
  struct PendingRead {
    RequestId id;
    std::string key;
    Request request;
    std::optional<Slot> read_end;
  };

  // One handler per message type.
  void on(SiteId from, const Prepare& m);
  void on(SiteId from, const Promise& m);
  void on(SiteId from, const Accept& m);
  void on(SiteId from, const Ack& m);
  void on(SiteId from, const Nack& m);
  void on(SiteId from, const Commit& m);
  void on(SiteId from, const Heartbeat& m);
  void on(SiteId from, const HeartbeatReply& m);
  void on(SiteId from, const CatchupRequest& m);
  void on(SiteId from, const CatchupReply& m);
  void on(SiteId from, const Forward& m);
  void on(SiteId from, const ReadIndexRequest& m);
  void on(SiteId from, const ReadIndexReply& m);
  void on(SiteId from, const RecoveryQuery& m);
  void on(SiteId from, const RecoveryReply& m);

  void after_input();
  void note_ballot(Ballot b);
  void heard_leader(Ballot b);
  bool refuses_to_depose(SiteId candidate) const;
  // Where this site's requests go now: the leader, or a relay when it cannot hear the leader.
  std::optional<SiteId> route_target() const;
  // The leader this site follows and heard within the shortest election timeout, if any.
  std::optional<SiteId> live_leader() const;
  void forget_old_relays();
  void check_gap();
  // Another voter, in turn by `turn`, to relay a request whose answers do not come back from
  // where it was sent.
  std::optional<SiteId> some_relay(std::uint32_t turn) const;
  void step_down_if_outranked(Ballot seen);
  void became_leader();
  // Whether `site` may lead, as this site knows: a voter of the slots from this site's decided
  // end on (a promoted site leads only once its promotion governs there, since only a voter of
  // a slot's configuration may propose in it) and of the latest configuration.
  bool may_lead(SiteId site) const;
  void maybe_campaign();
  // A member that hears no leader and does not campaign asks a peer for the log, in turn, once
  // per election timeout: with no leader, nothing else tells it that it is behind.
  void seek_log_without_leader();
  // Phase 1 now; `transfer` when a decided transfer named this site (Prepare::transfer).
  void campaign(bool transfer);
  // What a site does about a change it has just applied live (not while restoring): the target
  // of a transfer campaigns.
  void on_member_applied(const LogEntry& entry);
  // Leader only: a change of this leader's own, with no client behind it.
  void propose_own(const MemberChange& change);
  // Leader only: promotes a joining site once it has caught up (`member add … voter`).
  void maybe_promote_joining();
  // Keys with a time to live (README, "Keys with a time to live"). Every site counts a key's
  // time from when it applied the key's latest write (or restored it); the leader deletes a
  // key whose time ran out, through the log, on the condition that it was not written since.
  void track_expiry(const std::string& key);
  void track_every_expiry();
  void expire_keys();
  // The voter of the latest configuration best placed to lead next: answering this leader, and
  // the furthest along.
  std::optional<SiteId> handover_target() const;
  // A leader whose removal governs its next slot, with every slot below decided, hands over
  // and steps down.
  void step_down_if_removed();
  void check_quorum();
  bool quorum_heard() const;
  // This site, or a site that answered this leader within an election timeout.
  bool answered_lately(SiteId site) const;
  void answered(SiteId from, Ballot ballot);
  void reset_election_timer();
  // One decided entry, on the map or on the membership.
  ApplyResult execute(const LogEntry& entry);
  void apply(const std::vector<LogEntry>& decided);
  void learn(const std::vector<SlotCommand>& entries);
  void observe_decided_end(SiteId from, Slot decided_end);
  void maybe_catch_up();
  void request_catch_up(SiteId from);
  void serve_snapshot(SiteId to, const CatchupRequest& m);
  void on_snapshot_chunk(SiteId from, const SnapshotChunk& chunk);
  void install_snapshot(std::shared_ptr<const SnapshotImage> image, const Snapshot& snapshot);
  void maybe_snapshot();
  // Hands a command to this leader's proposer; a promotion of a learner that has not caught up
  // becomes a refusal.
  void propose(Command command);
  std::string promotion_problem(const std::string& name) const;
  std::string removal_problem(const std::string& name) const;
  void route_requests();
  void route(const Command& command, Request& request);
  void route(std::uint64_t read_id, PendingRead& read);
  void expire_requests();
  void resend_forwarded();
  void finish_reads();
  void serve_confirmed(const std::vector<ConfirmedRead>& confirmed);
  std::optional<SiteId> leader() const;
  bool fresh() const;
  std::uint64_t random_id();
  void query_for_recovery();
  void ask_next_slot();
  void advance_recovery();
  // Whether the recovery answers hold a quorum of this configuration (this site not counted).
  bool answered_by_quorum(const Cluster& config) const;
  // Whether every other voter of this configuration has answered the recovery query.
  bool answered_by_every_voter(const Cluster& config) const;
  void finish_recovery(Ballot floor);

  // Whether this site takes part as a voter now: in the configuration of its next undecided
  // slot, or in the latest one (a promoted learner votes as soon as it knows).
  bool votes() const;
  // The configuration in which this site looks for leaders, quorums and peers.
  const Cluster& current() const { return members_.latest(); }
  // Sizes the per-site tables for sites added since (and for ids up to `at_least` - 1).
  void track_sites(std::size_t at_least = 0);

  Membership members_;
  SiteId self_;
  ReplicaOptions options_;
  std::mt19937_64 rng_;
  Ready ready_;
  Outbox out_;
  TimeMs now_ = 0;

  Acceptor acceptor_;
  Learner learner_;
  KvStore kv_;
  Proposer proposer_;

  // What this site believes about leadership.
  std::optional<SiteId> leader_hint_;
  Ballot leader_ballot_;
  TimeMs last_leader_contact_ = 0;  // a leader heard or a candidate promised: the election timer
  TimeMs leader_since_ = 0;         // when this site last became leader
  // Another site last heard as the leader, and when (see refuses_to_depose).
  std::optional<SiteId> heard_leader_site_;
  TimeMs heard_leader_at_ = 0;
  // A peer that refused this site's prepare because it follows a live leader, and when: while
  // this site cannot hear that leader itself, its requests go through the peer (route_target).
  std::optional<SiteId> relay_;
  TimeMs relay_at_ = 0;
  TimeMs relay_catch_up_at_ = 0;  // the last catch-up request sent to the relay
  // The decided end a leader last saw move, and since when (check_gap).
  Slot gap_watch_end_ = 0;
  TimeMs gap_watch_since_ = 0;
  // Requests this site relayed for another to its leader: reads by read_id, with the site that
  // asked (the leader's reply goes back to it), and writes by id; each with when it was
  // relayed, so that stale leader hints cannot pass one around in a circle.
  std::map<std::uint64_t, std::pair<SiteId, TimeMs>> relayed_reads_;
  std::map<RequestId, TimeMs> relayed_writes_;
  TimeMs election_timeout_ = 0;
  // When this leader last proposed a promotion of its own: one at a time, retried after an
  // election timeout if it came to nothing.
  std::optional<TimeMs> own_promotion_at_;
  // Per key with a time to live: when it expires by this site's clock, and when this site as
  // leader last proposed to delete it (so it proposes again only once that attempt is over).
  struct Expiry {
    TimeMs at = 0;
    std::optional<TimeMs> proposed_at;
  };
  std::unordered_map<std::string, Expiry> expiries_;
  // Whether address_book() still keeps a removed site as a member: once the decided end reaches
  // the slot the latest change governs from, it no longer does, and the driver is told.
  bool removal_pending_ = false;
  // The candidate whose prepare last restarted the election timer, until a leader is heard.
  std::optional<SiteId> timer_restarted_for_;
  std::uint64_t highest_round_ = 0;
  std::vector<TimeMs> last_heard_;
  std::vector<TimeMs> last_answer_;         // per voter: its last answer to this site as leader
  std::vector<Slot> reported_decided_end_;  // per site, from its heartbeat replies

  // Catch-up: the highest decided_end another site reported, and the site that reported it
  // last (the first to report it may have died since).
  Slot known_decided_end_ = 0;
  SiteId known_decided_at_ = 0;
  // The last catch-up request sent on a timer, and this site's decided_end then: a request that
  // brought nothing by the next deadline is sent to the next site in turn.
  std::optional<SiteId> catch_up_asked_;
  Slot catch_up_asked_from_ = 0;
  Slot gap_target_ = 0;  // a decided_end we expected to reach by gap_deadline_
  TimeMs gap_deadline_ = 0;
  TimeMs catch_up_sent_at_ = -1;
  // seek_log_without_leader: the peer it asked last, and when.
  SiteId leaderless_asked_ = 0;
  std::optional<TimeMs> leaderless_asked_at_;

  // Compaction: the latest snapshot (served to sites that need slots below the log), and a
  // snapshot being received, piece by piece.
  struct IncomingSnapshot {
    Slot base = 0;
    Hash digest{};
    std::uint64_t size = 0;
    std::string bytes;
  };
  std::shared_ptr<const SnapshotImage> snapshot_;
  bool snapshot_pending_ = false;  // handed out in a Ready, not yet reported written
  std::optional<IncomingSnapshot> incoming_;
  std::uint64_t snapshots_taken_ = 0;
  std::uint64_t snapshots_installed_ = 0;

  // A voter started by restore_amnesiac, until it may vote again (README, "A voter that lost
  // its files"): the answers of the other voters, then the promise floor P from all of them,
  // then the next unassigned slot N of a leader at a ballot Q >= P, then the log up to N.
  struct Recovery {
    std::uint64_t query_id = 0;
    TimeMs queried_at = 0;
    std::map<SiteId, RecoveryReply> replies;  // other voters only
    // The other voters of a configuration from N on that lacked answers: the floor waits for
    // all of them, and asks and counts those the latest configuration no longer names too.
    std::set<SiteId> needed;
    std::optional<Ballot> floor;  // P
    std::uint64_t read_id = 0;
    std::map<SiteId, Ballot> asked;  // leaders asked for N, at the ballot they led with then
    TimeMs asked_at = 0;
    std::optional<Slot> target;  // N
    Ballot leader_ballot;        // Q, the ballot of the leader that answered
  };
  std::optional<Recovery> recovery_;

  std::map<RequestId, PendingWrite> writes_;
  std::map<std::uint64_t, PendingRead> reads_;
  // route_requests() state: the leader of its last full pass, and whether a request was
  // added or retried since.
  bool routing_dirty_ = true;
  std::optional<SiteId> routed_for_;
};

}  // namespace paxoskv
