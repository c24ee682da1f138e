#include "core/acceptor.hpp"

#include <algorithm>
#include <cassert>

#include "core/entry_packing.hpp"

namespace paxoskv {

void Acceptor::restore(Ballot promised, const std::vector<AcceptedEntry>& accepted) {
  promised_ = promised;
  accepted_.clear();
  for (const AcceptedEntry& e : accepted) {
    assert(e.ballot <= promised_ || bug_ != InjectedBug::none);
    accepted_[e.slot] = e;
  }
}

std::vector<MessageBody> Acceptor::on_prepare(const Prepare& prepare, Slot decided_end,
                                              Ready& out) {
  // At the promised ballot: a retransmission whose promise was lost, or the candidate's own
  // prepare after promise_own. Answering it again is safe because no proposer reuses a ballot
  // (promise_own); refusing it cost a whole new election for one lost datagram.
  if (prepare.ballot < promised_) return {Nack{promised_}};
  if (prepare.ballot > promised_) {
    promised_ = prepare.ballot;
    out.promised = promised_;
  }

  std::vector<AcceptedEntry> reported;
  for (auto it = accepted_.lower_bound(std::max(prepare.from, decided_end)); it != accepted_.end();
       ++it)
    reported.push_back(it->second);
  auto parts =
      pack(std::move(reported), [](const AcceptedEntry& e) { return wire_size(e.command); });
  if (parts.empty()) parts.emplace_back();

  std::vector<MessageBody> replies;
  for (std::size_t i = 0; i < parts.size(); ++i)
    replies.push_back(Promise{promised_, decided_end, std::move(parts[i]),
                              static_cast<std::uint32_t>(i),
                              static_cast<std::uint32_t>(parts.size())});
  return replies;
}

void Acceptor::promise_own(Ballot ballot, Ready& out) {
  assert(ballot > promised_);
  promised_ = ballot;
  out.promised = promised_;
}

void Acceptor::recover(Ballot floor, Ready& out) {
  assert(accepted_.empty());
  promised_ = std::max(promised_, floor);
  out.promised = promised_;
}

MessageBody Acceptor::on_accept(const Accept& accept, Slot decided_end, Ready& out) {
  if (accept.ballot < promised_ && bug_ != InjectedBug::accept_below_promise)
    return Nack{promised_};
  if (accept.ballot > promised_) {
    promised_ = accept.ballot;
    out.promised = promised_;
  }
  Ack ack{accept.ballot, {}};
  for (const SlotCommand& e : accept.entries) {
    // A slot already decided here holds the same value (Paxos guarantees any later proposal
    // carries it), so there is nothing to record, only to confirm.
    if (e.slot >= decided_end) {
      AcceptedEntry entry{e.slot, accept.ballot, e.command};
      accepted_[e.slot] = entry;
      out.accepted.push_back(std::move(entry));
    }
    ack.slots.push_back(e.slot);
  }
  return ack;
}

void Acceptor::forget_below(Slot decided_end) {
  accepted_.erase(accepted_.begin(), accepted_.lower_bound(decided_end));
}

}  // namespace paxoskv
