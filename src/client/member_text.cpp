#include "client/member_text.hpp"

#include <optional>

#include "client/command_words.hpp"

namespace paxoskv::client {

std::variant<MemberChange, std::string> parse_member_words(std::string_view rest) {
  const std::string_view verb = take_word(rest);
  const std::string_view name = take_word(rest);
  MemberChange change;
  if (verb == "remove" || verb == "promote") {
    if (name.empty()) return "member " + std::string(verb) + " needs NAME";
    if (!skip_separators(rest).empty()) return "member " + std::string(verb) + " takes only NAME";
    change.action = verb == "remove" ? MemberAction::remove : MemberAction::promote;
  } else if (verb == "add") {
    const std::string_view host = take_word(rest);
    const std::string_view port = take_word(rest);
    const std::string_view role = take_word(rest);
    if (port.empty()) return std::string("member add needs NAME HOST PORT");
    if (!skip_separators(rest).empty())
      return std::string("member add takes NAME HOST PORT [voter|learner]");
    if (!role.empty() && role != "learner" && role != "voter")
      return "role '" + std::string(role) + "' is neither voter nor learner";
    const std::optional<std::uint16_t> value = parse_port(port);
    if (!value) return "'" + std::string(port) + "' is not a port (1 to 65535)";
    if (std::string problem = host_problem(host); !problem.empty()) return problem;
    change.action = MemberAction::add;
    change.host = std::string(host);
    change.port = *value;
    change.voter = role == "voter";
  } else {
    return verb.empty() ? "member needs add, remove or promote"
                        : "'" + std::string(verb) + "' is not add, remove or promote";
  }
  if (std::string problem = site_name_problem(name); !problem.empty()) return problem;
  change.name = std::string(name);
  return change;
}

// `leader transfer` is decided in the log like a membership change (MemberAction::transfer).
std::variant<MemberChange, std::string> parse_leader_words(std::string_view rest) {
  const std::string_view verb = take_word(rest);
  if (verb != "transfer")
    return verb.empty() ? "leader needs transfer NAME"
                        : "'" + std::string(verb) + "' is not transfer";
  const std::string_view name = take_word(rest);
  if (name.empty()) return std::string("leader transfer needs NAME");
  if (!skip_separators(rest).empty()) return std::string("leader transfer takes only NAME");
  if (std::string problem = site_name_problem(name); !problem.empty()) return problem;
  return MemberChange{MemberAction::transfer, std::string(name), "", 0, false};
}

std::string format_member_result(const MemberChange& change, const Completion& completion) {
  // `leader transfer` travels as a member command, but is typed and reported as its own.
  const char* what = change.action == MemberAction::add       ? "member add"
                     : change.action == MemberAction::remove  ? "member remove"
                     : change.action == MemberAction::promote ? "member promote"
                                                              : "leader transfer";
  if (completion.ok) return std::string(what) + ' ' + change.name + " completed";
  return std::string("unable to execute ") + what + ": " + completion.reason;
}

std::vector<std::string> format_members(const Cluster& members) {
  std::vector<std::string> lines;
  for (const SiteInfo& site : members.sites()) {
    if (site.role == Role::removed) continue;
    const bool v6 = site.host.find(':') != std::string::npos;
    // A joining site is a learner until the leader promotes it.
    const Role shown = site.role == Role::joining ? Role::learner : site.role;
    lines.push_back(site.name + ' ' + (v6 ? "[" + site.host + "]" : site.host) + ':' +
                    std::to_string(site.port) + ' ' + std::string(role_name(shown)));
  }
  lines.push_back("end of members");
  return lines;
}

}  // namespace paxoskv::client
