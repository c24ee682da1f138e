#include "faultproxy/fault_line.hpp"

#include <cassert>
#include <cmath>

namespace paxoskv::faultproxy {

namespace {

bool is_probability(double p) {
  return std::isfinite(p) && p >= 0 && p <= 1;
}

}  // namespace

std::optional<std::string> check(const FaultOptions& options) {
  if (!is_probability(options.drop)) return "drop must be a probability from 0 to 1";
  if (!is_probability(options.duplicate)) return "duplicate must be a probability from 0 to 1";
  if (options.delay_min_ms < 0 || options.delay_max_ms > 60'000)
    return "delays must be from 0 to 60000 ms";
  if (options.delay_min_ms > options.delay_max_ms)
    return "the minimum delay is above the maximum delay";
  if (options.max_held == 0) return "max_held must be at least 1";
  return std::nullopt;
}

std::string describe(const FaultStats& s) {
  return "received=" + std::to_string(s.received) + " dropped=" + std::to_string(s.dropped) +
         " duplicated=" + std::to_string(s.duplicated) + " released=" + std::to_string(s.released) +
         " reordered=" + std::to_string(s.reordered) + " overflow=" + std::to_string(s.overflow);
}

FaultLine::FaultLine(FaultOptions options) : options_(options), random_(options.seed) {
  assert(!check(options_));
}

FaultLine::Flow& FaultLine::flow_of(const Datagram& datagram) {
  FlowKey key{datagram.source, datagram.destination};
  for (auto& [k, flow] : flows_)
    if (k == key) return flow;
  return flows_.emplace_back(key, Flow{}).second;
}

void FaultLine::arrive(Datagram datagram, std::int64_t now_ms) {
  ++stats_.received;
  std::uniform_real_distribution<double> coin(0, 1);
  if (coin(random_) < options_.drop) {
    ++stats_.dropped;
    return;
  }
  std::uint64_t flow_seq = ++flow_of(datagram).arrived;
  if (coin(random_) < options_.duplicate) {
    ++stats_.duplicated;
    hold(datagram, flow_seq, now_ms);
  }
  hold(datagram, flow_seq, now_ms);
}

void FaultLine::hold(const Datagram& datagram, std::uint64_t flow_seq, std::int64_t now_ms) {
  if (held_.size() >= options_.max_held) {
    ++stats_.overflow;
    return;
  }
  std::uniform_int_distribution<std::int64_t> delay(options_.delay_min_ms, options_.delay_max_ms);
  held_.push(Held{now_ms + delay(random_), next_order_++, flow_seq, datagram});
}

std::optional<std::int64_t> FaultLine::next_due_ms() const {
  if (held_.empty()) return std::nullopt;
  return held_.top().due_ms;
}

std::vector<Datagram> FaultLine::take_due(std::int64_t now_ms) {
  std::vector<Datagram> due;
  while (!held_.empty() && held_.top().due_ms <= now_ms) {
    Held copy = held_.top();
    held_.pop();
    Flow& flow = flow_of(copy.datagram);
    if (copy.flow_seq < flow.highest_released) ++stats_.reordered;
    flow.highest_released = std::max(flow.highest_released, copy.flow_seq);
    ++stats_.released;
    due.push_back(std::move(copy.datagram));
  }
  return due;
}

}  // namespace paxoskv::faultproxy
