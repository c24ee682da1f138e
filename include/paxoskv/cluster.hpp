#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "paxoskv/ballot.hpp"

namespace paxoskv {

enum class Role : std::uint8_t { voter, learner };

struct SiteInfo {
  std::string name;
  std::string host;
  std::uint16_t port = 0;
  Role role = Role::voter;
};

// The membership of the cluster, as read from the hosts file. Site ids are line order.
class Cluster {
 public:
  Cluster() = default;
  explicit Cluster(std::vector<SiteInfo> sites);

  const std::vector<SiteInfo>& sites() const { return sites_; }
  std::size_t size() const { return sites_.size(); }
  const SiteInfo& site(SiteId id) const { return sites_.at(id); }
  const std::string& name(SiteId id) const { return sites_.at(id).name; }
  std::optional<SiteId> find(std::string_view name) const;
  bool is_voter(SiteId id) const { return sites_.at(id).role == Role::voter; }
  std::size_t voter_count() const;
  // A majority of the voters.
  std::size_t quorum() const { return voter_count() / 2 + 1; }

 private:
  std::vector<SiteInfo> sites_;
};

}  // namespace paxoskv
