#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "paxoskv/ballot.hpp"
#include "paxoskv/command.hpp"

namespace paxoskv {

// Half-open slot ranges throughout: `decided_end` is the first slot not known decided,
// i.e. every slot below it is decided and known to the sender.

struct SlotCommand {
  Slot slot = 0;
  Command command;
  bool operator==(const SlotCommand&) const = default;
};

struct AcceptedEntry {
  Slot slot = 0;
  Ballot ballot;
  Command command;
  bool operator==(const AcceptedEntry&) const = default;
};

// Phase 1a: the sender asks for a promise on every slot from `from` on. `transfer` says the
// sender campaigns because a decided `member NAME transfer` named it (README, "Leader
// transfer"): voters answer it even while they follow a live leader.
struct Prepare {
  Ballot ballot;
  Slot from = 0;
  bool transfer = false;
};

// Phase 1b. `accepted` holds what the acceptor accepted in slots >= max(from, decided_end);
// slots below the acceptor's `decided_end` are decided and must be learned, not proposed.
// A promise too large for one datagram comes in `parts` pieces numbered by `part`; it counts
// only once every piece has arrived.
struct Promise {
  Ballot ballot;
  Slot decided_end = 0;
  std::vector<AcceptedEntry> accepted;
  std::uint32_t part = 0;
  std::uint32_t parts = 1;
};

// Phase 2a, for a batch of slots.
struct Accept {
  Ballot ballot;
  Slot decided_end = 0;  // the leader's, so followers notice what they miss
  std::vector<SlotCommand> entries;
};

// Phase 2b.
struct Ack {
  Ballot ballot;
  std::vector<Slot> slots;
};

// Rejection of a prepare or an accept: `ballot` is the higher ballot the acceptor promised.
struct Nack {
  Ballot ballot;
};

// The decided values of some slots.
struct Commit {
  Slot decided_end = 0;  // the sender's
  std::vector<SlotCommand> entries;
};

// Sent by the leader every heartbeat interval, and at once when a read needs its leadership
// confirmed; `probe` numbers the heartbeats of one leader.
struct Heartbeat {
  Ballot ballot;
  Slot decided_end = 0;
  std::uint64_t probe = 0;
};

// Answer to the heartbeat (`ballot`, `probe`): `promised` is the acceptor's promised
// ballot. A leader counts a reply towards confirming its leadership only if it answers a
// heartbeat of the leader's own ballot: probe numbers restart with each leadership, so a
// late answer to an earlier leader's heartbeat must not confirm anything.
struct HeartbeatReply {
  Ballot promised;
  std::uint64_t probe = 0;
  Slot decided_end = 0;
  Ballot ballot;
};

// Where a snapshot transfer stands: the receiver has the first `offset` bytes of the image
// named by (`base`, `digest`).
struct SnapshotCursor {
  Slot base = 0;
  std::array<std::uint8_t, 32> digest{};
  std::uint64_t offset = 0;
  bool operator==(const SnapshotCursor&) const = default;
};

// A piece of a serialized snapshot: bytes [offset, offset + data.size()) of an image of
// `size` bytes named by (`base`, `digest`).
struct SnapshotChunk {
  Slot base = 0;
  std::array<std::uint8_t, 32> digest{};
  std::uint64_t size = 0;
  std::uint64_t offset = 0;
  std::string data;
  bool operator==(const SnapshotChunk&) const = default;
};

// "Send me what I miss from slot `from` on". During a snapshot transfer `snapshot` says
// which piece comes next, so the transfer is pulled piece by piece and resumes after a loss.
struct CatchupRequest {
  Slot from = 0;
  std::optional<SnapshotCursor> snapshot = std::nullopt;
};

// Decided slots from `entries.front().slot` on, as many as fit one datagram; or, when the
// requested slot is below the sender's log (compacted away), a piece of its snapshot.
struct CatchupReply {
  Slot decided_end = 0;  // the sender's
  std::vector<SlotCommand> entries;
  std::optional<SnapshotChunk> snapshot = std::nullopt;
};

// A command a site hands to the leader for proposal.
struct Forward {
  Command command;
};

// A site asks the leader where a linearizable read must wait: the leader confirms it still
// leads, then answers with `read_end`, its next unassigned slot.
struct ReadIndexRequest {
  std::uint64_t read_id = 0;
};

struct ReadIndexReply {
  std::uint64_t read_id = 0;
  Slot read_end = 0;
};

// A voter that lost its durable state asks every other voter what it promised (see
// Replica::restore_amnesiac). `query_id` is random per incarnation: a late reply to a query of
// an earlier incarnation would report an older, lower promise.
struct RecoveryQuery {
  std::uint64_t query_id = 0;
};

// `promised` is the replier's promised ballot; `fresh` says it never promised nor accepted
// anything, decided nothing and has no snapshot. Both are durable when the reply leaves.
struct RecoveryReply {
  std::uint64_t query_id = 0;
  Ballot promised;
  bool fresh = false;
};

using MessageBody = std::variant<Prepare, Promise, Accept, Ack, Nack, Commit, Heartbeat,
                                 HeartbeatReply, CatchupRequest, CatchupReply, Forward,
                                 ReadIndexRequest, ReadIndexReply, RecoveryQuery, RecoveryReply>;

struct Message {
  SiteId from = 0;
  MessageBody body;
};

// A message on its way: to one site.
struct Envelope {
  SiteId to = 0;
  Message message;
};

// The `type` field on the wire: "prepare", "promise", "accept", "ack", "nack", "commit",
// "heartbeat", "heartbeat_reply", "catchup_request", "catchup_reply", "forward",
// "read_index_request", "read_index_reply", "recovery_query", "recovery_reply".
const char* type_name(const MessageBody& body);

}  // namespace paxoskv
