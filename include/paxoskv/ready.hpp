#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "paxoskv/chain.hpp"
#include "paxoskv/message.hpp"
#include "paxoskv/snapshot.hpp"

namespace paxoskv {

// The outcome of a command submitted at this site.
struct Completion {
  RequestId id;
  bool ok = false;
  std::string reason;  // why it failed, for the user
  bool is_read = false;
  std::optional<std::string> value;  // a read's result; nullopt is null
  // A write's revision (the slot it was applied in, change_history.hpp); 0: not known.
  std::uint64_t revision = 0;
};

// What the core asks its driver to do, in this order (the idea of etcd raft's Ready):
//   1. append `promised` and `accepted` to the acceptor state and `decided` to the log,
//      and fsync both: no message below may be seen by anyone before that;
//   2. send `messages`.
// `completions` may be reported at any time, even before step 1: a completed command is
// decided, hence durable on a quorum whose acks (this site's own among them) were sent only
// after their step 1, and a read is answered from the applied, decided state; no answer rests
// on a record of this Ready.
// With `snapshot`, the state machine as of slot snapshot->base: once step 1 made the log
// durable up to that slot, the driver turns it into an image (make_snapshot_image), writes
// that durably to SITE_snapshot.json, and reports it with Replica::snapshot_written. It may
// do so on another thread while the replica goes on; no other snapshot is asked for meanwhile.
// With `compaction`, step 1 first writes `compaction.snapshot` durably when it was
// `installed` from a peer (a snapshot of this site's own is on disk already), then replaces
// the whole decided log by Replica::log() as it stands when the Ready is taken (slots from
// `compaction.log_start` on, chained from `log_start_hash`; this already holds `decided`,
// which is not appended separately), and only then may acceptor records below the new log's
// end be forgotten.
// With `recovered`, this Ready ends the recovery of a voter started with
// Replica::restore_amnesiac: step 1 makes "recovery done" durable together with `promised`
// (then set, to the recovered promise floor, possibly the null ballot), in one atomic write or
// with the promise first. No message of this Ready may leave before: its promises and acks
// rest on that floor, and a site that crashes before the flag is durable must recover again
// (restore_amnesiac) rather than restart as if it had never lost its state.
struct Compaction {
  std::shared_ptr<const SnapshotImage> snapshot;
  Slot log_start = 0;
  Hash log_start_hash = genesis_hash;
  bool installed = false;  // received from a peer, rather than taken here
};

struct Ready {
  std::optional<Ballot> promised;
  std::vector<AcceptedEntry> accepted;
  std::vector<LogEntry> decided;  // contiguous, in slot order, continuing the log
  std::shared_ptr<const SnapshotSource> snapshot;
  std::optional<Compaction> compaction;
  std::vector<Envelope> messages;
  std::vector<Completion> completions;
  bool kv_changed = false;  // the applied map changed since the last Ready
  bool recovered = false;   // the recovery of restore_amnesiac is over (see above)
  // Replica::address_book() changed (a change was applied, or a removal came to govern): the
  // driver's address book follows.
  bool members_changed = false;

  bool must_persist() const {
    return promised || !accepted.empty() || !decided.empty() || compaction || recovered;
  }
  bool empty() const {
    return !must_persist() && !snapshot && messages.empty() && completions.empty() && !kv_changed &&
           !members_changed;
  }
};

// True for a phase-2a `accept` to another site. It states nothing about this site's durable
// state (the acceptors that ack it must be durable, not the proposer), so a driver may send it
// before step 1's fsyncs: the followers' fsyncs then run while the leader's own does, and a
// write costs one fsync of latency instead of two. Everything else waits for step 1.
bool sendable_before_persist(const Envelope& envelope, SiteId self);

}  // namespace paxoskv
