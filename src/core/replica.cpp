#include "paxoskv/replica.hpp"

#include <algorithm>
#include <cassert>
#include <limits>

#include "core/entry_packing.hpp"
#include "core/replica_impl.hpp"
#include "paxoskv/limits.hpp"
#include "paxoskv/member_change.hpp"

namespace paxoskv {

namespace {
constexpr TimeMs kNever = std::numeric_limits<TimeMs>::min() / 2;
}  // namespace

ReplicaImpl::ReplicaImpl(Cluster cluster, SiteId self, ReplicaOptions options, std::uint64_t seed)
    : members_(std::move(cluster), options.bug),
      self_(self),
      options_(options),
      rng_(seed),
      out_(self_, ready_),
      acceptor_(options.bug),
      learner_(options.bug == InjectedBug::apply_out_of_order),
      proposer_(members_, learner_, self_, options_) {
  track_sites();
  reset_election_timer();
}

void ReplicaImpl::track_sites(std::size_t at_least) {
  const std::size_t n = std::max<std::size_t>({current().size(), self_ + 1, at_least});
  if (reported_decided_end_.size() < n) reported_decided_end_.resize(n, 0);
  if (last_heard_.size() < n) last_heard_.resize(n, kNever);
  if (last_answer_.size() < n) last_answer_.resize(n, kNever);
}

bool ReplicaImpl::votes() const {
  return members_.at(learner_.decided_end()).is_voter(self_) || current().is_voter(self_);
}

void ReplicaImpl::restore(Ballot promised, const std::vector<AcceptedEntry>& accepted,
                          std::shared_ptr<const SnapshotImage> snapshot, Slot log_start,
                          const Hash& log_start_hash, const std::vector<LogEntry>& log,
                          TimeMs now) {
  now_ = now;
  if (options_.bug == InjectedBug::forget_promise_on_restart) promised = Ballot{};
  acceptor_.restore(promised, accepted);
  learner_.restore(log_start, log_start_hash, log);
  Slot apply_from = log_start;
  if (snapshot) {
    // The driver checked the files; a snapshot that does not meet its log is a broken caller.
    auto decoded = decode_snapshot(snapshot->bytes);
    assert(std::holds_alternative<Snapshot>(decoded));
    const Snapshot& s = std::get<Snapshot>(decoded);
    assert(log_start <= s.base && s.base <= learner_.decided_end());
    assert(s.base == log_start ? s.base_hash == log_start_hash
                               : s.base_hash == log[s.base - log_start - 1].hash);
    kv_.restore(s);
    members_.restore(s.members);
    apply_from = s.base;
    snapshot_ = std::move(snapshot);
  } else {
    assert(log_start == 0);
  }
  for (const LogEntry& e : log)
    if (e.slot >= apply_from) execute(e);
  track_every_expiry();
  track_sites();
  ready_.members_changed = true;  // the driver's address book starts from what was restored
  note_ballot(promised);
  for (const AcceptedEntry& e : accepted) note_ballot(e.ballot);
  reset_election_timer();
}

void ReplicaImpl::restore_amnesiac(std::shared_ptr<const SnapshotImage> snapshot, Slot log_start,
                                   const Hash& log_start_hash, const std::vector<LogEntry>& log,
                                   TimeMs now) {
  restore(Ballot{}, {}, std::move(snapshot), log_start, log_start_hash, log, now);
  // A learner recovers too: it may have been promoted, and have voted, in a change it has not
  // learned again yet.
  if (options_.bug == InjectedBug::wiped_voter_votes_at_once) return;
  recovery_ = Recovery{};
  recovery_->query_id = random_id();
  recovery_->read_id = random_id();
  query_for_recovery();
  advance_recovery();  // a lone voter has nobody to ask
}

// ---- inputs ----

void ReplicaImpl::step(const Message& message, TimeMs now) {
  now_ = now;
  // A site added by a change not learned here yet (a site that joined knows the sites of the
  // latest configuration before it has replayed the log): it is heard, and can be asked for
  // the log, but counts in no quorum until a configuration learned here names it.
  if (message.from >= last_heard_.size()) track_sites(message.from + 1);
  last_heard_[message.from] = now;
  std::visit([&](const auto& body) { on(message.from, body); }, message.body);
  after_input();
}

void ReplicaImpl::tick(TimeMs now) {
  now_ = now;
  if (recovery_ && now_ - recovery_->queried_at >= options_.retransmit_ms) query_for_recovery();
  if (recovery_ && now_ - recovery_->asked_at >= options_.retransmit_ms) ask_next_slot();
  check_quorum();
  check_gap();
  step_down_if_removed();
  maybe_promote_joining();
  expire_keys();
  proposer_.tick(now, out_);
  maybe_campaign();
  seek_log_without_leader();
  expire_requests();
  resend_forwarded();
  after_input();
}

void ReplicaImpl::submit(const Command& command, TimeMs now) {
  assert(command.op != Op::noop && command.id.client != 0);
  now_ = now;
  if (kv_.already_applied(command.id)) {
    // A retry of a write this site has already applied: the leader drops it as a duplicate,
    // so the answer can only come from here.
    ApplyResult result = kv_.result_of(command.id);
    ready_.completions.push_back(
        Completion{command.id, result.ok, result.reason, false, {}, result.revision});
    return;
  }
  writes_[command.id] = PendingWrite{command, Request{1, now + options_.request_attempt_ms, {}}};
  routing_dirty_ = true;
  after_input();
}

void ReplicaImpl::submit_read(RequestId id, const std::string& key, TimeMs now) {
  now_ = now;
  // Random ids: a late reply to a read of an earlier incarnation of this site must not match
  // a new read (it would serve it at an old read_end).
  std::uint64_t read_id = 0;
  while (read_id == 0 || reads_.contains(read_id) || (recovery_ && read_id == recovery_->read_id))
    read_id = random_id();
  reads_[read_id] =
      PendingRead{id, key, Request{1, now + options_.request_attempt_ms, {}}, std::nullopt};
  routing_dirty_ = true;
  after_input();
}

Ready ReplicaImpl::take_ready() {
  proposer_.emit(out_);
  maybe_snapshot();
  Ready r = std::move(ready_);
  ready_ = Ready{};
  return r;
}

std::uint64_t ReplicaImpl::random_id() {
  std::uint64_t id = 0;
  while (id == 0) id = rng_() & limits::max_client_id;
  return id;
}

void ReplicaImpl::after_input() {
  advance_recovery();
  route_requests();
  std::vector<ConfirmedRead> confirmed;
  proposer_.flush(now_, out_, confirmed);
  serve_confirmed(confirmed);
  maybe_catch_up();
  finish_reads();
  acceptor_.forget_below(learner_.decided_end());
}

// ---- acceptor messages ----

void ReplicaImpl::on(SiteId from, const Prepare& m) {
  // A prepare's `from` is the candidate's decided end. Whoever is behind learns it here, even
  // a site that does not answer: a promoted site whose log has not reached its promotion does
  // not know it votes, and with no leader nothing else would tell it to catch up; a site no
  // longer voting (removed) may still have the slots a candidate behind it needs.
  observe_decided_end(from, m.from);
  if (from != self_ && m.from < learner_.decided_end() && (!votes() || recovery_))
    out_.send(from, Commit{learner_.decided_end(), {}});
  // A recovering voter does not know what it promised: no answer, not even a nack.
  if (!votes() || recovery_) return;
  if (from != self_ && !m.transfer && refuses_to_depose(from)) {
    // The candidate learns whom this site follows, and that it can reach that leader
    // through this site (see on Nack).
    out_.send(from, Nack{proposer_.is_leader() ? proposer_.ballot() : leader_ballot_});
    return;
  }
  note_ballot(m.ballot);
  const Ballot promised_before = acceptor_.promised();
  std::vector<MessageBody> replies = acceptor_.on_prepare(m, learner_.decided_end(), ready_);
  if (std::holds_alternative<Promise>(replies.front()) && from != self_) {
    // Give the candidate we just promised time to win before campaigning ourselves: a new
    // random timeout, once per candidate until a leader is heard. A candidate that can hear
    // its promises wins within a round trip; one that campaigns again could not (it is deaf,
    // or its links lose), and a deaf site campaigns again and again, each time with a new
    // ballot: restarting for each would hold this site's election timer still for as long as
    // that site is deaf, and no one of the connected quorum would ever campaign.
    if (m.ballot > promised_before && timer_restarted_for_ != from) {
      reset_election_timer();
      timer_restarted_for_ = from;
    }
    step_down_if_outranked(m.ballot);
  }
  for (MessageBody& r : replies) out_.send(from, std::move(r));
}

void ReplicaImpl::on(SiteId from, const Accept& m) {
  note_ballot(m.ballot);
  observe_decided_end(from, m.decided_end);
  if (recovery_) {
    if (m.ballot >= leader_ballot_) heard_leader(m.ballot);
    return;
  }
  if (!votes()) return;
  MessageBody reply = acceptor_.on_accept(m, learner_.decided_end(), ready_);
  if (std::holds_alternative<Ack>(reply)) heard_leader(m.ballot);
  out_.send(from, std::move(reply));
}

// ---- proposer messages ----

void ReplicaImpl::on(SiteId from, const Promise& m) {
  observe_decided_end(from, m.decided_end);
  if (proposer_.on_promise(from, m, now_)) became_leader();
}

void ReplicaImpl::on(SiteId from, const Ack& m) {
  answered(from, m.ballot);
  std::vector<LogEntry> decided;
  proposer_.on_ack(from, m, learner_, decided);
  apply(decided);
}

void ReplicaImpl::on(SiteId from, const Nack& m) {
  note_ballot(m.ballot);
  step_down_if_outranked(m.ballot);
  // A nack below this site's own ballot is a refusal to depose a live leader (on Prepare): the
  // leader is m.ballot's site, and `from` hears it.
  if (m.ballot < proposer_.ballot() && m.ballot.site != self_ && !proposer_.is_leader()) {
    leader_hint_ = m.ballot.site;
    leader_ballot_ = m.ballot;
    relay_ = from;
    relay_at_ = now_;
  }
}

void ReplicaImpl::on(SiteId from, const HeartbeatReply& m) {
  note_ballot(m.promised);
  reported_decided_end_[from] = std::max(reported_decided_end_[from], m.decided_end);
  observe_decided_end(from, m.decided_end);
  answered(from, m.ballot);
  step_down_if_outranked(m.promised);
  std::vector<ConfirmedRead> confirmed;
  proposer_.on_heartbeat_reply(from, m, confirmed);
  serve_confirmed(confirmed);
}

void ReplicaImpl::on(SiteId from, const Forward& m) {
  if (m.command.op == Op::noop || m.command.id.client == 0) return;
  if (proposer_.is_leader()) {
    if (!kv_.already_applied(m.command.id)) propose(m.command);
    return;
  }
  // A follower relays it to the leader it hears, for a site that cannot (route_target); once
  // per retry interval, so that a request passed around by stale hints dies out. Otherwise it
  // is dropped: the submitting site retries.
  const std::optional<SiteId> leader = live_leader();
  if (!leader || *leader == from) return;
  auto [it, fresh] = relayed_writes_.try_emplace(m.command.id, now_);
  if (!fresh && now_ - it->second < options_.forward_retry_ms / 2) return;
  it->second = now_;
  out_.send(*leader, Forward{m.command});
}

void ReplicaImpl::on(SiteId from, const ReadIndexRequest& m) {
  if (proposer_.is_leader()) return proposer_.add_read(from, m.read_id);
  // Relayed like a Forward; the leader's reply comes here and goes back to `from`.
  const std::optional<SiteId> leader = live_leader();
  if (!leader || *leader == from) return;
  auto [it, fresh] = relayed_reads_.try_emplace(m.read_id, from, now_);
  if (!fresh && now_ - it->second.second < options_.forward_retry_ms / 2) return;
  it->second = {from, now_};
  out_.send(*leader, ReadIndexRequest{m.read_id});
}

// ---- learner messages ----

void ReplicaImpl::on(SiteId from, const Commit& m) {
  observe_decided_end(from, m.decided_end);
  learn(m.entries);
}

void ReplicaImpl::on(SiteId from, const Heartbeat& m) {
  note_ballot(m.ballot);
  observe_decided_end(from, m.decided_end);
  if (recovery_) {
    // No reply: a recovering voter's promised ballot is no answer to count towards the
    // leader's reads or its check-quorum. Without a promise of its own, it follows the highest
    // leader it hears.
    if (m.ballot >= leader_ballot_) heard_leader(m.ballot);
    return;
  }
  if (m.ballot >= acceptor_.promised()) heard_leader(m.ballot);
  out_.send(from, HeartbeatReply{acceptor_.promised(), m.probe, learner_.decided_end(), m.ballot});
  if (m.handover && may_lead(self_) && !proposer_.is_leader()) campaign(true);
}

void ReplicaImpl::on(SiteId from, const CatchupRequest& m) {
  if (m.from < learner_.base()) return serve_snapshot(from, m);
  const std::vector<LogEntry>& log = learner_.log();
  CatchupReply reply{learner_.decided_end(), {}, {}};
  std::size_t bytes = 0;
  for (Slot s = m.from; s < learner_.decided_end(); ++s) {
    const LogEntry& e = log[s - learner_.base()];
    bytes += wire_size(e.command);
    if (!reply.entries.empty() && bytes > limits::max_entries_bytes) break;
    reply.entries.push_back(SlotCommand{s, e.command});
  }
  out_.send(from, std::move(reply));
}

void ReplicaImpl::on(SiteId from, const CatchupReply& m) {
  observe_decided_end(from, m.decided_end);
  if (m.snapshot) return on_snapshot_chunk(from, *m.snapshot);
  learn(m.entries);
  // Keep pulling while the reply was useful and more is there.
  if (!m.entries.empty() && learner_.decided_end() < m.decided_end) request_catch_up(from);
}

void ReplicaImpl::on(SiteId from, const ReadIndexReply& m) {
  if (recovery_ && m.read_id == recovery_->read_id) {
    auto asked = recovery_->asked.find(from);
    if (recovery_->target || asked == recovery_->asked.end()) return;
    recovery_->target = m.read_end;
    recovery_->leader_ballot = asked->second;
    return;
  }
  auto it = reads_.find(m.read_id);
  if (it != reads_.end()) {
    if (!it->second.read_end) it->second.read_end = m.read_end;
    return;
  }
  auto relayed = relayed_reads_.find(m.read_id);
  if (relayed == relayed_reads_.end()) return;
  out_.send(relayed->second.first, ReadIndexReply{m.read_id, m.read_end});
  relayed_reads_.erase(relayed);
}

// ---- recovery of a voter that lost its state ----

// Answered by every site, recovering or not: the reply leaves only after this Ready is
// persisted, so it reports durable state.
void ReplicaImpl::on(SiteId from, const RecoveryQuery& m) {
  out_.send(from, RecoveryReply{m.query_id, acceptor_.promised(), fresh()});
}

void ReplicaImpl::on(SiteId from, const RecoveryReply& m) {
  note_ballot(m.promised);
  if (!recovery_ || m.query_id != recovery_->query_id || from == self_ ||
      !(current().is_voter(from) || recovery_->needed.contains(from)))
    return;
  auto [it, first] = recovery_->replies.emplace(from, m);
  if (first) return;
  // A duplicate, maybe reordered: promises only grow, and freshness only ends.
  it->second.promised = std::max(it->second.promised, m.promised);
  it->second.fresh = it->second.fresh && m.fresh;
}

// Queries the voters that have not answered, as long as an answer can still matter: until a
// quorum answered, and after that while every answer so far is fresh (the cluster may be new,
// which takes every other voter's answer to know).
void ReplicaImpl::query_for_recovery() {
  assert(recovery_);
  Recovery& r = *recovery_;
  r.queried_at = now_;
  const bool all_fresh = std::all_of(r.replies.begin(), r.replies.end(),
                                     [](const auto& kv) { return kv.second.fresh; });
  if (r.floor && !all_fresh) return;
  for (SiteId s = 0; s < current().size(); ++s)
    if (s != self_ && current().is_voter(s) && !r.replies.contains(s))
      out_.send(s, RecoveryQuery{r.query_id});
  for (SiteId s : r.needed)
    if (!current().is_voter(s) && !r.replies.contains(s)) out_.send(s, RecoveryQuery{r.query_id});
}

// Asks the leader it follows, once that leads at a ballot >= P, for its next unassigned slot:
// a read index, answered only while that site still leads, and its ballots only grow.
void ReplicaImpl::ask_next_slot() {
  assert(recovery_);
  Recovery& r = *recovery_;
  r.asked_at = now_;
  if (!r.floor || r.target || !leader_hint_ || *leader_hint_ == self_ || leader_ballot_ < *r.floor)
    return;
  r.asked.emplace(*leader_hint_, leader_ballot_);
  out_.send(*leader_hint_, ReadIndexRequest{r.read_id});
}

void ReplicaImpl::advance_recovery() {
  if (!recovery_) return;
  Recovery& r = *recovery_;
  Ballot highest;
  bool all_fresh = true;
  for (const auto& [site, reply] : r.replies) {
    highest = std::max(highest, reply.promised);
    all_fresh = all_fresh && reply.fresh;
  }
  // A new cluster: no other voter accepted or decided anything or leads, so no value was
  // ever chosen (a choice needs another voter's acceptance, or a leader's own) and no lost
  // acceptance of this site counted towards one. Every ballot it may have promised was
  // promised first by the candidate that sent it, one of the others: `highest` covers it.
  const std::size_t others = current().voter_count() - (current().is_voter(self_) ? 1 : 0);
  if (all_fresh && r.replies.size() == others) return finish_recovery(highest);
  if (!r.floor) {
    // Every other voter, not a quorum: the site that ran a ballot this site's lost self voted
    // in promised it before any prepare or accept of it left, but the voter a quorum of that
    // ballot shares with a quorum of answers may have promised it only after answering. Only
    // the answer of the site that ran it is sure to cover it.
    if (!answered_by_quorum(current()) || !answered_by_every_voter(current())) return;
    for (SiteId s : r.needed)
      if (!r.replies.contains(s)) return;
    r.floor = highest;
  }
  if (!r.target) {
    // The first time a suitable leader is known; later on, the timer asks again.
    if (r.asked.empty()) ask_next_slot();
    return;
  }
  assert(r.leader_ballot >= *r.floor);
  if (learner_.decided_end() < *r.target) return;
  // The floor came from the configuration this site knew then; the slots from N on may be
  // governed by a later one, learned while catching up. Each of those needs the answers of all
  // its other voters, or the floor is taken again once they are in.
  for (const Cluster* config :
       members_.spanning(*r.target, *r.target + limits::member_change_delay - 1)) {
    if (answered_by_quorum(*config) && answered_by_every_voter(*config)) continue;
    for (SiteId s = 0; s < config->size(); ++s)
      if (s != self_ && config->is_voter(s)) r.needed.insert(s);
    r.floor.reset();
    r.target.reset();
    r.asked.clear();
    query_for_recovery();
    return;
  }
  finish_recovery(std::max(*r.floor, r.leader_ballot));
}

bool ReplicaImpl::answered_by_quorum(const Cluster& config) const {
  return config.is_quorum(
      [&](SiteId site) { return site != self_ && recovery_->replies.contains(site); });
}

bool ReplicaImpl::answered_by_every_voter(const Cluster& config) const {
  for (SiteId s = 0; s < config.size(); ++s)
    if (s != self_ && config.is_voter(s) && !recovery_->replies.contains(s)) return false;
  return true;
}

void ReplicaImpl::finish_recovery(Ballot floor) {
  assert(recovery_ && !proposer_.is_leader());
  recovery_.reset();
  acceptor_.recover(floor, ready_);
  ready_.recovered = true;
  note_ballot(floor);
  reset_election_timer();
}

// Nothing accepted, nothing decided, and not leading (a leader's proposals may be in flight,
// its own acceptance of them still to come). Promises do not count: a voter that only promised
// holds no value, and the recovering voter's floor covers its promise (advance_recovery).
bool ReplicaImpl::fresh() const {
  return acceptor_.accepted().empty() && learner_.decided_end() == 0 && !snapshot_ &&
         !proposer_.is_leader();
}

// ---- leadership ----

void ReplicaImpl::note_ballot(Ballot b) {
  highest_round_ = std::max(highest_round_, b.round);
}

void ReplicaImpl::heard_leader(Ballot b) {
  step_down_if_outranked(b);
  if (b.site == self_ && !proposer_.is_leader()) return;  // an echo of an earlier leadership
  leader_hint_ = b.site;
  leader_ballot_ = b;
  last_leader_contact_ = now_;
  timer_restarted_for_.reset();
  if (b.site != self_) {
    heard_leader_site_ = b.site;
    heard_leader_at_ = now_;
  }
}

// A prepare is ignored, its ballot not even noted, while this site has heard from a live leader
// within the shortest election timeout, or is a leader that a quorum answers (Raft's rule
// against disruptive servers, Ongaro's thesis, section 4.2.3). Otherwise a site that can send
// but not hear (a deaf site) times out again and again and deposes every leader the connected
// quorum elects with ever higher ballots. It costs a real candidate nothing: the followers'
// election timers run for at least the shortest timeout after they last heard the leader, so
// by the time one of them campaigns, none of them still counts that leader as live. A leader
// that no quorum answers steps down (check_quorum), and its followers stop hearing it.
bool ReplicaImpl::refuses_to_depose(SiteId candidate) const {
  // A new leader heard a quorum's promises just now.
  if (proposer_.is_leader())
    return now_ - leader_since_ < options_.election_timeout_ms || quorum_heard();
  return heard_leader_site_ && *heard_leader_site_ != candidate &&
         now_ - heard_leader_at_ < options_.election_timeout_ms;
}

void ReplicaImpl::step_down_if_outranked(Ballot seen) {
  if (proposer_.phase() == Proposer::Phase::follower || !(seen > proposer_.ballot())) return;
  std::vector<Command> waiting = proposer_.step_down();
  if (leader_hint_ == self_) leader_hint_.reset();
  if (leader_hint_)
    for (Command& c : waiting) out_.send(*leader_hint_, Forward{std::move(c)});
}

void ReplicaImpl::became_leader() {
  leader_since_ = now_;
  leader_hint_ = self_;
  leader_ballot_ = proposer_.ballot();
  last_leader_contact_ = now_;
}

void ReplicaImpl::reset_election_timer() {
  last_leader_contact_ = now_;
  election_timeout_ = options_.election_timeout_ms +
                      static_cast<TimeMs>(rng_() % static_cast<std::uint64_t>(std::max<TimeMs>(
                                                       1, options_.election_timeout_ms)));
}

// Whether a quorum of voters (this one among them) answered this leader within an election
// timeout. Answers only: a site that cannot hear the leader still sends it prepares.
bool ReplicaImpl::quorum_heard() const {
  auto answered = [&](SiteId s) { return answered_lately(s); };
  for (const Cluster* config : proposer_.active_configs())
    if (!config->is_quorum(answered)) return false;
  return true;
}

bool ReplicaImpl::answered_lately(SiteId site) const {
  return site == self_ || now_ - last_answer_[site] < options_.election_timeout_ms;
}

void ReplicaImpl::answered(SiteId from, Ballot ballot) {
  if (proposer_.is_leader() && ballot == proposer_.ballot()) last_answer_[from] = now_;
}

// A leader that no quorum has answered for an election timeout steps down (etcd raft's
// CheckQuorum). A leader that can send but not receive would otherwise keep its followers'
// election timers quiet with heartbeats forever, while every request forwarded to it is lost.
void ReplicaImpl::check_quorum() {
  if (!proposer_.is_leader() || options_.bug == InjectedBug::no_check_quorum) return;
  if (now_ - leader_since_ < options_.election_timeout_ms || quorum_heard()) return;
  proposer_.step_down();  // what it held is retried by the sites that submitted it
  leader_hint_.reset();
  reset_election_timer();
}

// A leader starts proposing above the decided end its promisers reported, and learns the
// slots below it from them. If the one site that had decided those slots lost its disk
// before anyone learned them from it, nobody can teach them: the leader's own slots are
// chosen but never applied, behind the gap. So a leader whose decided end has not moved for
// 10 election timeouts while it has slots in flight above it steps down; the next phase 1
// runs from its own decided end, and Paxos on those slots chooses again what was chosen (a
// quorum accepted it, and keeps the record until it has logged the decision). Stepping down
// is always safe; a slow catch-up costs an election at most.
void ReplicaImpl::check_gap() {
  const Slot decided = learner_.decided_end();
  if (!proposer_.is_leader() || decided != gap_watch_end_ || proposer_.next_slot() <= decided) {
    gap_watch_end_ = decided;
    gap_watch_since_ = now_;
    return;
  }
  if (now_ - gap_watch_since_ < 10 * options_.election_timeout_ms) return;
  gap_watch_since_ = now_;
  proposer_.step_down();
  leader_hint_.reset();
  reset_election_timer();
}

bool ReplicaImpl::may_lead(SiteId site) const {
  return members_.at(learner_.decided_end()).is_voter(site) && current().is_voter(site);
}

void ReplicaImpl::maybe_campaign() {
  if (!may_lead(self_) || proposer_.is_leader() || recovery_) return;
  if (now_ - last_leader_contact_ < election_timeout_) return;
  campaign(false);
}

// A site learns that it is behind only from what others send it: a leader's heartbeats,
// accepts and commits, a candidate's prepare, a catch-up reply. A site that may not lead (a
// promoted voter whose log has not reached its promotion, a learner) or is recovering does
// not campaign, so with no leader and no candidate it may hear nothing for good, and it may be
// the one site that could lead once it had the log. Mixed seed 87193: a leader that removed
// itself handed over to the one voter left, n4, whose log was behind its own promotion, and
// stepped down; n4 crashed and came back at slot 2723 knowing of no later slot, the only other
// member a learner: 30 s without a datagram. So such a site asks a peer for the log, another
// each time (any site heard lately or a member: those of its configuration may be gone), once
// per election timeout while it hears no leader; the reply's decided end starts the usual
// catch-up. A catch-up request promises nothing and changes nothing at the site asked. Not a
// site that knows it was removed: nobody needs it any more. (A site added by a change it has
// not learned yet is not in its own configuration, and asks like the others.)
void ReplicaImpl::seek_log_without_leader() {
  if (proposer_.is_leader() || (may_lead(self_) && !recovery_)) return;
  if (self_ < current().size() && !current().is_member(self_)) return;
  if (known_decided_end_ > learner_.decided_end()) return;  // maybe_catch_up asks
  if (now_ - last_leader_contact_ < election_timeout_) return;
  if (leaderless_asked_at_ && now_ - *leaderless_asked_at_ < options_.election_timeout_ms) return;
  const std::size_t n = last_heard_.size();
  for (std::size_t i = 0; i < n; ++i) {
    const auto peer = static_cast<SiteId>((leaderless_asked_ + 1 + i) % n);
    const bool heard = now_ - last_heard_[peer] < 2 * options_.election_timeout_ms;
    if (peer == self_ || !(heard || current().is_member(peer))) continue;
    leaderless_asked_ = peer;
    leaderless_asked_at_ = now_;
    request_catch_up(peer);
    return;
  }
}

void ReplicaImpl::campaign(bool transfer) {
  std::uint64_t round =
      std::max({highest_round_, acceptor_.promised().round, proposer_.ballot().round}) + 1;
  leader_hint_.reset();
  proposer_.campaign(round, learner_.decided_end(), now_, out_, transfer);
  acceptor_.promise_own(proposer_.ballot(), ready_);
  note_ballot(proposer_.ballot());
  reset_election_timer();
}

std::optional<SiteId> ReplicaImpl::leader() const {
  if (proposer_.is_leader()) return self_;
  if (leader_hint_ && *leader_hint_ != self_) return leader_hint_;
  return std::nullopt;
}

// ---- learning and applying ----

void ReplicaImpl::learn(const std::vector<SlotCommand>& entries) {
  std::vector<LogEntry> decided;
  for (const SlotCommand& e : entries) learner_.learn(e.slot, e.command, decided);
  apply(decided);
}

ApplyResult ReplicaImpl::execute(const LogEntry& e) {
  if (e.command.op != Op::member) return kv_.apply(e.slot, e.command);
  ApplyResult result = kv_.apply_once(e.command, [&] { return members_.apply(e.slot, e.command); });
  kv_.applied_elsewhere(e.slot);
  if (result.ok && !result.duplicate) {
    ready_.members_changed = true;
    removal_pending_ = true;
    track_sites();
  }
  return result;
}

// A site removed in slot s is a voter of the slots before s + α: until those are decided, the
// others must still hear it (its acks, and as leader its accepts and its hand-over).
Cluster ReplicaImpl::address_book() const {
  Cluster book = current();
  for (const Cluster* config : members_.spanning(learner_.decided_end(), members_.latest_from()))
    for (SiteId s = 0; s < config->size(); ++s)
      if (!book.is_member(s) && config->is_member(s)) book.set_role(s, config->site(s).role);
  return book;
}

void ReplicaImpl::apply(const std::vector<LogEntry>& decided) {
  for (const LogEntry& e : decided) {
    if (removal_pending_ && e.slot >= members_.latest_from()) {
      removal_pending_ = false;  // the latest change governs from here on
      ready_.members_changed = true;
    }
    ApplyResult result = execute(e);
    if (e.command.op != Op::noop && !result.duplicate) ready_.kv_changed = true;
    if (e.command.op != Op::noop && e.command.op != Op::member && result.ok && !result.duplicate)
      track_expiry(e.command.key);
    if (e.command.op == Op::member && result.ok && !result.duplicate) on_member_applied(e);
    auto it = writes_.find(e.command.id);
    if (e.command.op != Op::noop && it != writes_.end()) {
      ready_.completions.push_back(
          Completion{e.command.id, result.ok, result.reason, false, {}, result.revision});
      writes_.erase(it);
    }
    ready_.decided.push_back(e);
  }
}

void ReplicaImpl::observe_decided_end(SiteId from, Slot decided_end) {
  if (from == self_ || decided_end < known_decided_end_) return;
  known_decided_end_ = decided_end;
  known_decided_at_ = from;
}

void ReplicaImpl::maybe_catch_up() {
  Slot have = learner_.decided_end();
  if (have >= known_decided_end_) {
    gap_target_ = 0;
    return;
  }
  // In steady state a follower trails the leader's decided_end by the commits in flight.
  // Ask for slots only when a decided_end we heard of is still not reached a while later.
  if (gap_target_ == 0 || have >= gap_target_) {
    gap_target_ = known_decided_end_;
    gap_deadline_ = now_ + options_.retransmit_ms;
    return;
  }
  if (now_ < gap_deadline_) return;
  SiteId target = known_decided_at_;
  if (catch_up_asked_ && catch_up_asked_from_ == have) {
    // The last request brought nothing: the site asked may be down, or cut off from here.
    // Any site heard lately, in turn: the members of this site's configuration may all be
    // gone (a site that joined after every site of the hosts file was replaced) while the
    // sites that replaced them talk to it.
    target = *catch_up_asked_;
    const std::size_t n = last_heard_.size();
    for (std::size_t i = 0; i < n; ++i) {
      target = static_cast<SiteId>((target + 1) % n);
      const bool heard = now_ - last_heard_[target] < 2 * options_.election_timeout_ms;
      if (target != self_ && (heard || current().is_member(target))) break;
    }
  }
  catch_up_asked_ = target;
  catch_up_asked_from_ = have;
  request_catch_up(target);
  gap_target_ = known_decided_end_;
  gap_deadline_ = now_ + options_.retransmit_ms;
}

void ReplicaImpl::request_catch_up(SiteId from) {
  if (from == self_) return;
  catch_up_sent_at_ = now_;
  CatchupRequest request{learner_.decided_end(), {}};
  if (incoming_)
    request.snapshot = SnapshotCursor{incoming_->base, incoming_->digest, incoming_->bytes.size()};
  out_.send(from, std::move(request));
}

// ---- compaction and snapshot transfer ----

void ReplicaImpl::maybe_snapshot() {
  const Slot end = learner_.decided_end();
  const Slot last = snapshot_ ? snapshot_->base : 0;
  if (options_.snapshot_every == 0 || snapshot_pending_ || end < last + options_.snapshot_every)
    return;
  SnapshotSource source = kv_.snapshot(end, learner_.head());
  source.members = members_.epochs_from(end);
  ready_.snapshot = std::make_shared<const SnapshotSource>(std::move(source));
  snapshot_pending_ = true;
}

void ReplicaImpl::snapshot_written(std::shared_ptr<const SnapshotImage> image, TimeMs now) {
  now_ = now;
  snapshot_pending_ = false;
  // A snapshot installed from a peer since then is newer: this one is of no use any more.
  if (snapshot_ && snapshot_->base >= image->base) return;
  assert(image->base <= learner_.decided_end());
  snapshot_ = std::move(image);
  ++snapshots_taken_;
  // Keep a tail of the log below the snapshot, so that slightly lagging sites catch up by
  // entries; the log never starts above the snapshot's base.
  const Slot base = snapshot_->base;
  Slot keep_from = base > options_.log_tail ? base - options_.log_tail : 0;
  learner_.compact(std::max(keep_from, learner_.base()));
  ready_.compaction = Compaction{snapshot_, learner_.base(), learner_.base_hash(), false};
}

void ReplicaImpl::serve_snapshot(SiteId to, const CatchupRequest& m) {
  if (!snapshot_) return;  // a log that starts above 0 always has a snapshot under it
  const SnapshotImage& image = *snapshot_;
  std::uint64_t offset = 0;
  // Resume where the receiver stands if it is pulling this very image; else from the start,
  // and the receiver sees by (base, digest) that the image changed.
  if (m.snapshot && m.snapshot->base == image.base && m.snapshot->digest == image.digest &&
      m.snapshot->offset < image.bytes.size())
    offset = m.snapshot->offset;
  SnapshotChunk chunk{image.base, image.digest, image.bytes.size(), offset,
                      image.bytes.substr(offset, limits::snapshot_chunk_bytes)};
  out_.send(to, CatchupReply{learner_.decided_end(), {}, std::move(chunk)});
}

void ReplicaImpl::on_snapshot_chunk(SiteId from, const SnapshotChunk& c) {
  if (c.base <= learner_.decided_end()) {  // nothing to gain any more
    incoming_.reset();
    return;
  }
  const bool fits = c.size <= limits::max_snapshot_bytes && c.offset <= c.size &&
                    c.data.size() <= c.size - c.offset && (!c.data.empty() || c.offset == c.size);
  if (!fits || c.size == 0) return;
  if (!incoming_ || incoming_->base != c.base || incoming_->digest != c.digest ||
      incoming_->size != c.size) {
    // A new transfer, or the sender's snapshot changed under the old one: start over.
    incoming_ = IncomingSnapshot{c.base, c.digest, c.size, {}};
    if (c.offset != 0) return request_catch_up(from);
  }
  if (c.offset != incoming_->bytes.size()) return;  // a duplicate or a stray: the timer resends
  incoming_->bytes += c.data;
  if (incoming_->bytes.size() < incoming_->size) return request_catch_up(from);

  IncomingSnapshot done = std::move(*incoming_);
  incoming_.reset();
  if (sha256(done.bytes) != done.digest) return;  // corrupted: the next request starts over
  auto decoded = decode_snapshot(done.bytes);
  const Snapshot* s = std::get_if<Snapshot>(&decoded);
  if (s == nullptr || s->base != done.base) return;
  auto image = std::make_shared<SnapshotImage>(
      SnapshotImage{s->base, s->base_hash, done.digest, std::move(done.bytes)});
  install_snapshot(std::move(image), *s);
  // Go on with the log entries from the snapshot's base.
  if (learner_.decided_end() < known_decided_end_) request_catch_up(from);
}

void ReplicaImpl::install_snapshot(std::shared_ptr<const SnapshotImage> image,
                                   const Snapshot& snapshot) {
  assert(snapshot.base > learner_.decided_end());
  // Entries decided but not yet handed to the driver lie below the base: the snapshot holds
  // them, and the driver rewrites the log from the base (see Compaction).
  ready_.decided.clear();
  kv_.restore(snapshot);
  track_every_expiry();
  members_.restore(snapshot.members);
  ready_.members_changed = true;
  track_sites();
  std::vector<LogEntry> joined;
  learner_.install(snapshot.base, snapshot.base_hash, joined);
  snapshot_ = std::move(image);
  ++snapshots_installed_;
  ready_.kv_changed = true;
  ready_.compaction = Compaction{snapshot_, learner_.base(), learner_.base_hash(), true};
  // Writes submitted here and applied in the slots the snapshot covers.
  for (auto it = writes_.begin(); it != writes_.end();) {
    if (!kv_.already_applied(it->first)) {
      ++it;
      continue;
    }
    ApplyResult result = kv_.result_of(it->first);
    ready_.completions.push_back(
        Completion{it->first, result.ok, result.reason, false, {}, result.revision});
    it = writes_.erase(it);
  }
  apply(joined);
}

// ---- requests submitted at this site ----

// Only a learner that has caught up may be promoted: a voter that is far behind adds nothing to
// a quorum but its count, and one still recovering answers nothing. Whether it is behind is
// this leader's view, not a fact of the log, so a promotion refused here is decided as a
// refusal (`refuse REASON`, member_change.hpp): every site applies it alike, and the site that
// submitted it reports the reason.
void ReplicaImpl::propose(Command command) {
  if (command.op == Op::member) {
    auto change = member_change_of(command);
    if (const auto* c = std::get_if<MemberChange>(&change)) {
      std::string reason;
      if (c->action == MemberAction::promote) reason = promotion_problem(c->name);
      if (c->action == MemberAction::remove) reason = removal_problem(c->name);
      if (!reason.empty()) command.value = "refuse " + reason;
    }
    if (options_.bug == InjectedBug::change_used_before_decided) {
      // As if decided in the slot it is about to take; when it is decided, the second
      // application is refused here and nowhere else.
      members_.apply(proposer_.next_slot(), command);
      ready_.members_changed = true;
      track_sites();
    }
  }
  proposer_.propose(command);
}

// README, "Leader transfer". The transfer is decided in the log so that its target campaigns
// only once it has learned every slot up to it (a removed leader hands over with a heartbeat
// instead, step_down_if_removed). Neither touches safety: any site may campaign at any time.
void ReplicaImpl::on_member_applied(const LogEntry& entry) {
  auto parsed = member_change_of(entry.command);
  const MemberChange* change = std::get_if<MemberChange>(&parsed);
  if (change == nullptr) return;
  if (change->action == MemberAction::transfer) {
    // A transfer learned long after it was decided (a site catching up) is history.
    const bool recent = entry.slot + limits::member_change_delay >= known_decided_end_;
    if (current().find(change->name) == self_ && recent && !proposer_.is_leader() && !recovery_ &&
        may_lead(self_))
      campaign(true);
    return;
  }
}

void ReplicaImpl::propose_own(const MemberChange& change) {
  // Client 0 is no client: such commands are applied without the retry table (KvStore).
  propose(member_command(change, RequestId{0, random_id()}));
}

void ReplicaImpl::track_expiry(const std::string& key) {
  std::optional<KeyMeta> meta = kv_.meta(key);
  if (!meta || meta->ttl_s == 0) {
    expiries_.erase(key);
    return;
  }
  expiries_[key] = Expiry{now_ + TimeMs{1000} * meta->ttl_s, std::nullopt};
}

// After a restore or an installed snapshot: this site does not know when the keys were
// written, so it counts each whole time to live from now. A key lives longer, never shorter.
void ReplicaImpl::track_every_expiry() {
  expiries_.clear();
  for (const auto& [key, meta] : kv_.expiring())
    expiries_[key] = Expiry{now_ + TimeMs{1000} * meta.ttl_s, std::nullopt};
}

void ReplicaImpl::expire_keys() {
  if (!proposer_.is_leader()) return;
  for (auto& [key, expiry] : expiries_) {
    if (now_ < expiry.at) continue;
    if (expiry.proposed_at && now_ - *expiry.proposed_at < options_.request_attempt_ms) continue;
    std::optional<KeyMeta> meta = kv_.meta(key);
    if (!meta) continue;
    expiry.proposed_at = now_;
    // Client 0 is no client (KvStore::apply_once); the condition makes a delete that lost a
    // race with a refresh change nothing.
    Command expire{Op::del, key, "", RequestId{0, random_id()}};
    expire.pre = Precondition{Precondition::Kind::revision, "", meta->revision};
    propose(std::move(expire));
  }
}

std::optional<SiteId> ReplicaImpl::handover_target() const {
  std::optional<SiteId> best;
  for (SiteId s = 0; s < current().size(); ++s) {
    if (s == self_ || !may_lead(s) || !answered_lately(s)) continue;
    if (!best || reported_decided_end_[s] > reported_decided_end_[*best]) best = s;
  }
  return best;
}

void ReplicaImpl::maybe_promote_joining() {
  // One change at a time: wait until the latest one governs.
  if (!proposer_.is_leader() || members_.latest_from() > learner_.decided_end()) return;
  if (own_promotion_at_ && now_ - *own_promotion_at_ < options_.election_timeout_ms) return;
  for (SiteId s = 0; s < current().size(); ++s) {
    const SiteInfo& site = current().site(s);
    if (site.role != Role::joining || !promotion_problem(site.name).empty()) continue;
    own_promotion_at_ = now_;
    propose_own(MemberChange{MemberAction::promote, site.name, "", 0, false});
    return;
  }
}

// A leader proposes only in slots whose configuration lists it, so once its removal is decided
// it stops at the slot the removal governs. When every slot below is decided, it hands over:
// not through the log (there is no slot left that it may propose), but with a heartbeat that
// tells the voter best placed to lead to campaign at once.
void ReplicaImpl::step_down_if_removed() {
  if (!proposer_.is_leader()) return;
  // Every slot it proposed is decided, and it may not propose the next one. (Not "once the
  // latest change governs": a later change may govern later still, mixed seed 2094.)
  const Slot next = proposer_.next_slot();
  if (learner_.decided_end() < next || members_.at(next).is_voter(self_)) return;
  if (std::optional<SiteId> next = handover_target())
    out_.send(*next, Heartbeat{proposer_.ballot(), learner_.decided_end(), 0, true});
  proposer_.step_down();
  leader_hint_.reset();
}

// A removal shrinks the quorum, but it also takes a vote away: when the voters left that answer
// this leader (a voter recovering from a lost disk answers nothing) are no quorum of the new
// configuration, nothing could be decided after it, not even the change that would mend it,
// and a recovering voter would wait for a leader for good (etcd's strict reconfiguration check
// refuses the same).
std::string ReplicaImpl::removal_problem(const std::string& name) const {
  const std::optional<SiteId> site = current().find(name);
  if (!site || !current().is_voter(*site)) return "";  // refused when applied, or harmless
  Cluster next = current();
  next.set_role(*site, Role::removed);
  if (next.voter_count() == 0) return "";  // "cannot remove the last voter", when applied
  const bool enough = next.is_quorum([&](SiteId s) { return answered_lately(s); });
  if (enough) return "";
  return "removing " + name + " would leave too few voters answering for a quorum";
}

std::string ReplicaImpl::promotion_problem(const std::string& name) const {
  const std::optional<SiteId> site = current().find(name);
  if (!site || current().is_voter(*site)) return "";  // refused when applied, with its reason
  // Answered this leader's heartbeats, not merely heard: a site recovering from a lost disk
  // sends (recovery queries, catch-up requests) but answers no heartbeat, and promoted it
  // would count in quorums without voting (mixed seed 56137: its decided end, reported before
  // its disk was lost, looked caught up).
  if (now_ - last_answer_[*site] > options_.election_timeout_ms)
    return name + " has not been heard from within an election timeout";
  const Slot have = reported_decided_end_[*site];
  const Slot want = learner_.decided_end();
  if (have + limits::member_change_delay < want)
    return name + " is behind (decided " + std::to_string(have) + " of " + std::to_string(want) +
           " slots)";
  return "";
}

void ReplicaImpl::route_requests() {
  // After a pass every pending request is routed to the leader of that pass (or, with no
  // leader known, none can be): another pass changes nothing until the leader changes or a
  // request is added or retried. This keeps a busy site from scanning every pending request
  // on every message.
  std::optional<SiteId> to = route_target();
  if (!routing_dirty_ && to == routed_for_) return;
  routing_dirty_ = false;
  routed_for_ = to;
  for (auto& [id, w] : writes_) route(w.command, w.request);
  for (auto& [read_id, r] : reads_)
    if (!r.read_end) route(read_id, r);
}

void ReplicaImpl::route(const Command& command, Request& request) {
  std::optional<SiteId> to = route_target();
  if (!to || request.routed_to == to) return;
  request.routed_to = to;
  request.sent_at = now_;
  if (*to == self_)
    propose(command);
  else
    out_.send(*to, Forward{command});
}

void ReplicaImpl::route(std::uint64_t read_id, PendingRead& read) {
  std::optional<SiteId> to = route_target();
  if (!to || read.request.routed_to == to) return;
  read.request.routed_to = to;
  read.request.sent_at = now_;
  if (*to == self_)
    proposer_.add_read(self_, read_id);
  else
    out_.send(*to, ReadIndexRequest{read_id});
}

void ReplicaImpl::expire_requests() {
  auto expired = [&](Request& r) {
    if (now_ < r.attempt_deadline) return false;
    if (r.attempt >= limits::max_request_attempts) return true;
    ++r.attempt;
    r.attempt_deadline = now_ + options_.request_attempt_ms;
    r.routed_to.reset();  // send again, to whoever leads now
    routing_dirty_ = true;
    return false;
  };
  // A write that timed out may still be decided and applied later (SPEC §3): its reason says
  // so, so that nobody retries an append by hand believing it failed. A read changed nothing.
  const std::string no_quorum =
      "(no quorum after " + std::to_string(limits::max_request_attempts) + " attempts)";
  const std::string reason = "timed out, outcome unknown " + no_quorum;
  const std::string read_reason = "timed out " + no_quorum;
  for (auto it = writes_.begin(); it != writes_.end();) {
    if (expired(it->second.request)) {
      ready_.completions.push_back(Completion{it->first, false, reason, false, {}});
      it = writes_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = reads_.begin(); it != reads_.end();) {
    if (expired(it->second.request)) {
      ready_.completions.push_back(Completion{it->second.id, false, read_reason, true, {}});
      it = reads_.erase(it);
    } else {
      ++it;
    }
  }
}

void ReplicaImpl::resend_forwarded() {
  forget_old_relays();
  std::optional<SiteId> catch_up_from;
  // Where a resend goes: every other one to another voter, which relays it to the leader it
  // hears (on Forward, on ReadIndexRequest): a link that works one way only can carry the
  // request to the leader and lose its answer, or the reverse.
  auto due = [&](Request& r) -> std::optional<SiteId> {
    if (relay_ && r.routed_to == relay_) catch_up_from = relay_;
    if (!r.routed_to || *r.routed_to == self_ || now_ - r.sent_at < options_.forward_retry_ms)
      return std::nullopt;
    r.sent_at = now_;
    if (++r.resends % 2 == 1) return r.routed_to;
    std::optional<SiteId> relay = some_relay(r.resends / 2);
    if (relay) catch_up_from = relay;
    return relay ? relay : r.routed_to;
  };
  for (auto& [id, w] : writes_)
    if (std::optional<SiteId> to = due(w.request)) out_.send(*to, Forward{w.command});
  for (auto& [read_id, r] : reads_)
    if (std::optional<SiteId> to = due(r.request); to && !r.read_end)
      out_.send(*to, ReadIndexRequest{read_id});
  // A site whose requests go through a relay may not hear the leader's commits either: it
  // learns what was decided from the relay, as often as it would resend.
  if (catch_up_from && now_ - relay_catch_up_at_ >= options_.forward_retry_ms) {
    relay_catch_up_at_ = now_;
    request_catch_up(*catch_up_from);
  }
}

// Any other voter, in turn: followers send each other nothing unasked, so whether one is up is
// not known here; one that is down, or follows no live leader, loses that resend only.
std::optional<SiteId> ReplicaImpl::some_relay(std::uint32_t turn) const {
  const std::optional<SiteId> leader = leader_hint_;
  std::vector<SiteId> others;
  for (SiteId s = 0; s < current().size(); ++s)
    if (s != self_ && s != leader && current().is_voter(s)) others.push_back(s);
  if (others.empty()) return std::nullopt;
  return others[turn % others.size()];
}

void ReplicaImpl::forget_old_relays() {
  std::erase_if(relayed_reads_, [&](const auto& r) {
    return now_ - r.second.second > options_.request_attempt_ms;
  });
  std::erase_if(relayed_writes_,
                [&](const auto& w) { return now_ - w.second > options_.request_attempt_ms; });
}

std::optional<SiteId> ReplicaImpl::live_leader() const {
  if (!heard_leader_site_ || now_ - heard_leader_at_ >= options_.election_timeout_ms)
    return std::nullopt;
  return heard_leader_site_;
}

// The leader, unless this site has not heard it for an election timeout while a peer that
// refused to depose it recently said it does: then that peer relays (on Forward, on
// ReadIndexRequest). A site that can reach a quorum of voters but not the leader's side of a
// one-way cut still gets its requests served without deposing a leader a quorum follows.
std::optional<SiteId> ReplicaImpl::route_target() const {
  std::optional<SiteId> to = leader();
  if (!to || *to == self_ || !relay_ || now_ - relay_at_ >= options_.election_timeout_ms * 2)
    return to;
  if (live_leader() == to) return to;
  return relay_;
}

void ReplicaImpl::serve_confirmed(const std::vector<ConfirmedRead>& confirmed) {
  for (const ConfirmedRead& c : confirmed) {
    if (c.requester == self_) {
      auto it = reads_.find(c.read_id);
      if (it != reads_.end() && !it->second.read_end) it->second.read_end = c.read_end;
    } else {
      out_.send(c.requester, ReadIndexReply{c.read_id, c.read_end});
    }
  }
}

void ReplicaImpl::finish_reads() {
  for (auto it = reads_.begin(); it != reads_.end();) {
    const PendingRead& r = it->second;
    if (r.read_end && *r.read_end <= learner_.decided_end()) {
      ready_.completions.push_back(Completion{r.id, true, "", true, kv_.get(r.key)});
      it = reads_.erase(it);
    } else {
      ++it;
    }
  }
}

// ---- introspection ----

ReplicaStatus ReplicaImpl::status() const {
  ReplicaStatus s;
  s.self = self_;
  s.leader = leader();
  // A leader added by a change this site has not learned yet has no name here yet.
  if (s.leader && *s.leader >= current().size()) s.leader.reset();
  s.is_leader = proposer_.is_leader();
  s.ballot = std::max(acceptor_.promised(), proposer_.ballot());
  s.decided_end = learner_.decided_end();
  s.applied_end = learner_.decided_end();
  s.compacted_end = snapshot_ ? snapshot_->base : 0;
  s.log_start = learner_.base();
  s.snapshots_taken = snapshots_taken_;
  s.snapshots_installed = snapshots_installed_;
  s.recovering = recovery_.has_value();
  for (SiteId id = 0; id < current().size(); ++id)
    if (id != self_ && current().is_member(id) &&
        now_ - last_heard_[id] <= 2 * options_.election_timeout_ms)
      s.peers_up.push_back(id);
  return s;
}

// ---- the public facade ----

Replica::Replica(Cluster cluster, SiteId self, ReplicaOptions options, std::uint64_t rng_seed)
    : impl_(std::make_unique<ReplicaImpl>(std::move(cluster), self, options, rng_seed)) {}
Replica::~Replica() = default;
Replica::Replica(Replica&&) noexcept = default;
Replica& Replica::operator=(Replica&&) noexcept = default;

void Replica::restore(Ballot promised, const std::vector<AcceptedEntry>& accepted,
                      const std::vector<LogEntry>& log, TimeMs now) {
  impl_->restore(promised, accepted, nullptr, 0, genesis_hash, log, now);
}
void Replica::restore(Ballot promised, const std::vector<AcceptedEntry>& accepted,
                      std::shared_ptr<const SnapshotImage> snapshot, Slot log_start,
                      const Hash& log_start_hash, const std::vector<LogEntry>& log, TimeMs now) {
  impl_->restore(promised, accepted, std::move(snapshot), log_start, log_start_hash, log, now);
}
void Replica::restore_amnesiac(TimeMs now) {
  impl_->restore_amnesiac(nullptr, 0, genesis_hash, {}, now);
}
void Replica::restore_amnesiac(std::shared_ptr<const SnapshotImage> snapshot, Slot log_start,
                               const Hash& log_start_hash, const std::vector<LogEntry>& log,
                               TimeMs now) {
  impl_->restore_amnesiac(std::move(snapshot), log_start, log_start_hash, log, now);
}
void Replica::step(const Message& message, TimeMs now) {
  impl_->step(message, now);
}
void Replica::tick(TimeMs now) {
  impl_->tick(now);
}
void Replica::submit(const Command& command, TimeMs now) {
  impl_->submit(command, now);
}
void Replica::submit_read(RequestId id, const std::string& key, TimeMs now) {
  impl_->submit_read(id, key, now);
}
Ready Replica::take_ready() {
  return impl_->take_ready();
}
void Replica::snapshot_written(std::shared_ptr<const SnapshotImage> image, TimeMs now) {
  impl_->snapshot_written(std::move(image), now);
}
const std::vector<LogEntry>& Replica::log() const {
  return impl_->log();
}
Slot Replica::log_start() const {
  return impl_->log_start();
}
const Hash& Replica::log_start_hash() const {
  return impl_->log_start_hash();
}
const Hash& Replica::head() const {
  return impl_->head();
}
std::shared_ptr<const SnapshotImage> Replica::snapshot() const {
  return impl_->snapshot();
}
const KvMap& Replica::kv() const {
  return impl_->kv();
}
std::optional<KeyMeta> Replica::key_meta(const std::string& key) const {
  return impl_->kv_store().meta(key);
}
const ChangeHistory& Replica::changes() const {
  return impl_->kv_store().history();
}
ReplicaStatus Replica::status() const {
  return impl_->status();
}

const Cluster& Replica::members() const {
  return impl_->members();
}

Cluster Replica::address_book() const {
  return impl_->address_book();
}

const std::vector<MemberEpoch>& Replica::member_epochs() const {
  return impl_->member_epochs();
}

bool Replica::recovering() const {
  return impl_->recovering();
}

}  // namespace paxoskv
