#pragma once

// The consensus library: many independent single-decree Paxos instances, numbered by a
// sequence number, with the interface of the classic Paxos lab (start, status, done, max,
// min). It does not depend on the KV store.
//
// `Peer` is a deterministic core without I/O, like the rest of paxoskv: the driver feeds it
// received messages (`step`) and the passing of time (`tick`), and after every call takes the
// `Ready` value holding the messages to send and the instances newly decided here. Nothing is
// persisted: like the lab, a peer keeps its state in memory only.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "paxoskv/ballot.hpp"

namespace paxoskv::consensus {

// Instance number. Signed because the lab's conventions use -1 for "none": max() before any
// instance is known, and the done value of a peer that has not called done().
using Seq = std::int64_t;
// Index of a peer among the n peers of the group, counting from 0.
using PeerId = std::uint32_t;
// The driver's clock, in milliseconds; any origin, never decreasing.
using TimeMs = std::uint64_t;

enum class Fate {
  decided,    // the value is chosen and known here
  pending,    // not (yet) known decided here
  forgotten,  // at or below min() - 1: every peer called done() on it, its state is freed
};

struct Status {
  Fate fate = Fate::pending;
  std::string value;  // the decided value; empty unless fate is decided
};

enum class MessageType : std::uint8_t {
  prepare,      // phase 1a: ballot
  promise,      // phase 1b: ok, or a nack carrying the higher promised ballot in `ballot`
  accept,       // phase 2a: ballot and value
  accepted,     // phase 2b: ok, or a nack carrying the higher promised ballot
  decided,      // the chosen value; the receiver answers with decided_ack
  decided_ack,  // stops the sender's retransmission of decided
  done_notice,  // carries only the piggybacked done value, for when no other traffic flows
};

std::string to_string(MessageType type);

// One datagram. Every message piggybacks the sender's done value, so that the peers learn
// what can be freed without any extra round.
struct Message {
  MessageType type = MessageType::prepare;
  PeerId from = 0;
  PeerId to = 0;
  Seq seq = 0;
  Ballot ballot;           // prepare/accept: the proposal's; promise/accepted: echoed or higher
  bool ok = false;         // promise/accepted: true unless a nack
  Ballot accepted_ballot;  // promise: the acceptor's highest accepted ballot (null if none)
  std::string value;       // promise: accepted value; accept and decided: the value
  Seq done = -1;           // the sender's done value
};

// What the driver must do after each call into a Peer: send `messages` (in any order; the
// protocol tolerates loss, duplication and reordering) and, if it wants to wake waiters, look
// at the instances in `decided`.
struct Ready {
  std::vector<Message> messages;
  std::vector<Seq> decided;  // newly decided at this peer since the last take_ready()
};

// Every timing and bound of the library, in one place.
struct Config {
  // A proposal that has not succeeded after this long (plus a random jitter of up to the same
  // amount, so that duelling proposers fall out of step) is retried with a higher ballot.
  TimeMs retry_ms = 100;
  // Period of the retransmission of `decided` to peers that have not acknowledged it.
  TimeMs resend_ms = 100;
  // Period of the done_notice broadcast, sent only once this peer has called done().
  TimeMs done_gossip_ms = 500;
  // Seed of the retry jitter; the peer mixes in its id so that peers differ.
  std::uint64_t seed = 1;
};

class Peer {
 public:
  Peer(PeerId me, std::size_t n_peers, Config config = {});
  ~Peer();
  Peer(Peer&&) noexcept;
  Peer& operator=(Peer&&) noexcept;

  // Starts agreement on instance `seq` proposing `value`, and returns at once; the prepares
  // are in the next Ready. Does nothing if `seq` is forgotten, already decided here, or
  // already being proposed by this peer.
  void start(Seq seq, std::string value);
  // Local state only: never sends anything, never waits.
  Status status(Seq seq) const;
  // The application at this peer no longer needs any instance <= seq.
  void done(Seq seq);
  // Highest instance this peer has heard of (started or seen in a message); -1 if none.
  // Not lowered by done() or forgetting.
  Seq max() const;
  // One more than the lowest done value over all peers, as far as this peer knows: every
  // instance below min() is forgotten here.
  Seq min() const;

  void step(const Message& message, TimeMs now);
  void tick(TimeMs now);
  Ready take_ready();

  // Memory accounting, so tests can see that forgetting releases memory.
  std::size_t instance_count() const;
  std::size_t held_bytes() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace paxoskv::consensus
