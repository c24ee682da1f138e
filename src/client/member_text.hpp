#pragma once

// The membership commands as a person types them and the lines they print, the same at a
// site's shell and in paxoskv-client (README, "Shell commands"), so that both speak alike.

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "paxoskv/cluster.hpp"
#include "paxoskv/member_change.hpp"
#include "paxoskv/ready.hpp"

namespace paxoskv::client {

inline constexpr std::string_view member_usage =
    "member add NAME HOST PORT [voter|learner] | member remove NAME | member promote NAME";
inline constexpr std::string_view leader_usage = "leader transfer NAME";

// The words after `member`: the change, or what is wrong with them (without the usage).
std::variant<MemberChange, std::string> parse_member_words(std::string_view rest);
// The words after `leader`: `transfer NAME`, or what is wrong with them.
std::variant<MemberChange, std::string> parse_leader_words(std::string_view rest);

// "member add delta completed" / "unable to execute member add: name delta is in use".
std::string format_member_result(const MemberChange& change, const Completion& completion);

// "NAME HOST:PORT ROLE" per member in id order (removed sites left out), then "end of members".
std::vector<std::string> format_members(const Cluster& members);

}  // namespace paxoskv::client
