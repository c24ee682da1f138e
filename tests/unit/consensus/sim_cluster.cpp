#include "sim_cluster.hpp"

#include <algorithm>

namespace paxoskv::consensus::test {

namespace {
// Every peer ticks this often; well below Config's retry and resend periods.
constexpr TimeMs tick_ms = 10;
}  // namespace

SimCluster::SimCluster(std::size_t n, std::uint64_t seed, Config config)
    : rng_(seed), group_(n, 0), deaf_(n, false) {
  config.seed = seed;
  for (PeerId p = 0; p < n; ++p) peers_.emplace_back(p, n, config);
}

void SimCluster::start(PeerId p, Seq seq, const std::string& value) {
  proposed_[seq].insert(value);
  peers_.at(p).start(seq, value);
  collect(p);
}

void SimCluster::done(PeerId p, Seq seq) {
  peers_.at(p).done(seq);
  collect(p);
}

void SimCluster::partition(const std::vector<std::vector<PeerId>>& groups) {
  // Group ids start at 1; a peer left out gets a group of its own.
  for (PeerId p = 0; p < size(); ++p) group_[p] = -1 - static_cast<int>(p);
  for (std::size_t g = 0; g < groups.size(); ++g)
    for (PeerId p : groups[g]) group_.at(p) = static_cast<int>(g) + 1;
}

void SimCluster::heal() {
  std::fill(group_.begin(), group_.end(), 0);
}

void SimCluster::run_for(TimeMs ms) {
  const TimeMs end_ms = now_ms_ + ms;
  for (;;) {
    bool delivery_first = !in_flight_.empty() && in_flight_.top().at_ms <= next_tick_ms_;
    TimeMs next_ms = delivery_first ? in_flight_.top().at_ms : next_tick_ms_;
    if (next_ms > end_ms) break;
    now_ms_ = next_ms;
    if (delivery_first) {
      Message m = in_flight_.top().message;
      in_flight_.pop();
      deliver(m);
      continue;
    }
    for (PeerId p = 0; p < size(); ++p) {
      peers_[p].tick(now_ms_);
      collect(p);
    }
    next_tick_ms_ += tick_ms;
  }
  now_ms_ = end_ms;
}

bool SimCluster::run_until(const std::function<bool()>& pred, TimeMs limit_ms) {
  constexpr TimeMs step_ms = 5;
  for (TimeMs t = 0; t < limit_ms; t += step_ms) {
    if (pred()) return true;
    run_for(step_ms);
  }
  return pred();
}

int SimCluster::ndecided(Seq seq) {
  int count = 0;
  for (PeerId p = 0; p < size(); ++p) {
    Status s = peers_[p].status(seq);
    if (s.fate != Fate::decided) continue;
    ++count;
    check_decided(p, seq, s.value);
  }
  return count;
}

bool SimCluster::wait_decided(Seq seq, int wanted, TimeMs limit_ms) {
  return run_until([&] { return ndecided(seq) >= wanted; }, limit_ms);
}

std::uint64_t SimCluster::datagrams_sent(MessageType type) const {
  auto it = sent_by_type_.find(type);
  return it == sent_by_type_.end() ? 0 : it->second;
}

void SimCluster::collect(PeerId p) {
  Ready ready = peers_[p].take_ready();
  for (Seq seq : ready.decided) {
    Status s = peers_[p].status(seq);
    if (s.fate == Fate::decided) check_decided(p, seq, s.value);
  }
  for (Message& m : ready.messages) submit(std::move(m));
}

void SimCluster::submit(Message m) {
  ++datagrams_sent_;
  ++sent_by_type_[m.type];
  if (drop_rule_ && drop_rule_(m)) return;
  if (uniform() < faults_.drop) return;
  int copies = uniform() < faults_.duplicate ? 2 : 1;
  TimeMs spread_ms = faults_.max_latency_ms - faults_.min_latency_ms;
  for (int c = 0; c < copies; ++c) {
    TimeMs latency_ms = faults_.min_latency_ms + rng_() % (spread_ms + 1);
    in_flight_.push(InFlight{now_ms_ + latency_ms, next_order_++, m});
  }
}

void SimCluster::deliver(const Message& m) {
  if (!can_deliver(m)) return;
  peers_[m.to].step(m, now_ms_);
  collect(m.to);
}

bool SimCluster::can_deliver(const Message& m) const {
  return !deaf_[m.to] && group_[m.from] == group_[m.to];
}

namespace {
// Values may be megabytes long; a report shows their start.
std::string shown(const std::string& value) {
  return "'" + value.substr(0, 40) + (value.size() > 40 ? "...'" : "'");
}
}  // namespace

void SimCluster::check_decided(PeerId p, Seq seq, const std::string& value) {
  std::string where = "seq " + std::to_string(seq) + ": peer " + std::to_string(p);
  auto [it, fresh] = chosen_.try_emplace(seq, value);
  if (!fresh && it->second != value)
    violations_.push_back(where + " decided " + shown(value) + " but " + shown(it->second) +
                          " was decided before");
  auto prop = proposed_.find(seq);
  if (prop == proposed_.end() || !prop->second.contains(value))
    violations_.push_back(where + " decided " + shown(value) + ", which nobody proposed");
}

}  // namespace paxoskv::consensus::test
