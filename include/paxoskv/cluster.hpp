#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "paxoskv/ballot.hpp"

namespace paxoskv {

// What is wrong with a site name, "" when nothing: names become file names (SITE_log.json) and
// shell arguments, so they are letters, digits, '_' and '-', at most 64 of them. For the hosts
// file, a membership change and the shell alike.
std::string site_name_problem(std::string_view name);
// The same for a host: only plausibility (the characters of IPv4 and IPv6 literals, with a zone
// after '%', and of DNS names); whether it resolves is found out when it is used.
std::string host_problem(std::string_view host);

// A port written as 1 to 5 digits with a value from 1 to 65535; nullopt otherwise. The callers
// say what is wrong in their own terms.
std::optional<std::uint16_t> parse_port(std::string_view text);

// A removed site keeps its id (ballots and messages name sites by id, and ids are never
// reused), but is in no quorum and is sent nothing. A joining site is a learner that the leader
// promotes once it has caught up (`member add NAME HOST PORT voter`).
enum class Role : std::uint8_t { voter, learner, removed, joining };

// "voter", "learner", "removed", "joining".
std::string_view role_name(Role role);

struct SiteInfo {
  std::string name;
  std::string host;
  std::uint16_t port = 0;
  Role role = Role::voter;
  bool operator==(const SiteInfo&) const = default;
};

// One configuration of the cluster: the hosts file, or what membership changes made of it.
// Site ids are line order, then the order in which sites were added.
class Cluster {
 public:
  Cluster() = default;
  explicit Cluster(std::vector<SiteInfo> sites);

  const std::vector<SiteInfo>& sites() const { return sites_; }
  // Ids run below size(), removed sites included.
  std::size_t size() const { return sites_.size(); }
  const SiteInfo& site(SiteId id) const { return sites_.at(id); }
  const std::string& name(SiteId id) const { return sites_.at(id).name; }
  // The member (not removed) of that name.
  std::optional<SiteId> find(std::string_view name) const;
  // The member (not removed) at that endpoint.
  std::optional<SiteId> find_endpoint(std::string_view host, std::uint16_t port) const;
  bool is_voter(SiteId id) const { return id < sites_.size() && sites_[id].role == Role::voter; }
  bool is_member(SiteId id) const { return id < sites_.size() && sites_[id].role != Role::removed; }
  std::size_t voter_count() const;
  // A majority of the voters.
  std::size_t quorum() const { return voter_count() / 2 + 1; }
  // Whether the voters for which `counts(id)` holds are a quorum.
  template <class Counts>
  bool is_quorum(Counts counts) const {
    std::size_t n = 0;
    for (SiteId id = 0; id < sites_.size(); ++id)
      if (sites_[id].role == Role::voter && counts(id)) ++n;
    return n >= quorum();
  }

  // A new site, with the next id.
  SiteId add(SiteInfo site);
  void set_role(SiteId id, Role role) { sites_.at(id).role = role; }

  bool operator==(const Cluster&) const = default;

 private:
  std::vector<SiteInfo> sites_;
};

// A configuration and the first slot it governs (README, "Membership").
struct MemberEpoch {
  Slot from = 0;
  Cluster cluster;
  bool operator==(const MemberEpoch&) const = default;
};

}  // namespace paxoskv
