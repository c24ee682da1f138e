#include "sim/fault_liveness.hpp"

#include <algorithm>
#include <bit>

namespace paxoskv::sim {

FaultLiveness::FaultLiveness(const Cluster& cluster, TimeMs bound_ms)
    : cluster_(cluster),
      bound_ms_(bound_ms),
      covered_(cluster.size(), false),
      pending_(cluster.size()) {}

void FaultLiveness::changed(TimeMs now, const std::vector<bool>& up,
                            const std::function<bool(SiteId, SiteId)>& cut) {
  epoch_start_ = now;
  std::fill(covered_.begin(), covered_.end(), false);
  std::vector<SiteId> voters;
  for (SiteId s = 0; s < cluster_.size(); ++s)
    if (cluster_.is_voter(s) && up[s]) voters.push_back(s);
  // Every subset of the up voters (at most 7 of them): a quorum with every link open both
  // ways covers its members.
  for (std::uint32_t set = 1; set < (1u << voters.size()); ++set) {
    if (static_cast<std::size_t>(std::popcount(set)) < cluster_.quorum()) continue;
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
  pending_[site].emplace(id, now);
}

void FaultLiveness::completed(SiteId site, RequestId id, TimeMs now) {
  auto it = pending_[site].find(id);
  if (it == pending_[site].end()) return;
  if (covered_[site] && it->second >= epoch_start_) {
    longest_ms_ = std::max(longest_ms_, now - it->second);
    ++covered_requests_;
  }
  pending_[site].erase(it);
}

void FaultLiveness::crashed(SiteId site) {
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
