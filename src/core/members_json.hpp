#pragma once

// Configurations as JSON, in one form for the snapshot, the client protocol's `members` answer
// and a joined site's SITE_members.json. A configuration is an array of its sites in id order:
//   [{"name":"alpha","host":"127.0.0.1","port":5001,"role":"voter"},...]
// An id is a position in it, removed sites included: ids are never reused (README,
// "Membership"), so a removed site must stay to keep the ids after it.

#include <boost/json/fwd.hpp>
#include <string>
#include <string_view>
#include <variant>

#include "paxoskv/cluster.hpp"

namespace paxoskv {

// Written as text, so that a snapshot's bytes (and its digest) depend only on the state.
void append_sites_json(std::string& out, const Cluster& cluster);
// Reads such an array into `out`; "" when fine, else what is wrong. Every name, host, port and
// role is checked as the hosts file checks them, and a configuration has a voter.
std::string read_sites_json(const boost::json::value& value, Cluster& out);

// What a site knows of its configurations: the initial one, which governs slot 0 (its hosts
// file, or what it learned when it joined) and from which its log replays, and the latest one
// (Replica::members()), which names every site it may hear from.
//   {"initial":[SITE,...],"latest":[SITE,...]}
struct KnownMembers {
  Cluster initial;
  Cluster latest;
  bool operator==(const KnownMembers&) const = default;
};

std::string encode_known_members(const KnownMembers& members);
// Never throws. Beyond the form, the latest configuration must extend the initial one: the
// same sites at the same ids with the same endpoints (roles change, endpoints never do).
std::variant<KnownMembers, std::string> decode_known_members(std::string_view text);

}  // namespace paxoskv
