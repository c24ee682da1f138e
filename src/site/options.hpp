#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "log/log.hpp"

namespace paxoskv::site {

// --join HOST:PORT: a site of the cluster that tells a new site the configuration.
struct JoinTarget {
  std::string host;
  std::uint16_t port = 0;
  bool operator==(const JoinTarget&) const = default;
};

// The command line of paxoskv-site.
struct Options {
  std::string site;
  std::string hosts_path = "hosts.txt";
  // Instead of a hosts file (the two exclude each other): learn the configuration from there,
  // or from DATA_DIR/SITE_members.json once it was learned (site/join.hpp).
  std::optional<JoinTarget> join;
  std::string data_dir = "data";
  log::Level log_level = log::Level::warning;
  bool shell = true;  // false with --no-shell: stdin is never read
  // Fault injection (teaching and tests), probabilities in [0, 1]: --fail-rate makes the
  // acceptor ignore each incoming prepare or accept, --drop-rate drops each outgoing datagram.
  double fail_rate = 0.0;
  double drop_rate = 0.0;
  // --http PORT: the HTTP server (the API under /v1/, the status page, /metrics); 0 is off.
  std::uint16_t http_port = 0;
  // --http-bind ADDR: the IPv4 or IPv6 address it listens on. Loopback by default: the API
  // changes the store, and is open to whoever can reach it unless --http-token is given.
  std::string http_bind = "127.0.0.1";
  // --http-token FILE: the file holding the token every /v1/ request must carry; "" is none.
  std::string http_token_path;
  // --secret FILE: authenticate every datagram with HMAC-SHA256 under the file's key; "" is off.
  std::string secret_path;
  // Compaction (see ReplicaOptions): --snapshot-every N snapshots every N applied slots (0:
  // never), --log-tail N keeps N slots in the log below each snapshot.
  std::uint64_t snapshot_every = 100000;
  std::uint64_t log_tail = 1000;
};

// `--help`: print the usage on stdout and exit 0.
struct HelpRequested {};

// Bad usage: `what` says what is wrong, for stderr before the usage text.
struct UsageError {
  std::string what;
};

// `args` excludes the program name. Options may come before or after SITE and take their
// value as the next word or after '=' (`--hosts=FILE`).
std::variant<Options, HelpRequested, UsageError> parse_options(
    const std::vector<std::string>& args);

std::string usage_text(std::string_view program);

// Number of the last line of `contents` (a final line without '\n' counts), 0 if empty.
std::size_t last_line_number(std::string_view contents);

// "FILE:LINE: no site named 'x' (sites: alpha, beta, gamma)", LINE being the last line of the
// file, like the other whole-file problems of the hosts file.
std::string unknown_site_message(const std::string& hosts_path, std::size_t last_line,
                                 const std::string& site, const std::vector<std::string>& names);

}  // namespace paxoskv::site
