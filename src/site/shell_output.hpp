#pragma once

#include <map>
#include <string>
#include <vector>

#include "net/drop_counters.hpp"
#include "paxoskv/chain.hpp"
#include "paxoskv/cluster.hpp"
#include "paxoskv/ready.hpp"
#include "paxoskv/replica.hpp"

namespace paxoskv::site {

// The exact stdout lines of the shell (SPEC §3), without their '\n'. Pure functions of the
// data they are given, so each line format is tested on its own.

// "0 put k a", "3 delete k", "4 no-op", ..., then "end of log".
std::vector<std::string> format_log(const std::vector<LogEntry>& log);

// "KEY VALUE" in key order, then "end of kv".
std::vector<std::string> format_kv(const KvMap& kv);

// "SLOT HASH" per slot still in the log, then "head HASH": the hash of the last slot; for an
// empty log the hash it starts from (64 zeros before any slot, or hash(base - 1) of a log
// restarted at a snapshot).
std::vector<std::string> format_chain(const std::vector<LogEntry>& log,
                                      const Hash& start_hash = genesis_hash);

// "site=alpha leader=beta ballot=3.1 decided=7 applied=7 compacted=0 peers_up=beta,gamma
// dropped=0" (leader=none and peers_up=none when there are none).
std::string format_status(const Cluster& cluster, const ReplicaStatus& status,
                          const net::DropCounters& drops);

// What a completed command prints: `op` and `key` are those of the command that was typed.
// `name` is the command's (command_name): "put", "cas", ...
std::string format_write_result(std::string_view name, const std::string& key,
                                const Completion& completion);
std::string format_get_result(const std::string& key, const Completion& completion);
// The lines of `member`, `leader transfer` and `print members` are client/member_text.hpp's,
// which paxoskv-client prints too.

// "link to beta failed" / "link to beta fixed".
std::string format_link(const std::string& site, bool failed);

std::vector<std::string> format_help();

}  // namespace paxoskv::site
