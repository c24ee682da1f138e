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
  // `decided_end` are decided here: the promise reports them through its decided_end.
  std::vector<MessageBody> on_prepare(const Prepare& prepare, Slot decided_end, Ready& out);
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
