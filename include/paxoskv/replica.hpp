#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "paxoskv/change_history.hpp"
#include "paxoskv/cluster.hpp"
#include "paxoskv/kv_map.hpp"
#include "paxoskv/ready.hpp"

namespace paxoskv {

// Milliseconds on a monotonic clock; the core never reads a clock, it is told the time.
using TimeMs = std::int64_t;

// Known bugs the simulator's tests switch on to prove its checkers catch them. Never set
// outside tests.
enum class InjectedBug : std::uint8_t {
  none,
  forget_promise_on_restart,  // restore() drops the promised ballot
  accept_below_promise,       // the acceptor accepts any ballot
  ignore_promised_values,     // a new leader ignores values accepted in promises
  apply_out_of_order,         // a decided slot is applied before the slots below it
  no_check_quorum,            // a leader no quorum answers never steps down
  wiped_voter_votes_at_once,  // restore_amnesiac() is an empty restore: votes with no memory
  // A membership change decided before the previous one governs is applied, not refused.
  two_changes_in_flight,
  // A leader applies a membership change to its configuration when it proposes it, before it
  // is decided.
  change_used_before_decided,
  // Bugs of the driver (driver::ReadyDriver), which carries out the Ready:
  forget_before_log_durable,  // acceptor records forgotten when a log fsync starts, not ends
  ack_before_fsync,           // every message sent before the fsyncs it depends on
};

struct ReplicaOptions {
  TimeMs heartbeat_interval_ms = 50;
  // A follower that hears nothing from the leader for a random time in [min, 2*min) campaigns.
  TimeMs election_timeout_ms = 300;
  // Unanswered prepares, accepts and catch-up requests are sent again after this long.
  TimeMs retransmit_ms = 100;
  // One attempt of a submitted command; after limits::max_request_attempts it fails.
  TimeMs request_attempt_ms = 2000;
  // Within an attempt, a command or read handed to another site is handed again this often
  // until it completes, so one lost datagram does not cost a whole attempt.
  TimeMs forward_retry_ms = 250;
  // A snapshot of the state machine is taken once this many slots were applied since the
  // last one (0: never). Deterministic, so the simulator replays it.
  Slot snapshot_every = 100000;
  // Decided slots kept in the log below a new snapshot's base, so that a site lagging by less
  // than this catches up by log entries rather than by a snapshot transfer.
  Slot log_tail = 1000;
  InjectedBug bug = InjectedBug::none;
};

// What `print status` shows.
struct ReplicaStatus {
  SiteId self = 0;
  std::optional<SiteId> leader;
  Ballot ballot;  // the highest ballot this site has promised or led with
  bool is_leader = false;
  Slot decided_end = 0;                   // slots below are decided here
  Slot applied_end = 0;                   // slots below are applied to the map
  Slot compacted_end = 0;                 // the base of the latest snapshot; 0 when none
  Slot log_start = 0;                     // the first slot still in the log
  std::uint64_t snapshots_taken = 0;      // by this incarnation
  std::uint64_t snapshots_installed = 0;  // received from a peer by this incarnation
  std::vector<SiteId> peers_up;           // heard from within the last election timeout
  // Started by restore_amnesiac and not recovered yet: it neither promises nor accepts.
  bool recovering = false;
};

class KvStore;
class ReplicaImpl;

// One site's consensus core: acceptor, proposer/leader, learner and the key-value state
// machine. Deterministic and free of I/O: it takes messages, ticks and submissions, and
// hands back a Ready of what to persist, send and report. The site and the simulator are
// its two drivers.
class Replica {
 public:
  Replica(Cluster cluster, SiteId self, ReplicaOptions options, std::uint64_t rng_seed);
  ~Replica();
  Replica(Replica&&) noexcept;
  Replica& operator=(Replica&&) noexcept;

  // Recovery, before any input: the durable acceptor state and the decided log.
  void restore(Ballot promised, const std::vector<AcceptedEntry>& accepted,
               const std::vector<LogEntry>& log, TimeMs now);
  // Recovery after compaction: the state machine from `snapshot` (if any), then the log, which
  // holds slots [log_start, ...) chained from `log_start_hash` and must reach the snapshot's
  // base: log_start <= snapshot->base <= log_start + log.size().
  void restore(Ballot promised, const std::vector<AcceptedEntry>& accepted,
               std::shared_ptr<const SnapshotImage> snapshot, Slot log_start,
               const Hash& log_start_hash, const std::vector<LogEntry>& log, TimeMs now);

  // A voter that lost its durable state (or never had any): it neither promises nor accepts
  // until it has recovered (see README, "A voter that lost its files"). It learns decisions,
  // forwards commands and answers recovery queries meanwhile; the Ready that ends the recovery
  // has `recovered` set. For a learner this is an empty restore.
  void restore_amnesiac(TimeMs now);
  // The same for a voter that stopped while recovering: the decided log it had learned by then
  // is a fact it keeps (arguments as for restore); only its votes are unknown.
  void restore_amnesiac(std::shared_ptr<const SnapshotImage> snapshot, Slot log_start,
                        const Hash& log_start_hash, const std::vector<LogEntry>& log, TimeMs now);

  void step(const Message& message, TimeMs now);
  void tick(TimeMs now);
  // A write (put/append/delete/tag) with its request id set; completes through Ready.
  void submit(const Command& command, TimeMs now);
  // A linearizable read of `key`; completes through Ready.
  void submit_read(RequestId id, const std::string& key, TimeMs now);

  // Everything produced since the last call.
  Ready take_ready();
  // The image of a Ready's `snapshot` is durable in SITE_snapshot.json (see Ready): compact
  // the log under it. Called once per such Ready, in any later input; a crash before it
  // simply loses that snapshot.
  void snapshot_written(std::shared_ptr<const SnapshotImage> image, TimeMs now);

  // The decided slots still in the log: [log_start(), log_start() + log().size()).
  const std::vector<LogEntry>& log() const;
  Slot log_start() const;
  const Hash& log_start_hash() const;
  // hash(decided_end - 1): the chain head.
  const Hash& head() const;
  // The latest snapshot taken or installed here (nullptr when none).
  std::shared_ptr<const SnapshotImage> snapshot() const;
  // The applied map, unordered; sorted_kv() lists it in key order.
  const KvMap& kv() const;
  // A key's revision and time to live; nullopt when it has no value.
  std::optional<KeyMeta> key_meta(const std::string& key) const;
  // The changes applied lately, for watches.
  const ChangeHistory& changes() const;
  ReplicaStatus status() const;
  // The latest configuration: the hosts file, changed by every membership change decided here
  // (README, "Membership").
  const Cluster& members() const;
  // Whom this site talks to: the latest configuration, except that a site a change removed
  // keeps its former role until the removal governs every slot from the decided end on (it is
  // still a voter of the slots before). The driver's address book (Ready::members_changed).
  Cluster address_book() const;
  // Every configuration known here, each with the first slot it governs: exact for the slots
  // from the base of the latest snapshot to the decided end plus the change delay.
  const std::vector<MemberEpoch>& member_epochs() const;
  // status().recovering, without the rest.
  bool recovering() const;

 private:
  std::unique_ptr<ReplicaImpl> impl_;
};

}  // namespace paxoskv
