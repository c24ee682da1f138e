#pragma once

#include <deque>
#include <map>
#include <set>
#include <vector>

#include "core/learner.hpp"
#include "core/membership.hpp"
#include "core/outbox.hpp"
#include "paxoskv/replica.hpp"

namespace paxoskv {

// A read whose leadership check has passed: it may be served once slots below `read_end`
// are applied.
struct ConfirmedRead {
  SiteId requester = 0;
  std::uint64_t read_id = 0;
  Slot read_end = 0;
};

// The proposer role: a follower, a candidate running phase 1 for every slot from some index
// on, or the leader running phase 2 only, with a bounded window of slots in flight.
//
// Each slot is an instance of Paxos among the voters of its own configuration (Membership).
// Phase 1 at one ballot serves every slot from `from` on, but a slot is proposed only once the
// promises in hand hold a quorum of that slot's configuration, and with the value of the
// highest ballot any promise reports for it. A configuration that a change brings into the
// window gets the same prepare, and its new voters' promises count from then on.
class Proposer {
 public:
  enum class Phase { follower, candidate, leader };

  Proposer(const Membership& members, const Learner& learner, SiteId self,
           const ReplicaOptions& options);

  Phase phase() const { return phase_; }
  bool is_leader() const { return phase_ == Phase::leader; }
  Ballot ballot() const { return ballot_; }
  Slot next_slot() const { return next_slot_; }

  // Phase 1 with a fresh ballot of round `round`, for every slot from `from` on; `transfer` when
  // a decided transfer named this site (Prepare::transfer).
  void campaign(std::uint64_t round, Slot from, TimeMs now, Outbox& out, bool transfer = false);
  // True when this promise completed phase 1 and made this site the leader.
  bool on_promise(SiteId from, const Promise& promise, TimeMs now);
  // The configurations of the slots this leader works on: from the decided end to the next
  // slot it will propose. Its leadership checks need a quorum of each.
  std::vector<const Cluster*> active_configs() const;
  void on_ack(SiteId from, const Ack& ack, Learner& learner, std::vector<LogEntry>& decided);
  void on_heartbeat_reply(SiteId from, const HeartbeatReply& reply,
                          std::vector<ConfirmedRead>& confirmed);
  // A higher ballot exists: stop proposing. Returns the commands that were waiting for a slot,
  // so the caller can hand them to the new leader.
  std::vector<Command> step_down();

  // Leader only: queue a command for the next free slot (a command already queued or in
  // flight is not queued twice).
  void propose(const Command& command);
  // Leader only: a read that must see every slot assigned so far.
  void add_read(SiteId requester, std::uint64_t read_id);

  // After an input: a heartbeat at once when reads wait for a leadership check. A single
  // voter confirms its reads by itself.
  void flush(TimeMs now, Outbox& out, std::vector<ConfirmedRead>& confirmed);
  // When the driver takes its Ready: accepts for the slots proposed since the last call and
  // commits for the slots decided since. Deferred to this point so that every command and
  // ack of one batch of inputs (a drained socket) shares one accept and one commit.
  void emit(Outbox& out);
  // Heartbeats, and retransmission of unanswered prepares and accepts.
  void tick(TimeMs now, Outbox& out);

 private:
  struct PromiseParts {
    Slot decided_end = 0;
    std::uint32_t parts = 0;
    std::set<std::uint32_t> received;
    std::vector<AcceptedEntry> accepted;
    bool complete() const { return parts > 0 && received.size() == parts; }
  };
  struct InFlight {
    Command command;
    std::set<SiteId> acks;
    TimeMs sent_at = 0;
    bool sent = false;
  };
  struct PendingRead {
    ConfirmedRead read;
    std::uint64_t probe = 0;  // confirmed by a quorum answering this heartbeat or a later one
  };

  void become_leader(TimeMs now);
  // Takes the values a complete promise reports for the slots not proposed yet.
  void recover_from(PromiseParts& promise);
  // Whether this configuration has a quorum among the complete promises.
  bool promised_by_quorum(const Cluster& config) const;
  // Whether this leader knows the configuration of `slot`.
  bool config_known(Slot slot) const;
  void fill_window();
  // Forgets the slots in flight that were decided without this leader's acks.
  void drop_decided();
  // Prepares to the voters of these configurations that have not promised yet.
  void prepare_missing(const std::vector<const Cluster*>& configs, Outbox& out);
  void send_heartbeat(Outbox& out);
  void confirm_reads(std::vector<ConfirmedRead>& confirmed);
  bool quorum_at_probe(std::uint64_t probe) const;
  // Whether this leader knows every slot chosen before now to lie below its next slot.
  bool settled() const;
  // Whether each configuration of the α slots from the decided end has promised this ballot.
  bool window_promised() const;
  // Every configuration that sites working on the current slots belong to: the active ones
  // and the latest.
  std::vector<const Cluster*> audience() const;

  const Membership& members_;
  const Learner& learner_;
  SiteId self_;
  ReplicaOptions options_;
  Phase phase_ = Phase::follower;
  Ballot ballot_;

  // candidate
  Slot prepare_from_ = 0;
  bool prepare_transfer_ = false;
  TimeMs prepare_sent_at_ = 0;
  std::map<SiteId, PromiseParts> promises_;

  // leader
  // Slots below start_ are decided at some promiser: learned, never proposed. Slots in
  // [next_slot_, recover_end_) take recovered_'s value, or a no-op, before any new command.
  Slot start_ = 0;
  Slot recover_end_ = 0;
  std::map<Slot, AcceptedEntry> recovered_;
  bool prepare_wanted_ = false;  // a configuration in the window has voters yet to promise
  Slot next_slot_ = 0;
  std::map<Slot, InFlight> in_flight_;
  std::deque<Command> queue_;
  std::set<RequestId> proposed_;  // ids queued or in flight
  std::vector<SlotCommand> newly_decided_;
  TimeMs now_ = 0;
  TimeMs heartbeat_sent_at_ = 0;
  std::uint64_t probe_ = 0;
  bool probe_wanted_ = false;
  std::map<SiteId, std::uint64_t> acked_probe_;
  std::vector<PendingRead> reads_;
};

}  // namespace paxoskv
