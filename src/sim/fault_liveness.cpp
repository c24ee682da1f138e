#include "sim/fault_liveness.hpp"

#include <algorithm>
#include <bit>

namespace paxoskv::sim {

FaultLiveness::FaultLiveness(TimeMs bound_ms) : bound_ms_(bound_ms) {}

void FaultLiveness::track(SiteId site) {
  if (site < covered_.size()) return;
  covered_.resize(site + 1, false);
  pending_.resize(site + 1);
}

void FaultLiveness::changed(TimeMs now, const std::vector<bool>& up,
                            const std::function<bool(SiteId, SiteId)>& cut,
                            const std::vector<const Cluster*>& configs) {
  if (!up.empty()) track(static_cast<SiteId>(up.size() - 1));
  epoch_start_ = now;
  std::fill(covered_.begin(), covered_.end(), false);
  std::vector<SiteId> voters;
  for (SiteId s = 0; s < up.size(); ++s)
    if (up[s] && std::any_of(configs.begin(), configs.end(),
                             [&](const Cluster* c) { return c->is_voter(s); }))
      voters.push_back(s);
  // Every subset of the up voters (a few, SimOperator keeps them so): a set with a quorum of
  // every configuration and every link open both ways covers its members.
  for (std::uint32_t set = 1; set < (1u << voters.size()); ++set) {
    bool quorums = true;
    for (const Cluster* c : configs) {
      std::size_t n = 0;
      for (std::size_t i = 0; i < voters.size(); ++i)
        if ((set >> i & 1u) && c->is_voter(voters[i])) ++n;
      quorums = quorums && n >= c->quorum();
    }
    if (!quorums) continue;
    bool connected = true;
    for (std::size_t i = 0; i < voters.size() && connected; ++i)
      for (std::size_t j = 0; j < voters.size() && connected; ++j)
        if (i != j && (set >> i & 1u) && (set >> j & 1u) && cut(voters[i], voters[j]))
          connected = false;
    if (!connected) continue;
    for (std::size_t i = 0; i < voters.size(); ++i)
      if (set >> i & 1u) covered_[voters[i]] = true;
  }
}

void FaultLiveness::submitted(SiteId site, RequestId id, TimeMs now) {
  track(site);
  pending_[site].emplace(id, now);
}

void FaultLiveness::completed(SiteId site, RequestId id, TimeMs now) {
  track(site);
  auto it = pending_[site].find(id);
  if (it == pending_[site].end()) return;
  if (covered_[site] && it->second >= epoch_start_) {
    longest_ms_ = std::max(longest_ms_, now - it->second);
    ++covered_requests_;
  }
  pending_[site].erase(it);
}

void FaultLiveness::crashed(SiteId site) {
  track(site);
  pending_[site].clear();
}

std::optional<std::string> FaultLiveness::check(TimeMs now) const {
  for (SiteId s = 0; s < pending_.size(); ++s) {
    if (!covered_[s]) continue;
    for (const auto& [id, at] : pending_[s]) {
      const TimeMs from = std::max(at, epoch_start_);
      if (now - from <= bound_ms_) continue;
      return "request " + std::to_string(id.client) + "." + std::to_string(id.seq) +
             " submitted at s" + std::to_string(s) + " at " + std::to_string(at) +
             " ms has not completed " + std::to_string(now - from) + " ms after s" +
             std::to_string(s) +
             " was in a quorum of voters that can all talk to each other (since " +
             std::to_string(epoch_start_) + " ms; bound " + std::to_string(bound_ms_) + " ms)";
    }
  }
  return std::nullopt;
}

}  // namespace paxoskv::sim
