#include "sim/checkers.hpp"

#include <algorithm>
#include <limits>

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

namespace {

Slot log_end(const Replica& r) {
  return r.log_start() + r.log().size();
}

}  // namespace

// Sites compact at different points, so their logs start at different slots: they must agree
// on every slot both still hold, on the decided end, the chain head and the map.
std::optional<std::string> check_identical_logs(const std::vector<const Replica*>& replicas) {
  auto first_at =
      std::find_if(replicas.begin(), replicas.end(), [](const Replica* r) { return r != nullptr; });
  if (first_at == replicas.end()) return std::nullopt;
  const Replica& first = **first_at;
  const std::string f = "s" + std::to_string(first_at - replicas.begin());
  for (SiteId s = 0; s < replicas.size(); ++s) {
    if (replicas[s] == nullptr || replicas[s] == &first) continue;
    const Replica& r = *replicas[s];
    if (log_end(r) != log_end(first))
      return f + " decided " + std::to_string(log_end(first)) + " slots but s" + std::to_string(s) +
             " decided " + std::to_string(log_end(r));
    for (Slot slot = std::max(r.log_start(), first.log_start()); slot < log_end(r); ++slot) {
      const LogEntry& a = first.log()[slot - first.log_start()];
      const LogEntry& b = r.log()[slot - r.log_start()];
      if (!(a == b))
        return "slot " + std::to_string(slot) + ": " + f + " has " + describe(a.command) +
               " hash " + to_hex(a.hash) + ", s" + std::to_string(s) + " has " +
               describe(b.command) + " hash " + to_hex(b.hash);
    }
    if (r.head() != first.head())
      return f + " and s" + std::to_string(s) + " end at different chain heads " +
             to_hex(first.head()) + " and " + to_hex(r.head());
    if (r.kv() != first.kv())
      return f + " and s" + std::to_string(s) + " hold the same log but different maps";
    // What the HTTP API shows besides the values: the same revision and time to live of every
    // key, and the same changes for a watch to deliver (both follow from the log alone).
    for (const auto& [key, value] : r.kv())
      if (r.key_meta(key) != first.key_meta(key))
        return f + " and s" + std::to_string(s) + " give key '" + key +
               "' different revisions or times to live";
    const std::uint64_t since = std::max(r.changes().compacted(), first.changes().compacted());
    const std::size_t all = std::numeric_limits<std::size_t>::max();
    if (r.changes().after(since, "", true, all) != first.changes().after(since, "", true, all))
      return f + " and s" + std::to_string(s) + " hold different changes after revision " +
             std::to_string(since);
  }
  return std::nullopt;
}

bool logs_converged(const std::vector<const Replica*>& replicas) {
  const Replica* first = nullptr;
  for (const Replica* r : replicas) {
    if (r == nullptr) continue;
    if (first == nullptr) first = r;
    if (log_end(*r) != log_end(*first) || r->head() != first->head()) return false;
  }
  return true;
}

std::optional<std::string> check_chain(const Replica& replica) {
  Hash previous = replica.log_start_hash();
  const std::vector<LogEntry>& log = replica.log();
  for (std::size_t i = 0; i < log.size(); ++i) {
    const Slot slot = replica.log_start() + i;
    if (log[i].slot != slot)
      return "log position " + std::to_string(i) + " holds slot " + std::to_string(log[i].slot);
    Hash expected = chain_hash(slot, log[i].command, previous);
    if (expected != log[i].hash)
      return "slot " + std::to_string(slot) + " has hash " + to_hex(log[i].hash) + ", expected " +
             to_hex(expected);
    previous = expected;
  }
  if (std::shared_ptr<const SnapshotImage> snapshot = replica.snapshot()) {
    if (snapshot->base < replica.log_start() || snapshot->base > log_end(replica))
      return "snapshot at " + std::to_string(snapshot->base) + " outside the log [" +
             std::to_string(replica.log_start()) + ", " + std::to_string(log_end(replica)) + ")";
    const Hash& at_base = snapshot->base == replica.log_start()
                              ? replica.log_start_hash()
                              : log[snapshot->base - replica.log_start() - 1].hash;
    if (at_base != snapshot->base_hash)
      return "snapshot at " + std::to_string(snapshot->base) + " names hash " +
             to_hex(snapshot->base_hash) + " but the log has " + to_hex(at_base);
  } else if (replica.log_start() != 0) {
    return "the log starts at " + std::to_string(replica.log_start()) + " without a snapshot";
  }
  return std::nullopt;
}

std::optional<std::string> check_durable_log(SiteId site, const Replica& restored,
                                             const Replica& live) {
  // Where the logs start may differ (a snapshot written but not yet reported, a rewrite
  // staged but not installed): what was decided, up to where, may not.
  if (log_end(restored) == log_end(live) && restored.head() == live.head() &&
      restored.kv() == live.kv())
    return std::nullopt;
  return "s" + std::to_string(site) + " decided slots up to " + std::to_string(log_end(live)) +
         " (head " + to_hex(live.head()).substr(0, 12) + ") in memory but recovers " +
         std::to_string(log_end(restored)) + " (head " + to_hex(restored.head()).substr(0, 12) +
         ") from its disk";
}

std::optional<std::string> check_history(const ClientHistory& history, bool& inconclusive) {
  LinearizabilityReport report = check_linearizable(history.for_checker());
  inconclusive = report.inconclusive;
  if (report.ok) return std::nullopt;
  return "key " + report.key + " is not linearizable (" + std::to_string(report.history.size()) +
         " operations in the smallest failing history):\n" + report.explanation;
}

}  // namespace paxoskv::sim
