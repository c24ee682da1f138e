#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "consensus/context.hpp"
#include "paxoskv/consensus.hpp"

namespace paxoskv::consensus::detail {

// One single-decree Paxos execution as seen by one peer: its acceptor, its proposer (active
// only if start() was called here) and its learner. Messages addressed to this peer itself
// go out like any other; the Peer loops them back without the network.
class Instance {
 public:
  Instance(Seq seq, PeerId me, std::size_t n_peers);

  void start(std::string value, Context& ctx);
  void step(const Message& m, Context& ctx);
  void tick(Context& ctx);

  bool is_decided() const { return decided_.has_value(); }
  const std::string& decided_value() const { return *decided_; }
  std::size_t held_bytes() const;

 private:
  enum class Phase { idle, preparing, accepting, backing_off };

  // Acceptor.
  void on_prepare(const Message& m, Context& ctx);
  void on_accept(const Message& m, Context& ctx);
  // Proposer.
  void begin_round(Context& ctx);
  void on_promise(const Message& m, Context& ctx);
  void on_accepted(const Message& m, Context& ctx);
  void back_off(Context& ctx);
  // True when `m` is a new vote of the running `phase` for this ballot (and counts it); a
  // refusal from a higher ballot backs off.
  bool take_vote(const Message& m, Phase phase, Context& ctx);
  // Notes the ballot; if this instance is decided, answers `m` with the decision and is true.
  bool answered_with_decision(const Message& m, Context& ctx);
  // Learner.
  void learn(std::string value);
  void on_decided(const Message& m, Context& ctx);
  void announce(Context& ctx, std::optional<PeerId> knows);

  Message reply_to(const Message& m, MessageType type) const;
  void broadcast(Message m, Context& ctx) const;
  std::size_t majority() const { return n_peers_ / 2 + 1; }
  void note_round(Ballot b);

  Seq seq_;
  PeerId me_;
  std::size_t n_peers_;

  // Acceptor state. Released once decided: a decided instance answers with its value.
  Ballot promised_;
  Ballot accepted_;
  std::string accepted_value_;

  // Proposer state; `my_value_` is set only at a peer that called start().
  std::optional<std::string> my_value_;
  Phase phase_ = Phase::idle;
  Ballot ballot_;
  std::uint64_t max_round_seen_ = 0;
  std::vector<bool> voted_;  // peers that promised (phase 1) or accepted (phase 2) ballot_
  std::size_t votes_ = 0;
  Ballot best_accepted_;  // highest accepted ballot among the promises of ballot_
  std::string proposal_;  // phase 1: best accepted value so far; phase 2: the value sent
  TimeMs deadline_ms_ = 0;

  // Learner state. `unacked_` is non-empty only at a peer that called start(): it retransmits
  // `decided` until each peer acknowledges, so that a peer cut off at the time (deaf,
  // partitioned) learns the value once it can hear again.
  std::optional<std::string> decided_;
  std::vector<bool> unacked_;
  TimeMs resend_at_ms_ = 0;
};

}  // namespace paxoskv::consensus::detail
