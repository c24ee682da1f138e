#include "sim/sim_network.hpp"

#include <algorithm>
#include <cassert>

namespace paxoskv::sim {

SimNetwork::SimNetwork(std::size_t sites, const SimConfig& config, SimRandom& random, Trace& trace)
    : random_(random),
      trace_(trace),
      drop_rate_(config.drop_rate),
      dup_rate_(config.dup_rate),
      late_rate_(config.late_rate),
      min_delay_ms_(config.min_delay_ms),
      max_delay_ms_(config.max_delay_ms),
      late_delay_ms_(config.late_delay_ms),
      reorder_(config.reorder),
      cut_(sites, std::vector<char>(sites, 0)),
      last_arrival_(sites, std::vector<TimeMs>(sites, 0)) {}

TimeMs SimNetwork::delay() {
  TimeMs d = random_.between(min_delay_ms_, max_delay_ms_);
  if (late_rate_ > 0 && random_.chance(late_rate_)) {
    ++stats_.late;
    d += random_.between(0, late_delay_ms_);
  }
  return d;
}

void SimNetwork::send(Envelope envelope, TimeMs now) {
  const SiteId from = envelope.message.from;
  const SiteId to = envelope.to;
  assert(from != to && to < cut_.size());
  ++stats_.sent;
  if (is_cut(from, to)) {
    ++stats_.cut;
    trace_.message(now, TraceKind::cut, envelope);
    return;
  }
  if (drop_rate_ > 0 && random_.chance(drop_rate_)) {
    ++stats_.dropped;
    trace_.message(now, TraceKind::drop, envelope);
    return;
  }
  const bool twice = dup_rate_ > 0 && random_.chance(dup_rate_);
  TimeMs at = now + delay();
  if (twice) {
    ++stats_.duplicated;
    trace_.message(now, TraceKind::duplicate, envelope);
    TimeMs again = now + delay();
    if (!reorder_) again = std::max(again, last_arrival_[from][to]);
    last_arrival_[from][to] = std::max(last_arrival_[from][to], again);
    schedule(again, InFlight{envelope, false, 0});
  }
  if (!reorder_) at = std::max(at, last_arrival_[from][to]);
  last_arrival_[from][to] = std::max(last_arrival_[from][to], at);
  schedule(at, InFlight{std::move(envelope), false, 0});
}

void SimNetwork::loopback(Envelope envelope, TimeMs now, std::uint32_t incarnation) {
  assert(envelope.to == envelope.message.from);
  schedule(now, InFlight{std::move(envelope), true, incarnation});
}

void SimNetwork::schedule(TimeMs at, InFlight message) {
  queue_.emplace(std::pair{at, next_order_++}, std::move(message));
}

std::optional<std::pair<TimeMs, InFlight>> SimNetwork::pop_due(TimeMs until) {
  while (!queue_.empty() && queue_.begin()->first.first <= until) {
    auto node = queue_.extract(queue_.begin());
    const TimeMs at = node.key().first;
    InFlight& m = node.mapped();
    if (!m.loopback && is_cut(m.envelope.message.from, m.envelope.to)) {
      ++stats_.cut;
      trace_.message(at, TraceKind::cut, m.envelope);
      continue;
    }
    return std::pair{at, std::move(m)};
  }
  return std::nullopt;
}

void SimNetwork::add_site() {
  const std::size_t n = cut_.size() + 1;
  for (auto& row : cut_) row.resize(n, 0);
  for (auto& row : last_arrival_) row.resize(n, 0);
  cut_.emplace_back(n, 0);
  last_arrival_.emplace_back(n, 0);
}

void SimNetwork::set_cut(SiteId from, SiteId to, bool cut) {
  assert(from != to);
  cut_[from][to] = cut ? 1 : 0;
}

void SimNetwork::heal() {
  for (auto& row : cut_) std::fill(row.begin(), row.end(), 0);
}

void SimNetwork::stop_faults() {
  drop_rate_ = 0;
  dup_rate_ = 0;
  late_rate_ = 0;
}

std::string SimNetwork::describe_cuts() const {
  std::string out;
  for (SiteId from = 0; from < cut_.size(); ++from)
    for (SiteId to = 0; to < cut_.size(); ++to)
      if (is_cut(from, to))
        out += (out.empty() ? "s" : " s") + std::to_string(from) + "->s" + std::to_string(to);
  return out.empty() ? "none" : out;
}

}  // namespace paxoskv::sim
