#include "sim/checkers.hpp"

#include "sim/linearizability.hpp"

namespace paxoskv::sim {

std::string describe(const Command& c) {
  std::string text = std::string(op_name(c.op));
  if (c.op == Op::noop) return text;
  text += "(" + c.key;
  if (c.op != Op::del) text += ", " + quoted(c.value);
  return text + ") req=" + std::to_string(c.id.client) + "." + std::to_string(c.id.seq);
}

std::optional<std::string> AgreementChecker::observe(Slot slot, const Command& command, SiteId site,
                                                     TimeMs now, const char* source) {
  if (slot >= first_.size()) first_.resize(slot + 1);
  Decision& d = first_[slot];
  if (!d.known) {
    d = Decision{true, command, site, now, source};
    return std::nullopt;
  }
  if (d.command == command) return std::nullopt;
  return "slot " + std::to_string(slot) + " decided twice: " + describe(d.command) + " (" +
         d.source + " of s" + std::to_string(d.site) + " at " + std::to_string(d.at) + " ms) and " +
         describe(command) + " (" + source + " of s" + std::to_string(site) + " at " +
         std::to_string(now) + " ms)";
}

std::optional<std::string> check_identical_logs(const std::vector<const Replica*>& replicas) {
  const std::vector<LogEntry>& first = replicas.at(0)->log();
  for (SiteId s = 1; s < replicas.size(); ++s) {
    const std::vector<LogEntry>& log = replicas[s]->log();
    if (log.size() != first.size())
      return "s0 decided " + std::to_string(first.size()) + " slots but s" + std::to_string(s) +
             " decided " + std::to_string(log.size());
    for (Slot i = 0; i < log.size(); ++i)
      if (!(log[i] == first[i]))
        return "slot " + std::to_string(i) + ": s0 has " + describe(first[i].command) + " hash " +
               to_hex(first[i].hash) + ", s" + std::to_string(s) + " has " +
               describe(log[i].command) + " hash " + to_hex(log[i].hash);
    if (replicas[s]->kv() != replicas[0]->kv())
      return "s0 and s" + std::to_string(s) + " hold the same log but different maps";
  }
  return std::nullopt;
}

bool logs_converged(const std::vector<const Replica*>& replicas) {
  const std::vector<LogEntry>& first = replicas.at(0)->log();
  for (const Replica* r : replicas) {
    const std::vector<LogEntry>& log = r->log();
    if (log.size() != first.size()) return false;
    if (!log.empty() && log.back().hash != first.back().hash) return false;
  }
  return true;
}

std::optional<std::string> check_chain(const std::vector<LogEntry>& log) {
  Hash previous = genesis_hash;
  for (Slot i = 0; i < log.size(); ++i) {
    if (log[i].slot != i)
      return "log position " + std::to_string(i) + " holds slot " + std::to_string(log[i].slot);
    Hash expected = chain_hash(i, log[i].command, previous);
    if (expected != log[i].hash)
      return "slot " + std::to_string(i) + " has hash " + to_hex(log[i].hash) + ", expected " +
             to_hex(expected);
    previous = expected;
  }
  return std::nullopt;
}

std::optional<std::string> check_durable_log(SiteId site, const SimDisk& disk,
                                             const Replica& replica) {
  if (disk.log() == replica.log()) return std::nullopt;
  return "s" + std::to_string(site) + " holds " + std::to_string(replica.log().size()) +
         " decided slots in memory but " + std::to_string(disk.log().size()) + " on disk";
}

std::optional<std::string> check_history(const ClientHistory& history, bool& inconclusive) {
  LinearizabilityReport report = check_linearizable(history.for_checker());
  inconclusive = report.inconclusive;
  if (report.ok) return std::nullopt;
  return "key " + report.key + " is not linearizable (" + std::to_string(report.history.size()) +
         " operations in the smallest failing history):\n" + report.explanation;
}

}  // namespace paxoskv::sim
