#include "core/proposer.hpp"

#include <algorithm>
#include <cassert>

#include "core/entry_packing.hpp"

namespace paxoskv {

Proposer::Proposer(const Cluster& cluster, SiteId self, const ReplicaOptions& options)
    : cluster_(cluster), self_(self), options_(options) {}

void Proposer::campaign(std::uint64_t round, Slot from, TimeMs now, Outbox& out) {
  assert(cluster_.is_voter(self_));
  assert((Ballot{round, self_} > ballot_));
  step_down();
  phase_ = Phase::candidate;
  ballot_ = Ballot{round, self_};
  prepare_from_ = from;
  prepare_sent_at_ = now;
  now_ = now;
  promises_.clear();
  out.to_voters(Prepare{ballot_, from});
}

bool Proposer::on_promise(SiteId from, const Promise& promise, const Learner& learner, TimeMs now) {
  if (phase_ != Phase::candidate || promise.ballot != ballot_ || !cluster_.is_voter(from))
    return false;
  if (promise.parts == 0 || promise.part >= promise.parts) return false;
  PromiseParts& p = promises_[from];
  if (p.parts != 0 && p.parts != promise.parts) return false;
  p.parts = promise.parts;
  p.decided_end = promise.decided_end;
  if (!p.received.insert(promise.part).second) return false;  // a duplicate piece
  p.accepted.insert(p.accepted.end(), promise.accepted.begin(), promise.accepted.end());

  std::size_t complete = static_cast<std::size_t>(std::count_if(
      promises_.begin(), promises_.end(), [](const auto& kv) { return kv.second.complete(); }));
  if (complete < cluster_.quorum()) return false;
  become_leader(learner, now);
  return true;
}

void Proposer::become_leader(const Learner& learner, TimeMs now) {
  phase_ = Phase::leader;
  now_ = now;
  // Slots below every promiser's decided_end are decided somewhere: they are learned, never
  // proposed. Above it, each slot takes the value accepted with the highest ballot, and gaps
  // up to the last accepted slot are filled with no-ops.
  Slot start = std::max(prepare_from_, learner.decided_end());
  for (const auto& [site, p] : promises_)
    if (p.complete()) start = std::max(start, p.decided_end);
  std::map<Slot, AcceptedEntry> chosen;
  for (const auto& [site, p] : promises_) {
    if (!p.complete() || options_.bug == InjectedBug::ignore_promised_values) continue;
    for (const AcceptedEntry& e : p.accepted) {
      if (e.slot < start) continue;
      auto [it, inserted] = chosen.emplace(e.slot, e);
      if (!inserted && e.ballot > it->second.ballot) it->second = e;
    }
  }
  Slot end = chosen.empty() ? start : std::max(start, chosen.rbegin()->first + 1);
  in_flight_.clear();
  for (Slot s = start; s < end; ++s) {
    auto it = chosen.find(s);
    Command c = it == chosen.end() ? Command::noop() : it->second.command;
    if (c.op != Op::noop) proposed_.insert(c.id);
    in_flight_[s] = InFlight{std::move(c), {}, now, false};
  }
  next_slot_ = end;
  promises_.clear();
  acked_probe_.clear();
  probe_wanted_ = true;  // announce the new leader at once
  fill_window();
}

void Proposer::propose(const Command& command) {
  assert(is_leader());
  if (!proposed_.insert(command.id).second) return;
  queue_.push_back(command);
  fill_window();
}

void Proposer::fill_window() {
  while (!queue_.empty() && in_flight_.size() < limits::max_inflight_slots) {
    in_flight_[next_slot_++] = InFlight{std::move(queue_.front()), {}, now_, false};
    queue_.pop_front();
  }
}

void Proposer::on_ack(SiteId from, const Ack& ack, Learner& learner,
                      std::vector<LogEntry>& decided) {
  if (!is_leader() || ack.ballot != ballot_ || !cluster_.is_voter(from)) return;
  for (Slot slot : ack.slots) {
    auto it = in_flight_.find(slot);
    if (it == in_flight_.end()) continue;
    it->second.acks.insert(from);
    if (it->second.acks.size() < cluster_.quorum()) continue;
    learner.learn(slot, it->second.command, decided);
    newly_decided_.push_back(SlotCommand{slot, it->second.command});
    proposed_.erase(it->second.command.id);
    in_flight_.erase(it);
  }
  fill_window();
}

std::vector<Command> Proposer::step_down() {
  std::vector<Command> waiting(queue_.begin(), queue_.end());
  phase_ = Phase::follower;
  promises_.clear();
  in_flight_.clear();
  queue_.clear();
  proposed_.clear();
  reads_.clear();  // their requesters retry with the next leader
  probe_wanted_ = false;
  return waiting;
}

void Proposer::add_read(SiteId requester, std::uint64_t read_id) {
  assert(is_leader());
  // The read must be served after a leadership check that started after it arrived: the
  // next heartbeat, which flush() sends at once.
  reads_.push_back(PendingRead{ConfirmedRead{requester, read_id, next_slot_}, probe_ + 1});
  probe_wanted_ = true;
}

void Proposer::on_heartbeat_reply(SiteId from, const HeartbeatReply& reply,
                                  std::vector<ConfirmedRead>& confirmed) {
  // Safe for reads: an acceptor that had promised no higher ballot when it answered this
  // leadership's heartbeat means no higher ballot had won a quorum including it by then.
  if (!is_leader() || reply.ballot != ballot_ || ballot_ < reply.promised ||
      !cluster_.is_voter(from))
    return;
  std::uint64_t& acked = acked_probe_[from];
  acked = std::max(acked, reply.probe);
  confirm_reads(confirmed);
}

std::size_t Proposer::voters_at_probe(std::uint64_t probe) const {
  std::size_t n = cluster_.is_voter(self_) ? 1 : 0;
  for (const auto& [site, acked] : acked_probe_)
    if (site != self_ && acked >= probe) ++n;
  return n;
}

void Proposer::confirm_reads(std::vector<ConfirmedRead>& confirmed) {
  auto ready = [&](const PendingRead& r) {
    return r.probe <= probe_ && voters_at_probe(r.probe) >= cluster_.quorum();
  };
  for (const PendingRead& r : reads_)
    if (ready(r)) confirmed.push_back(r.read);
  std::erase_if(reads_, ready);
}

void Proposer::send_heartbeat(const Learner& learner, Outbox& out) {
  ++probe_;
  heartbeat_sent_at_ = now_;
  probe_wanted_ = false;
  out.to_others(Heartbeat{ballot_, learner.decided_end(), probe_});
}

void Proposer::flush(TimeMs now, const Learner& learner, Outbox& out,
                     std::vector<ConfirmedRead>& confirmed) {
  now_ = now;
  if (!is_leader()) return;
  if (probe_wanted_) send_heartbeat(learner, out);
  confirm_reads(confirmed);
}

void Proposer::emit(const Learner& learner, Outbox& out) {
  auto size_of = [](const SlotCommand& e) { return wire_size(e.command); };
  if (is_leader()) {
    std::vector<SlotCommand> fresh;
    for (auto& [slot, f] : in_flight_) {
      if (f.sent) continue;
      f.sent = true;
      f.sent_at = now_;
      fresh.push_back(SlotCommand{slot, f.command});
    }
    for (auto& group : pack(std::move(fresh), size_of))
      out.to_voters(Accept{ballot_, learner.decided_end(), std::move(group)});
  }
  // Decided values stay true after a step-down: they are announced all the same.
  for (auto& group : pack(std::move(newly_decided_), size_of))
    out.to_others(Commit{learner.decided_end(), std::move(group)});
  newly_decided_.clear();
}

void Proposer::tick(TimeMs now, const Learner& learner, Outbox& out) {
  now_ = now;
  if (phase_ == Phase::candidate && now - prepare_sent_at_ >= options_.retransmit_ms) {
    prepare_sent_at_ = now;
    for (SiteId s = 0; s < cluster_.size(); ++s)
      if (cluster_.is_voter(s) && s != self_ && !promises_[s].complete())
        out.send(s, Prepare{ballot_, prepare_from_});
  }
  if (!is_leader()) return;
  if (now - heartbeat_sent_at_ >= options_.heartbeat_interval_ms) probe_wanted_ = true;
  // Resend unanswered accepts, to each voter only the slots it has not acknowledged.
  std::map<SiteId, std::vector<SlotCommand>> resend;
  for (auto& [slot, f] : in_flight_) {
    if (!f.sent || now - f.sent_at < options_.retransmit_ms) continue;
    f.sent_at = now;
    for (SiteId s = 0; s < cluster_.size(); ++s)
      if (cluster_.is_voter(s) && !f.acks.contains(s))
        resend[s].push_back(SlotCommand{slot, f.command});
  }
  auto size_of = [](const SlotCommand& e) { return wire_size(e.command); };
  for (auto& [site, entries] : resend)
    for (auto& group : pack(std::move(entries), size_of))
      out.send(site, Accept{ballot_, learner.decided_end(), std::move(group)});
}

}  // namespace paxoskv
