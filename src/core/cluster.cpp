#include "paxoskv/cluster.hpp"

#include <algorithm>

namespace paxoskv {

Cluster::Cluster(std::vector<SiteInfo> sites) : sites_(std::move(sites)) {}

std::optional<SiteId> Cluster::find(std::string_view name) const {
  for (SiteId i = 0; i < sites_.size(); ++i)
    if (sites_[i].name == name) return i;
  return std::nullopt;
}

std::size_t Cluster::voter_count() const {
  return static_cast<std::size_t>(std::count_if(
      sites_.begin(), sites_.end(), [](const SiteInfo& s) { return s.role == Role::voter; }));
}

}  // namespace paxoskv
