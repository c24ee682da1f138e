#include "site/options.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

#include <boost/asio/ip/address.hpp>

#include "paxoskv/cluster.hpp"

namespace paxoskv::site {

namespace {

// Splits "--name=value" into its two halves; a word without '=' has no inline value.
std::pair<std::string, std::optional<std::string>> split_flag(const std::string& word) {
  auto eq = word.find('=');
  if (eq == std::string::npos) return {word, std::nullopt};
  return {word.substr(0, eq), word.substr(eq + 1)};
}

bool takes_value(const std::string& flag) {
  return flag == "--hosts" || flag == "--join" || flag == "--data-dir" || flag == "--log-level" ||
         flag == "--fail-rate" || flag == "--drop-rate" || flag == "--http" ||
         flag == "--http-bind" || flag == "--http-token" || flag == "--secret" ||
         flag == "--snapshot-every" || flag == "--log-tail";
}

// A probability: a plain decimal number in [0, 1], the whole word.
std::optional<double> parse_probability(const std::string& text) {
  double value = 0.0;
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc{} || stop != end || !std::isfinite(value)) return std::nullopt;
  if (value < 0.0 || value > 1.0) return std::nullopt;
  return value;
}

// A number of slots: a decimal number from 0 to 10^12, the whole word.
std::optional<std::uint64_t> parse_count(const std::string& text) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc{} || stop != end || value > 1000000000000ULL) return std::nullopt;
  return value;
}

// A TCP port: a decimal number from 0 to 65535, the whole word.
std::optional<std::uint16_t> parse_port(const std::string& text) {
  unsigned value = 0;
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc{} || stop != end || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

// HOST:PORT, with an IPv6 address in brackets ([::1]:5001) or without (::1:5001): the port is
// what follows the last ':'.
std::variant<JoinTarget, UsageError> parse_join(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return UsageError{"--join takes HOST:PORT, not '" + text + "'"};
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (std::string problem = host_problem(host); !problem.empty())
    return UsageError{"--join: " + problem};
  const std::optional<std::uint16_t> port = paxoskv::parse_port(text.substr(colon + 1));
  if (!port)
    return UsageError{"--join: '" + text.substr(colon + 1) + "' is not a port (1 to 65535)"};
  return JoinTarget{host, *port};
}

// An IPv4 or IPv6 address, an IPv6 one also in brackets ([::1]), as the address to listen on.
std::optional<std::string> parse_bind_address(std::string text) {
  if (text.size() > 2 && text.front() == '[' && text.back() == ']')
    text = text.substr(1, text.size() - 2);
  boost::system::error_code error;
  const auto address = boost::asio::ip::make_address(text, error);
  if (error) return std::nullopt;
  return address.to_string();
}

std::optional<UsageError> apply_value(Options& options, const std::string& flag,
                                      const std::string& value) {
  if (value.empty()) return UsageError{flag + " needs a non-empty value"};
  if (flag == "--hosts") {
    options.hosts_path = value;
  } else if (flag == "--join") {
    auto target = parse_join(value);
    if (const UsageError* error = std::get_if<UsageError>(&target)) return *error;
    options.join = std::get<JoinTarget>(target);
  } else if (flag == "--data-dir") {
    options.data_dir = value;
  } else if (flag == "--secret") {
    options.secret_path = value;
  } else if (flag == "--http") {
    auto port = parse_port(value);
    if (!port) return UsageError{"--http takes a TCP port from 0 to 65535, not '" + value + "'"};
    options.http_port = *port;
  } else if (flag == "--http-bind") {
    auto address = parse_bind_address(value);
    if (!address)
      return UsageError{"--http-bind takes an IPv4 or IPv6 address, not '" + value + "'"};
    options.http_bind = *address;
  } else if (flag == "--http-token") {
    options.http_token_path = value;
  } else if (flag == "--snapshot-every" || flag == "--log-tail") {
    auto count = parse_count(value);
    if (!count)
      return UsageError{flag + " takes a number of slots from 0 to 10^12, not '" + value + "'"};
    (flag == "--snapshot-every" ? options.snapshot_every : options.log_tail) = *count;
  } else if (flag == "--fail-rate" || flag == "--drop-rate") {
    auto rate = parse_probability(value);
    if (!rate) return UsageError{flag + " takes a probability from 0 to 1, not '" + value + "'"};
    (flag == "--fail-rate" ? options.fail_rate : options.drop_rate) = *rate;
  } else {
    auto level = log::parse_level(value);
    if (!level)
      return UsageError{"unknown log level '" + value +
                        "' (use trace, debug, info, warning or error)"};
    options.log_level = *level;
  }
  return std::nullopt;
}

}  // namespace

std::variant<Options, HelpRequested, UsageError> parse_options(
    const std::vector<std::string>& args) {
  Options options;
  bool have_site = false;
  bool have_hosts = false;
  bool have_http_extra = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (word == "--help" || word == "-h") return HelpRequested{};
    if (word.size() > 1 && word[0] == '-') {
      auto [flag, inline_value] = split_flag(word);
      if (flag == "--no-shell" && !inline_value) {
        options.shell = false;
        continue;
      }
      if (!takes_value(flag)) return UsageError{"unknown option '" + word + "'"};
      if (!inline_value && i + 1 == args.size()) return UsageError{flag + " needs a value"};
      std::string value = inline_value ? *inline_value : args[++i];
      if (auto error = apply_value(options, flag, value)) return *error;
      have_hosts = have_hosts || flag == "--hosts";
      have_http_extra = have_http_extra || flag == "--http-bind" || flag == "--http-token";
      continue;
    }
    if (have_site)
      return UsageError{"more than one SITE given ('" + options.site + "', '" + word + "')"};
    options.site = word;
    have_site = true;
  }
  if (!have_site) return UsageError{"SITE is missing"};
  if (have_hosts && options.join)
    return UsageError{
        "--join and --hosts exclude each other: a site that joins learns the configuration "
        "from the cluster"};
  if (have_http_extra && options.http_port == 0)
    return UsageError{"--http-bind and --http-token need --http PORT (the server is off)"};
  return options;
}

std::string usage_text(std::string_view program) {
  std::string text = "usage: ";
  text += program;
  text +=
      " SITE [--hosts FILE | --join HOST:PORT] [--data-dir DIR]"
      " [--log-level trace|debug|info|warning|error]"
      " [--no-shell] [--fail-rate P] [--drop-rate P] [--http PORT] [--http-bind ADDR]"
      " [--http-token FILE] [--secret FILE] [--snapshot-every N] [--log-tail N]\n"
      "  SITE         name of this site in the hosts file\n"
      "  --hosts      hosts file (default hosts.txt)\n"
      "  --join       instead of a hosts file: a new site, added first with `member add SITE\n"
      "               HOST PORT` at the cluster, learns the configuration from the site at\n"
      "               HOST:PORT (or, once it has, from DIR/SITE_members.json)\n"
      "  --data-dir   directory of the site's files (default data)\n"
      "  --log-level  diagnostics on stderr at this level and above (default warning)\n"
      "  --no-shell   do not read stdin; serve until SIGINT or SIGTERM\n"
      "  --fail-rate  fault injection: the acceptor ignores each incoming prepare or accept\n"
      "               with probability P (0 to 1, default 0)\n"
      "  --drop-rate  fault injection: drop each outgoing datagram with probability P\n"
      "  --http       serve the HTTP API (/v1/), a status page (/) and /metrics on PORT\n"
      "               (default 0: off)\n"
      "  --http-bind  the address --http listens on, IPv4 or IPv6 (default 127.0.0.1)\n"
      "  --http-token every /v1/ request must carry `Authorization: Bearer TOKEN`, TOKEN\n"
      "               being the content of FILE (trimmed); / and /metrics stay open\n"
      "  --secret     authenticate every datagram (HMAC-SHA256) with the key in FILE; the\n"
      "               other sites and the clients need the same file\n"
      "  --snapshot-every  snapshot the state and compact the log every N applied slots\n"
      "               (default 100000; 0: never)\n"
      "  --log-tail   slots kept in the log below each snapshot, so lagging sites catch up\n"
      "               by log entries (default 1000)\n";
  return text;
}

std::size_t last_line_number(std::string_view contents) {
  auto lines = static_cast<std::size_t>(std::count(contents.begin(), contents.end(), '\n'));
  if (!contents.empty() && contents.back() != '\n') ++lines;
  return lines;
}

std::string unknown_site_message(const std::string& hosts_path, std::size_t last_line,
                                 const std::string& site, const std::vector<std::string>& names) {
  std::string text =
      hosts_path + ":" + std::to_string(last_line) + ": no site named '" + site + "' (sites: ";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) text += ", ";
    text += names[i];
  }
  return text + ")";
}

}  // namespace paxoskv::site
