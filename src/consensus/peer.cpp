#include <algorithm>
#include <cassert>
#include <deque>
#include <map>
#include <utility>

#include "consensus/context.hpp"
#include "consensus/instance.hpp"
#include "paxoskv/consensus.hpp"

namespace paxoskv::consensus {

using detail::Context;
using detail::Instance;

// Routes messages between the instances, the network and this peer itself, tracks every
// peer's done value and frees the instances that all peers are done with.
class Peer::Impl {
 public:
  Impl(PeerId me, std::size_t n_peers, Config config)
      : me_(me),
        n_peers_(n_peers),
        config_(config),
        rng_(config.seed ^ (0x9e3779b97f4a7c15ULL * (me + 1))),
        done_(n_peers, -1) {
    assert(n_peers > 0 && me < n_peers);
  }

  void start(Seq seq, std::string value) {
    if (seq < min()) return;
    max_ = std::max(max_, seq);
    with_instance(seq, [&](Instance& in, Context& ctx) { in.start(std::move(value), ctx); });
    drain_local();
  }

  Status status(Seq seq) const {
    if (seq < min()) return Status{Fate::forgotten, {}};
    auto it = instances_.find(seq);
    if (it == instances_.end() || !it->second.is_decided()) return Status{};
    return Status{Fate::decided, it->second.decided_value()};
  }

  void done(Seq seq) {
    if (seq <= done_[me_]) return;
    done_[me_] = seq;
    forget();
    // Tell the others now rather than at the next gossip: they may free memory at once.
    gossip_done();
  }

  Seq max() const { return max_; }
  Seq min() const { return *std::min_element(done_.begin(), done_.end()) + 1; }

  void step(const Message& m, TimeMs now) {
    now_ms_ = std::max(now_ms_, now);
    // Anything not from another peer to this one is garbage from the driver; drop it.
    if (m.from >= n_peers_ || m.from == me_ || m.to != me_) return;
    handle(m);
    drain_local();
  }

  void tick(TimeMs now) {
    now_ms_ = std::max(now_ms_, now);
    for (auto& [seq, in] : instances_) {
      // Only queues messages: the map is not changed while it is walked.
      bool was_decided = in.is_decided();
      Context ctx{now_ms_, config_, rng_, scratch_};
      in.tick(ctx);
      route(seq, was_decided, in.is_decided());
    }
    if (done_[me_] >= 0 && now_ms_ >= next_gossip_ms_) gossip_done();
    drain_local();
  }

  Ready take_ready() { return std::exchange(ready_, Ready{}); }

  std::size_t instance_count() const { return instances_.size(); }
  std::size_t held_bytes() const {
    // A map node holds the pair and about four words of tree links and colour.
    std::size_t bytes = 0;
    for (const auto& [seq, in] : instances_) bytes += in.held_bytes() + sizeof(seq) + 32;
    return bytes;
  }

 private:
  template <typename F>
  void with_instance(Seq seq, F&& f) {
    Instance& in = instances_.try_emplace(seq, seq, me_, n_peers_).first->second;
    bool was_decided = in.is_decided();
    Context ctx{now_ms_, config_, rng_, scratch_};
    f(in, ctx);
    route(seq, was_decided, in.is_decided());
  }

  void handle(const Message& m) {
    if (m.done > done_[m.from]) {
      done_[m.from] = m.done;
      forget();
    }
    if (m.type == MessageType::done_notice) return;
    if (m.seq < min()) {
      // Every peer is done with it, the sender included; only a retransmitted decided needs
      // an answer, so that its sender stops.
      if (m.type == MessageType::decided)
        send(detail::make_message(MessageType::decided_ack, m.from, m.seq));
      return;
    }
    max_ = std::max(max_, m.seq);
    with_instance(m.seq, [&](Instance& in, Context& ctx) { in.step(m, ctx); });
  }

  void route(Seq seq, bool was_decided, bool is_decided) {
    if (!was_decided && is_decided) ready_.decided.push_back(seq);
    for (Message& m : scratch_) send(std::move(m));
    scratch_.clear();
  }

  void send(Message m) {
    m.from = me_;
    m.done = done_[me_];
    if (m.to == me_) {
      local_.push_back(std::move(m));
    } else {
      ready_.messages.push_back(std::move(m));
    }
  }

  // Messages to itself are handled at once, in order, without the network.
  void drain_local() {
    while (!local_.empty()) {
      Message m = std::move(local_.front());
      local_.pop_front();
      handle(m);
    }
  }

  void forget() {
    Seq lowest_done = min() - 1;
    instances_.erase(instances_.begin(), instances_.upper_bound(lowest_done));
  }

  void gossip_done() {
    for (PeerId p = 0; p < n_peers_; ++p)
      if (p != me_) send(detail::make_message(MessageType::done_notice, p, 0));
    next_gossip_ms_ = now_ms_ + config_.done_gossip_ms;
  }

  PeerId me_;
  std::size_t n_peers_;
  Config config_;
  detail::Rng rng_;
  TimeMs now_ms_ = 0;
  TimeMs next_gossip_ms_ = 0;
  std::vector<Seq> done_;  // highest done value heard from each peer, this one included
  Seq max_ = -1;
  std::map<Seq, Instance> instances_;
  std::vector<Message> scratch_;  // an instance's output before routing
  std::deque<Message> local_;
  Ready ready_;
};

Peer::Peer(PeerId me, std::size_t n_peers, Config config)
    : impl_(std::make_unique<Impl>(me, n_peers, config)) {}
Peer::~Peer() = default;
Peer::Peer(Peer&&) noexcept = default;
Peer& Peer::operator=(Peer&&) noexcept = default;

void Peer::start(Seq seq, std::string value) {
  impl_->start(seq, std::move(value));
}
Status Peer::status(Seq seq) const {
  return impl_->status(seq);
}
void Peer::done(Seq seq) {
  impl_->done(seq);
}
Seq Peer::max() const {
  return impl_->max();
}
Seq Peer::min() const {
  return impl_->min();
}
void Peer::step(const Message& message, TimeMs now) {
  impl_->step(message, now);
}
void Peer::tick(TimeMs now) {
  impl_->tick(now);
}
Ready Peer::take_ready() {
  return impl_->take_ready();
}
std::size_t Peer::instance_count() const {
  return impl_->instance_count();
}
std::size_t Peer::held_bytes() const {
  return impl_->held_bytes();
}

}  // namespace paxoskv::consensus
