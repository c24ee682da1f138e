#include "site/shell_output.hpp"

#include <cassert>

#include "site/shell_command.hpp"

namespace paxoskv::site {

namespace {

std::string log_line(const LogEntry& entry) {
  const Command& command = entry.command;
  std::string line = std::to_string(entry.slot);
  line += ' ';
  line += command_name(command.op, command.pre);
  if (command.op == Op::noop) return line;
  line += ' ';
  line += command.key;
  if (command.op == Op::del) return line;
  line += ' ';
  line += command.value;
  return line;
}

std::string site_names(const Cluster& cluster, const std::vector<SiteId>& ids) {
  if (ids.empty()) return "none";
  std::string names;
  for (SiteId id : ids) {
    if (!names.empty()) names += ',';
    names += cluster.name(id);
  }
  return names;
}

}  // namespace

std::vector<std::string> format_log(const std::vector<LogEntry>& log) {
  std::vector<std::string> lines;
  lines.reserve(log.size() + 1);
  for (const LogEntry& entry : log) lines.push_back(log_line(entry));
  lines.emplace_back("end of log");
  return lines;
}

std::vector<std::string> format_kv(const KvMap& kv) {
  std::vector<std::string> lines;
  lines.reserve(kv.size() + 1);
  for (const auto* entry : sorted_kv(kv)) lines.push_back(entry->first + ' ' + entry->second);
  lines.emplace_back("end of kv");
  return lines;
}

std::vector<std::string> format_chain(const std::vector<LogEntry>& log, const Hash& start_hash) {
  std::vector<std::string> lines;
  lines.reserve(log.size() + 1);
  for (const LogEntry& entry : log)
    lines.push_back(std::to_string(entry.slot) + ' ' + to_hex(entry.hash));
  lines.push_back("head " + to_hex(log.empty() ? start_hash : log.back().hash));
  return lines;
}

std::string format_status(const Cluster& cluster, const ReplicaStatus& status,
                          const net::DropCounters& drops) {
  assert(status.self < cluster.size());
  std::string line = "site=" + cluster.name(status.self);
  line += " leader=" + (status.leader ? cluster.name(*status.leader) : std::string("none"));
  line += " ballot=" + to_string(status.ballot);
  line += " decided=" + std::to_string(status.decided_end);
  line += " applied=" + std::to_string(status.applied_end);
  line += " compacted=" + std::to_string(status.compacted_end);
  line += " peers_up=" + site_names(cluster, status.peers_up);
  line += " dropped=" + std::to_string(drops.total());
  // The two reasons an attacker can be behind (the rest are damage and faillink).
  line += " unknown_sender=" + std::to_string(drops.unknown_sender);
  line += " auth_failed=" + std::to_string(drops.auth_failed);
  line += " snapshots_installed=" + std::to_string(status.snapshots_installed);
  // A voter that lost its files answers nothing with a vote until it has recovered (README, "A
  // voter that lost its files"); an operator waiting for it to count again watches this.
  line += std::string(" recovering=") + (status.recovering ? "yes" : "no");
  return line;
}

std::string format_write_result(std::string_view name, const std::string& key,
                                const Completion& completion) {
  if (completion.ok) return std::string(name) + ' ' + key + " completed";
  return "unable to execute " + std::string(name) + ": " + completion.reason;
}

std::string format_get_result(const std::string& key, const Completion& completion) {
  if (!completion.ok) return "unable to execute get: " + completion.reason;
  return "get " + key + " returned " + (completion.value ? *completion.value : "null");
}

std::string format_link(const std::string& site, bool failed) {
  return "link to " + site + (failed ? " failed" : " fixed");
}

std::vector<std::string> format_help() {
  std::vector<std::string> lines{"commands:"};
  for (const CommandUsage& usage : command_usages()) {
    std::string line = "  " + std::string(usage.usage);
    if (line.size() < 30)
      line.resize(30, ' ');
    else
      line += "  ";
    lines.push_back(line + std::string(usage.summary));
  }
  return lines;
}

}  // namespace paxoskv::site
