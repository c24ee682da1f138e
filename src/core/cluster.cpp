#include "paxoskv/cluster.hpp"

#include <algorithm>
#include <cctype>

namespace paxoskv {

namespace {

constexpr std::size_t kMaxNameBytes = 64;
constexpr std::size_t kMaxHostBytes = 253;  // the longest DNS name

bool is_alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

}  // namespace

std::string site_name_problem(std::string_view name) {
  if (name.empty()) return "empty site name";
  bool ok = std::all_of(name.begin(), name.end(),
                        [](char c) { return is_alnum(c) || c == '_' || c == '-'; });
  if (!ok)
    return "bad site name '" + std::string(name) + "': use only letters, digits, '_' and '-'";
  if (name.size() > kMaxNameBytes)
    return "site name '" + std::string(name.substr(0, 16)) + "...' is longer than " +
           std::to_string(kMaxNameBytes) + " characters";
  return "";
}

std::string host_problem(std::string_view host) {
  bool ok = !host.empty() && host.size() <= kMaxHostBytes &&
            (is_alnum(host.front()) || host.front() == ':') &&
            std::all_of(host.begin(), host.end(), [](char c) {
              return is_alnum(c) || c == '.' || c == '-' || c == ':' || c == '_' || c == '%';
            });
  if (ok) return "";
  std::string hint =
      !host.empty() && host.front() == '[' ? " (write IPv6 addresses without brackets)" : "";
  return "bad host '" + std::string(host) + "': expected an IP address or a host name" + hint;
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  const bool digits =
      !text.empty() && text.size() <= 5 && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) != 0;
      });
  if (!digits) return std::nullopt;
  unsigned long value = 0;
  for (char c : text) value = value * 10 + static_cast<unsigned long>(c - '0');
  if (value < 1 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

std::string_view role_name(Role role) {
  switch (role) {
    case Role::voter:
      return "voter";
    case Role::learner:
      return "learner";
    case Role::removed:
      return "removed";
    case Role::joining:
      return "joining";
  }
  return "voter";
}

Cluster::Cluster(std::vector<SiteInfo> sites) : sites_(std::move(sites)) {}

std::optional<SiteId> Cluster::find(std::string_view name) const {
  for (SiteId i = 0; i < sites_.size(); ++i)
    if (sites_[i].role != Role::removed && sites_[i].name == name) return i;
  return std::nullopt;
}

std::optional<SiteId> Cluster::find_endpoint(std::string_view host, std::uint16_t port) const {
  for (SiteId i = 0; i < sites_.size(); ++i)
    if (sites_[i].role != Role::removed && sites_[i].host == host && sites_[i].port == port)
      return i;
  return std::nullopt;
}

std::size_t Cluster::voter_count() const {
  return static_cast<std::size_t>(std::count_if(
      sites_.begin(), sites_.end(), [](const SiteInfo& s) { return s.role == Role::voter; }));
}

SiteId Cluster::add(SiteInfo site) {
  sites_.push_back(std::move(site));
  return static_cast<SiteId>(sites_.size() - 1);
}

}  // namespace paxoskv
