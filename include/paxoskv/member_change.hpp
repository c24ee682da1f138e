#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "paxoskv/cluster.hpp"
#include "paxoskv/command.hpp"

namespace paxoskv {

enum class MemberAction : std::uint8_t { add, remove, promote };

// A change of the configuration, decided in the log like any command (README, "Membership").
// A site is added as a learner; a learner that has caught up is promoted to voter.
struct MemberChange {
  MemberAction action = MemberAction::add;
  std::string name;
  std::string host;        // add only
  std::uint16_t port = 0;  // add only
  bool operator==(const MemberChange&) const = default;
};

// As a log entry: op `member`, the site's name as key, and as value "add HOST PORT", "remove"
// or "promote" (so `print log` shows `SLOT member NAME add HOST PORT`). A leader that refuses a
// change before proposing it (a promotion of a learner that is behind) proposes the value
// "refuse REASON" instead: decided like any change, and refused alike everywhere.
Command member_command(const MemberChange& change, RequestId id);
// The change a `member` command carries, or what is wrong with it.
std::variant<MemberChange, std::string> member_change_of(const Command& command);

}  // namespace paxoskv
