#include "paxoskv/member_change.hpp"

#include <sstream>

namespace paxoskv {

Command member_command(const MemberChange& change, RequestId id) {
  std::string value;
  switch (change.action) {
    case MemberAction::add:
      value = "add " + change.host + ' ' + std::to_string(change.port);
      if (change.voter) value += " voter";
      break;
    case MemberAction::remove:
      value = "remove";
      break;
    case MemberAction::promote:
      value = "promote";
      break;
    case MemberAction::transfer:
      value = "transfer";
      break;
  }
  return Command{Op::member, change.name, std::move(value), id};
}

std::variant<MemberChange, std::string> member_change_of(const Command& command) {
  if (command.op != Op::member) return std::string("not a membership change");
  MemberChange change;
  change.name = command.key;
  if (std::string problem = site_name_problem(change.name); !problem.empty()) return problem;
  std::istringstream words(command.value);
  std::string action, host, port, role, extra;
  words >> action >> host >> port >> role >> extra;
  if (action == "refuse") {
    // A change the leader refused before proposing it (ReplicaImpl::propose): the rest is why.
    const auto reason = command.value.find(' ');
    return std::string(reason == std::string::npos ? "refused by the leader"
                                                   : command.value.substr(reason + 1));
  }
  if (action == "remove" || action == "promote" || action == "transfer") {
    if (!host.empty()) return "unexpected words after '" + action + "'";
    change.action = action == "remove"    ? MemberAction::remove
                    : action == "promote" ? MemberAction::promote
                                          : MemberAction::transfer;
    return change;
  }
  if (action != "add") return "unknown membership change '" + action + "'";
  if (host.empty() || port.empty() || !extra.empty() || (!role.empty() && role != "voter"))
    return std::string("'add' takes a host, a port and optionally 'voter'");
  if (std::string problem = host_problem(host); !problem.empty()) return problem;
  const std::optional<std::uint16_t> value = parse_port(port);
  if (!value) return "bad port '" + port + "'";
  change.action = MemberAction::add;
  change.host = std::move(host);
  change.port = *value;
  change.voter = role == "voter";
  return change;
}

}  // namespace paxoskv
