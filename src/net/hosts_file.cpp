#include "net/hosts_file.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string_view>
#include <vector>

namespace paxoskv {

namespace {

constexpr std::string_view kLineForm = "expected 'name host port [role]'";

std::vector<std::string_view> split_fields(std::string_view line) {
  line = line.substr(0, line.find('#'));
  std::vector<std::string_view> fields;
  auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i])) ++i;
    std::size_t start = i;
    while (i < line.size() && !is_space(line[i])) ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

std::string read_port(std::string_view text, std::uint16_t& out) {
  const std::optional<std::uint16_t> port = parse_port(text);
  if (!port) return "bad port '" + std::string(text) + "': expected a number from 1 to 65535";
  out = *port;
  return "";
}

std::string parse_role(std::string_view text, Role& out) {
  if (text == "voter")
    out = Role::voter;
  else if (text == "learner")
    out = Role::learner;
  else
    return "unknown role '" + std::string(text) + "': expected 'voter' or 'learner'";
  return "";
}

std::string parse_site(const std::vector<std::string_view>& fields, SiteInfo& out) {
  if (fields.size() == 1)
    return "missing host and port after '" + std::string(fields[0]) +
           "': " + std::string(kLineForm);
  if (fields.size() == 2)
    return "missing port after '" + std::string(fields[1]) + "': " + std::string(kLineForm);
  if (fields.size() > 4)
    return "too many fields (" + std::to_string(fields.size()) + ", from '" +
           std::string(fields[4]) + "'): " + std::string(kLineForm);
  if (auto e = site_name_problem(fields[0]); !e.empty()) return e;
  if (auto e = host_problem(fields[1]); !e.empty()) return e;
  out.name = fields[0];
  out.host = fields[1];
  if (auto e = read_port(fields[2], out.port); !e.empty()) return e;
  out.role = Role::voter;
  if (fields.size() == 4) return parse_role(fields[3], out.role);
  return "";
}

std::string endpoint_text(const SiteInfo& site) {
  bool ipv6 = site.host.find(':') != std::string::npos;
  std::string host = ipv6 ? "[" + site.host + "]" : site.host;
  return host + ":" + std::to_string(site.port);
}

// Host names are case-insensitive; different spellings of one address (localhost and
// 127.0.0.1) are not detected, as that would need name resolution.
std::string endpoint_key(const SiteInfo& site) {
  std::string key = endpoint_text(site);
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return key;
}

// Line numbers of what was already seen, for duplicate detection.
struct Seen {
  std::map<std::string, std::size_t, std::less<>> names;
  std::map<std::string, std::pair<std::size_t, std::string>> endpoints;
};

std::string check_unique(const SiteInfo& site, std::size_t line, Seen& seen) {
  if (auto it = seen.names.find(site.name); it != seen.names.end())
    return "duplicate site name '" + site.name + "' (also on line " + std::to_string(it->second) +
           ")";
  auto [it, inserted] = seen.endpoints.try_emplace(endpoint_key(site), line, site.name);
  if (!inserted)
    return "duplicate endpoint " + endpoint_text(site) + " (also used by '" + it->second.second +
           "' on line " + std::to_string(it->second.first) + ")";
  seen.names.emplace(site.name, line);
  return "";
}

HostsError error_at(const std::string& file_name, std::size_t line, const std::string& what) {
  return HostsError{file_name + ":" + std::to_string(line) + ": " + what};
}

}  // namespace

std::variant<Cluster, HostsError> parse_hosts(const std::string& contents,
                                              const std::string& file_name) {
  std::vector<SiteInfo> sites;
  Seen seen;
  std::size_t line_number = 0;
  std::size_t start = 0;
  while (start < contents.size()) {
    std::size_t end = std::min(contents.find('\n', start), contents.size());
    std::string_view line = std::string_view(contents).substr(start, end - start);
    start = end + 1;
    ++line_number;
    std::vector<std::string_view> fields = split_fields(line);
    if (fields.empty()) continue;
    SiteInfo site;
    if (auto e = parse_site(fields, site); !e.empty()) return error_at(file_name, line_number, e);
    if (auto e = check_unique(site, line_number, seen); !e.empty())
      return error_at(file_name, line_number, e);
    sites.push_back(std::move(site));
  }
  std::size_t last_line = std::max<std::size_t>(line_number, 1);
  if (sites.empty())
    return error_at(file_name, last_line, "no sites: " + std::string(kLineForm) + " on each line");
  Cluster cluster(std::move(sites));
  if (cluster.voter_count() == 0)
    return error_at(file_name, last_line, "no voters: at least one site must have role 'voter'");
  return cluster;
}

std::variant<Cluster, HostsError> load_hosts(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return error_at(path, 0, "cannot read: it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) return error_at(path, 0, std::string("cannot read: ") + std::strerror(errno));
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return error_at(path, 0, std::string("cannot read: ") + std::strerror(errno));
  return parse_hosts(contents.str(), path);
}

}  // namespace paxoskv
