#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "paxoskv/cluster.hpp"
#include "paxoskv/command.hpp"

namespace paxoskv {

// `transfer` changes no configuration: it hands leadership to a voter (README, "Leader
// transfer"), and is decided in the log so that the target knows it has caught up to it.
enum class MemberAction : std::uint8_t { add, remove, promote, transfer };

// A change of the configuration, decided in the log like any command (README, "Membership").
// A site is added as a learner; a learner that has caught up is promoted to voter, by hand or,
// when it was added with `voter`, by the leader.
struct MemberChange {
  MemberAction action = MemberAction::add;
  std::string name;
  std::string host;        // add only
  std::uint16_t port = 0;  // add only
  bool voter = false;      // add only: promote it once it has caught up
  bool operator==(const MemberChange&) const = default;
};

// As a log entry: op `member`, the site's name as key, and as value "add HOST PORT" (with
// " voter" appended for an add that is to become a voter), "remove", "promote" or "transfer"
// (so `print log` shows `SLOT member NAME add HOST PORT`). A leader that refuses a
// change before proposing it (a promotion of a learner that is behind) proposes the value
// "refuse REASON" instead: decided like any change, and refused alike everywhere.
Command member_command(const MemberChange& change, RequestId id);
// The change a `member` command carries, or what is wrong with it.
std::variant<MemberChange, std::string> member_change_of(const Command& command);

}  // namespace paxoskv
