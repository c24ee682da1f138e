#include "core/proposer.hpp"

#include <algorithm>
#include <cassert>

#include "core/entry_packing.hpp"

namespace paxoskv {

namespace {
constexpr Slot kDelay = limits::member_change_delay;
}  // namespace

Proposer::Proposer(const Membership& members, const Learner& learner, SiteId self,
                   const ReplicaOptions& options)
    : members_(members), learner_(learner), self_(self), options_(options) {}

void Proposer::campaign(std::uint64_t round, Slot from, TimeMs now, Outbox& out, bool transfer) {
  assert((Ballot{round, self_} > ballot_));
  step_down();
  phase_ = Phase::candidate;
  ballot_ = Ballot{round, self_};
  prepare_from_ = from;
  prepare_transfer_ = transfer;
  prepare_sent_at_ = now;
  now_ = now;
  promises_.clear();
  out.to_voters(members_.spanning(from, from + kDelay - 1), Prepare{ballot_, from, transfer});
}

bool Proposer::promised_by_quorum(const Cluster& config) const {
  return config.is_quorum([&](SiteId site) {
    auto p = promises_.find(site);
    return p != promises_.end() && p->second.complete();
  });
}

bool Proposer::on_promise(SiteId from, const Promise& promise, TimeMs now) {
  if (phase_ == Phase::follower || promise.ballot != ballot_) return false;
  if (promise.parts == 0 || promise.part >= promise.parts) return false;
  PromiseParts& p = promises_[from];
  if (p.complete()) return false;  // a duplicate of a promise counted already
  // Another answer to the same ballot (to a prepare sent again), in a different number of
  // parts: the acceptor's records changed in between. Parts of two answers cannot be put
  // together, and a part of the first may be lost for good: start over with this one.
  if (p.parts != 0 && p.parts != promise.parts) p = PromiseParts{};
  p.parts = promise.parts;
  p.decided_end = promise.decided_end;
  if (!p.received.insert(promise.part).second) return false;  // a duplicate piece
  p.accepted.insert(p.accepted.end(), promise.accepted.begin(), promise.accepted.end());
  if (!p.complete()) return false;

  if (is_leader()) {
    // A voter of a configuration that came into the window after this leader's phase 1.
    recover_from(p);
    fill_window();
    return false;
  }
  for (const Cluster* config : members_.spanning(prepare_from_, prepare_from_ + kDelay - 1))
    if (!promised_by_quorum(*config)) return false;
  become_leader(now);
  return true;
}

void Proposer::recover_from(PromiseParts& p) {
  // Slots below a promiser's decided_end are decided somewhere: they are learned, never
  // proposed. Above it, each slot takes the value accepted with the highest ballot, and gaps
  // up to the last accepted slot are filled with no-ops. Slots proposed already had a quorum of
  // their configuration's promises when they were: a later report cannot change them.
  start_ = std::max(start_, p.decided_end);
  next_slot_ = std::max(next_slot_, start_);
  if (options_.bug == InjectedBug::ignore_promised_values) p.accepted.clear();
  for (const AcceptedEntry& e : p.accepted) {
    if (e.slot < next_slot_) continue;
    auto [it, inserted] = recovered_.emplace(e.slot, e);
    if (!inserted && e.ballot > it->second.ballot) it->second = e;
    recover_end_ = std::max(recover_end_, e.slot + 1);
  }
  p.accepted.clear();  // taken: only whether it is complete still matters
}

void Proposer::become_leader(TimeMs now) {
  phase_ = Phase::leader;
  now_ = now;
  in_flight_.clear();
  recovered_.clear();
  start_ = std::max(prepare_from_, learner_.decided_end());
  next_slot_ = recover_end_ = start_;
  for (auto& [site, p] : promises_)
    if (p.complete()) recover_from(p);
  // An earlier promise's entries may lie below a later one's decided end.
  std::erase_if(recovered_, [&](const auto& kv) { return kv.first < start_; });
  recover_end_ = std::max(recover_end_, start_);
  acked_probe_.clear();
  probe_wanted_ = true;  // announce the new leader at once
  fill_window();
}

bool Proposer::config_known(Slot slot) const {
  // The configuration of a slot is known once every slot `kDelay` below it is decided here.
  return slot < learner_.decided_end() + kDelay;
}

void Proposer::propose(const Command& command) {
  assert(is_leader());
  if (!proposed_.insert(command.id).second) return;
  queue_.push_back(command);
  fill_window();
}

// Slots of this leader that were decided without its acks (learned from a commit or a catch-up,
// e.g. from a leader it followed before): they no longer wait for acks that may never come,
// and must not hold the window (mixed seed 56145: the voters whose acks they waited for had
// been removed and stopped, and the leader proposed nothing again). A slot decided with another
// value than this leader's (a higher ballot won it) gives its command back to the queue.
void Proposer::drop_decided() {
  const Slot end = learner_.decided_end();
  while (!in_flight_.empty() && in_flight_.begin()->first < end) {
    auto it = in_flight_.begin();
    Command& mine = it->second.command;
    const Slot slot = it->first;
    const bool same =
        slot < learner_.base() || learner_.log()[slot - learner_.base()].command == mine;
    if (!same && mine.op != Op::noop)
      queue_.push_front(std::move(mine));
    else
      proposed_.erase(mine.id);
    in_flight_.erase(it);
  }
}

void Proposer::fill_window() {
  drop_decided();
  // Slots decided meanwhile are never proposed: a configuration of theirs may have no quorum
  // left to promise (mixed seed 56145: a voter removed since ignores prepares).
  next_slot_ = std::max(next_slot_, learner_.decided_end());
  while (in_flight_.size() < limits::max_inflight_slots) {
    const bool recovering = next_slot_ < recover_end_;
    // A decided change governs from a later slot: in an idle cluster no-ops bring it about, so
    // that a change takes effect within a few round trips, not at the next burst of writes.
    const bool change_pending = next_slot_ < members_.latest_from();
    if (!recovering && queue_.empty() && !change_pending) return;
    if (!config_known(next_slot_)) return;  // the decided end moves the window on
    // Only a voter of a slot's configuration proposes in it, so the candidate's own promise of
    // its ballot is among those a recovering voter asks for (README, "A voter that lost its
    // files"). A leader that removed itself stops at the first slot its removal governs.
    if (!members_.at(next_slot_).is_voter(self_)) return;
    if (!promised_by_quorum(members_.at(next_slot_))) {
      // A configuration whose new voters have not promised yet: tick() sends them the prepare.
      prepare_wanted_ = true;
      return;
    }
    Command c;
    if (recovering) {
      auto it = recovered_.find(next_slot_);
      if (it != recovered_.end()) {
        c = it->second.command;
        recovered_.erase(it);
      }
      if (c.op != Op::noop && !proposed_.insert(c.id).second) {
        // Also waiting in the queue: it goes here, in its recovered slot, and only here.
        std::erase_if(queue_, [&](const Command& q) { return q.id == c.id; });
      }
    } else if (!queue_.empty()) {
      c = std::move(queue_.front());
      queue_.pop_front();
    }
    in_flight_[next_slot_++] = InFlight{std::move(c), {}, now_, false};
  }
}

void Proposer::on_ack(SiteId from, const Ack& ack, Learner& learner,
                      std::vector<LogEntry>& decided) {
  if (!is_leader() || ack.ballot != ballot_) return;
  for (Slot slot : ack.slots) {
    auto it = in_flight_.find(slot);
    if (it == in_flight_.end()) continue;
    const Cluster& config = members_.at(slot);
    if (!config.is_voter(from)) continue;
    it->second.acks.insert(from);
    if (it->second.acks.size() < config.quorum()) continue;
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
  recovered_.clear();
  reads_.clear();  // their requesters retry with the next leader
  probe_wanted_ = false;
  prepare_wanted_ = false;
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
  if (!is_leader() || reply.ballot != ballot_ || ballot_ < reply.promised) return;
  std::uint64_t& acked = acked_probe_[from];
  acked = std::max(acked, reply.probe);
  confirm_reads(confirmed);
}

std::vector<const Cluster*> Proposer::active_configs() const {
  const Slot from = learner_.decided_end();
  return members_.spanning(from, std::max(from, next_slot_));
}

std::vector<const Cluster*> Proposer::audience() const {
  std::vector<const Cluster*> configs = active_configs();
  configs.push_back(&members_.latest());
  return configs;
}

bool Proposer::quorum_at_probe(std::uint64_t probe) const {
  auto answered = [&](SiteId site) {
    if (site == self_) return true;
    auto acked = acked_probe_.find(site);
    return acked != acked_probe_.end() && acked->second >= probe;
  };
  for (const Cluster* config : active_configs())
    if (!config->is_quorum(answered)) return false;
  return true;
}

// A new leader may not know yet every slot chosen before it: one whose configuration it learns
// only once the slots α below are decided here, whose value a quorum of that configuration then
// reports. Until every slot a promise reported is decided and every configuration of the next
// α slots has promised, a write completed before a read may lie above the next slot.
bool Proposer::settled() const {
  return learner_.decided_end() >= recover_end_ && window_promised();
}

bool Proposer::window_promised() const {
  const Slot decided = learner_.decided_end();
  for (const Cluster* config : members_.spanning(decided, decided + kDelay - 1))
    if (!promised_by_quorum(*config)) return false;
  return true;
}

void Proposer::confirm_reads(std::vector<ConfirmedRead>& confirmed) {
  if (!settled()) return;
  auto ready = [&](const PendingRead& r) { return r.probe <= probe_ && quorum_at_probe(r.probe); };
  for (PendingRead& r : reads_)
    if (ready(r)) {
      // Every slot chosen before the read arrived lies below the next slot now.
      r.read.read_end = std::max(r.read.read_end, next_slot_);
      confirmed.push_back(r.read);
    }
  std::erase_if(reads_, ready);
}

void Proposer::send_heartbeat(Outbox& out) {
  ++probe_;
  heartbeat_sent_at_ = now_;
  probe_wanted_ = false;
  out.to_others(audience(), Heartbeat{ballot_, learner_.decided_end(), probe_});
}

void Proposer::flush(TimeMs now, Outbox& out, std::vector<ConfirmedRead>& confirmed) {
  now_ = now;
  if (!is_leader()) return;
  if (probe_wanted_) send_heartbeat(out);
  confirm_reads(confirmed);
}

void Proposer::emit(Outbox& out) {
  auto size_of = [](const SlotCommand& e) { return wire_size(e.command); };
  if (is_leader()) {
    std::vector<SlotCommand> fresh;
    for (auto& [slot, f] : in_flight_) {
      if (f.sent) continue;
      f.sent = true;
      f.sent_at = now_;
      fresh.push_back(SlotCommand{slot, f.command});
    }
    if (!fresh.empty()) {
      const auto configs = members_.spanning(fresh.front().slot, fresh.back().slot);
      for (auto& group : pack(std::move(fresh), size_of))
        out.to_voters(configs, Accept{ballot_, learner_.decided_end(), std::move(group)});
    }
  }
  // Decided values stay true after a step-down: they are announced all the same.
  for (auto& group : pack(std::move(newly_decided_), size_of))
    out.to_others(audience(), Commit{learner_.decided_end(), std::move(group)});
  newly_decided_.clear();
}

void Proposer::prepare_missing(const std::vector<const Cluster*>& configs, Outbox& out) {
  std::set<SiteId> asked;
  for (const Cluster* config : configs)
    for (SiteId s = 0; s < config->size(); ++s) {
      if (!config->is_voter(s) || s == self_ || !asked.insert(s).second) continue;
      auto p = promises_.find(s);
      if (p == promises_.end() || !p->second.complete())
        out.send(s, Prepare{ballot_, prepare_from_, prepare_transfer_});
    }
}

void Proposer::tick(TimeMs now, Outbox& out) {
  now_ = now;
  if (phase_ == Phase::candidate && now - prepare_sent_at_ >= options_.retransmit_ms) {
    prepare_sent_at_ = now;
    prepare_missing(members_.spanning(prepare_from_, prepare_from_ + kDelay - 1), out);
  }
  if (!is_leader()) return;
  if ((prepare_wanted_ || !window_promised()) && now - prepare_sent_at_ >= options_.retransmit_ms) {
    // The window reached a configuration with voters that have not promised this ballot: to
    // propose there, or (in an idle cluster, after a change) to confirm reads (settled()).
    prepare_sent_at_ = now;
    prepare_wanted_ = false;
    const Slot decided = learner_.decided_end();
    prepare_missing(members_.spanning(decided, std::max(decided + kDelay - 1, next_slot_)), out);
  }
  fill_window();  // also drops the slots decided meanwhile
  if (now - heartbeat_sent_at_ >= options_.heartbeat_interval_ms) probe_wanted_ = true;
  // Resend unanswered accepts, to each voter only the slots it has not acknowledged.
  std::map<SiteId, std::vector<SlotCommand>> resend;
  for (auto& [slot, f] : in_flight_) {
    if (!f.sent || now - f.sent_at < options_.retransmit_ms) continue;
    f.sent_at = now;
    const Cluster& config = members_.at(slot);
    for (SiteId s = 0; s < config.size(); ++s)
      if (config.is_voter(s) && !f.acks.contains(s))
        resend[s].push_back(SlotCommand{slot, f.command});
  }
  auto size_of = [](const SlotCommand& e) { return wire_size(e.command); };
  for (auto& [site, entries] : resend)
    for (auto& group : pack(std::move(entries), size_of))
      out.send(site, Accept{ballot_, learner_.decided_end(), std::move(group)});
}

}  // namespace paxoskv
