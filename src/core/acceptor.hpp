#pragma once

#include <map>
#include <vector>

#include "paxoskv/message.hpp"
#include "paxoskv/ready.hpp"
#include "paxoskv/replica.hpp"

namespace paxoskv {

// The acceptor role. One promised ballot covers every slot (Multi-Paxos); accepted values are
// kept per slot until the slot is known decided. Every change is also recorded into the
// Ready, so the driver makes it durable before the reply leaves.
class Acceptor {
 public:
  explicit Acceptor(InjectedBug bug = InjectedBug::none) : bug_(bug) {}
  void restore(Ballot promised, const std::vector<AcceptedEntry>& accepted);

  // A Promise (possibly in several parts, each fitting a datagram) or a Nack. Slots below
  // `decided_end` are decided here: the promise reports them through its decided_end. A
  // prepare at the promised ballot itself is answered like the first one (see promise_own).
  std::vector<MessageBody> on_prepare(const Prepare& prepare, Slot decided_end, Ready& out);
  // This site campaigns with `ballot`: it promises it first, in the Ready that carries its
  // prepares, so the ballot is durable before any of them leaves. A restarted site therefore
  // never campaigns with a ballot it used before, and a prepare repeated at the promised ballot
  // (its promise was lost, or it is the candidate's own) can safely get the same answer.
  void promise_own(Ballot ballot, Ready& out);
  // The end of a recovery (Replica::restore_amnesiac): this acceptor, which remembers nothing,
  // promises `floor`, at or above every ballot its lost votes could have counted in. Recorded
  // even when it is the null ballot, so the Ready that ends the recovery always carries it.
  void recover(Ballot floor, Ready& out);
  // An Ack or a Nack.
  MessageBody on_accept(const Accept& accept, Slot decided_end, Ready& out);

  void forget_below(Slot decided_end);

  Ballot promised() const { return promised_; }
  const std::map<Slot, AcceptedEntry>& accepted() const { return accepted_; }

 private:
  InjectedBug bug_;
  Ballot promised_;
  std::map<Slot, AcceptedEntry> accepted_;
};

}  // namespace paxoskv
