#pragma once

#include <string>
#include <variant>

#include "paxoskv/cluster.hpp"

namespace paxoskv {

// A hosts file that cannot be used: `text` is the full user message
// "FILE:LINE: what is wrong" (e.g. "hosts.txt:4: duplicate site name 'beta' (also on line 2)").
struct HostsError {
  std::string text;
};

// Parses the hosts file format of SPEC §2. `file_name` is used in error messages as given.
// Problems of the whole file (no voters) are reported at its last line.
std::variant<Cluster, HostsError> parse_hosts(const std::string& contents,
                                              const std::string& file_name);

// Reads and parses a file; an unreadable file is a HostsError too ("FILE:0: cannot read: ...").
std::variant<Cluster, HostsError> load_hosts(const std::string& path);

}  // namespace paxoskv
