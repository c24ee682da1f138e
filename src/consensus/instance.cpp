#include "consensus/instance.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

namespace paxoskv::consensus::detail {

namespace {

// Frees the buffer too: clear() alone keeps the capacity, and ForgetMem measures it.
void release(std::string& s) {
  std::string().swap(s);
}

}  // namespace

Instance::Instance(Seq seq, PeerId me, std::size_t n_peers)
    : seq_(seq), me_(me), n_peers_(n_peers), voted_(n_peers, false) {
  assert(me < n_peers);
}

void Instance::start(std::string value, Context& ctx) {
  if (decided_ || my_value_) return;
  my_value_ = std::move(value);
  begin_round(ctx);
}

void Instance::step(const Message& m, Context& ctx) {
  assert(m.seq == seq_ && m.from < n_peers_);
  switch (m.type) {
    case MessageType::prepare:
      return on_prepare(m, ctx);
    case MessageType::promise:
      return on_promise(m, ctx);
    case MessageType::accept:
      return on_accept(m, ctx);
    case MessageType::accepted:
      return on_accepted(m, ctx);
    case MessageType::decided:
      return on_decided(m, ctx);
    case MessageType::decided_ack:
      if (!unacked_.empty()) unacked_[m.from] = false;
      return;
    case MessageType::done_notice:
      return;  // handled by the Peer
  }
}

void Instance::tick(Context& ctx) {
  if (decided_) {
    if (ctx.now < resend_at_ms_) return;
    for (PeerId p = 0; p < unacked_.size(); ++p) {
      if (!unacked_[p]) continue;
      Message m = make_message(MessageType::decided, p, seq_);
      m.value = *decided_;
      ctx.out.push_back(std::move(m));
    }
    resend_at_ms_ = ctx.now + ctx.config.resend_ms;
    return;
  }
  if (my_value_ && ctx.now >= deadline_ms_) begin_round(ctx);
}

bool Instance::answered_with_decision(const Message& m, Context& ctx) {
  note_round(m.ballot);
  if (!decided_) return false;
  // An acceptor that knows the outcome tells the proposer instead of taking part.
  Message r = reply_to(m, MessageType::decided);
  r.value = *decided_;
  ctx.out.push_back(std::move(r));
  return true;
}

void Instance::on_prepare(const Message& m, Context& ctx) {
  if (answered_with_decision(m, ctx)) return;
  Message r = reply_to(m, MessageType::promise);
  // >= rather than >: a duplicated prepare must get the same answer as the original.
  if (m.ballot >= promised_) {
    promised_ = m.ballot;
    r.ok = true;
    r.accepted_ballot = accepted_;
    r.value = accepted_value_;
  } else {
    r.ballot = promised_;
  }
  ctx.out.push_back(std::move(r));
}

void Instance::on_accept(const Message& m, Context& ctx) {
  if (answered_with_decision(m, ctx)) return;
  Message r = reply_to(m, MessageType::accepted);
  if (m.ballot >= promised_) {
    promised_ = m.ballot;
    accepted_ = m.ballot;
    accepted_value_ = m.value;
    r.ok = true;
  } else {
    r.ballot = promised_;
  }
  ctx.out.push_back(std::move(r));
}

void Instance::begin_round(Context& ctx) {
  assert(my_value_ && !decided_);
  ballot_ = Ballot{std::max(max_round_seen_, promised_.round) + 1, me_};
  note_round(ballot_);
  phase_ = Phase::preparing;
  std::fill(voted_.begin(), voted_.end(), false);
  votes_ = 0;
  best_accepted_ = Ballot{};
  proposal_.clear();
  deadline_ms_ = ctx.now + ctx.config.retry_ms + ctx.rng.upto(ctx.config.retry_ms);
  Message prepare = make_message(MessageType::prepare, 0, seq_);
  prepare.ballot = ballot_;
  broadcast(std::move(prepare), ctx);
}

bool Instance::take_vote(const Message& m, Phase phase, Context& ctx) {
  note_round(m.ballot);
  if (decided_ || phase_ != phase) return false;
  if (!m.ok) {
    if (m.ballot > ballot_) back_off(ctx);
    return false;
  }
  if (m.ballot != ballot_ || voted_[m.from]) return false;
  voted_[m.from] = true;
  ++votes_;
  return true;
}

void Instance::on_promise(const Message& m, Context& ctx) {
  if (!take_vote(m, Phase::preparing, ctx)) return;
  // The value of the highest accepted ballot in a majority is the only one that may already
  // be chosen; proposing anything else could overwrite a decision (the Old scenario).
  if (m.accepted_ballot > best_accepted_) {
    best_accepted_ = m.accepted_ballot;
    proposal_ = m.value;
  }
  if (votes_ < majority()) return;
  if (best_accepted_.is_null()) proposal_ = *my_value_;
  phase_ = Phase::accepting;
  std::fill(voted_.begin(), voted_.end(), false);
  votes_ = 0;
  deadline_ms_ = ctx.now + ctx.config.retry_ms + ctx.rng.upto(ctx.config.retry_ms);
  Message accept = make_message(MessageType::accept, 0, seq_);
  accept.ballot = ballot_;
  accept.value = proposal_;
  broadcast(std::move(accept), ctx);
}

void Instance::on_accepted(const Message& m, Context& ctx) {
  if (!take_vote(m, Phase::accepting, ctx) || votes_ < majority()) return;
  learn(std::move(proposal_));
  announce(ctx, std::nullopt);
}

// A higher ballot is in play: wait a random while before trying again, so that two
// proposers do not keep pre-empting each other.
void Instance::back_off(Context& ctx) {
  phase_ = Phase::backing_off;
  deadline_ms_ = ctx.now + 1 + ctx.rng.upto(ctx.config.retry_ms);
}

void Instance::learn(std::string value) {
  if (decided_) {
    assert(*decided_ == value && "two values decided for one instance");
    return;
  }
  decided_ = std::move(value);
  release(accepted_value_);
  release(proposal_);
  my_value_.reset();
  phase_ = Phase::idle;
  std::vector<bool>().swap(voted_);
}

void Instance::on_decided(const Message& m, Context& ctx) {
  // A peer asked to start() this instance spreads the outcome as if its own proposal had
  // won: the peers that its proposal reached may have nobody else to tell them.
  bool must_announce = !decided_ && my_value_;
  learn(m.value);
  ctx.out.push_back(reply_to(m, MessageType::decided_ack));
  if (must_announce) announce(ctx, m.from);
}

void Instance::announce(Context& ctx, std::optional<PeerId> knows) {
  unacked_.assign(n_peers_, true);
  unacked_[me_] = false;
  if (knows) unacked_[*knows] = false;
  resend_at_ms_ = ctx.now;  // the tick below sends the first copies at once
  tick(ctx);
}

Message Instance::reply_to(const Message& m, MessageType type) const {
  Message r = make_message(type, m.from, seq_);
  r.ballot = m.ballot;
  return r;
}

void Instance::broadcast(Message m, Context& ctx) const {
  for (PeerId p = 0; p < n_peers_; ++p) {
    m.to = p;
    ctx.out.push_back(m);
  }
}

void Instance::note_round(Ballot b) {
  max_round_seen_ = std::max(max_round_seen_, b.round);
}

std::size_t Instance::held_bytes() const {
  std::size_t bytes = sizeof(*this) + accepted_value_.capacity() + proposal_.capacity();
  if (my_value_) bytes += my_value_->capacity();
  if (decided_) bytes += decided_->capacity();
  return bytes + (voted_.capacity() + unacked_.capacity()) / 8;
}

}  // namespace paxoskv::consensus::detail
