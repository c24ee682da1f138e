#include "core/members_json.hpp"

#include <boost/json.hpp>
#include <exception>

#include "core/json_form.hpp"
#include "core/json_text.hpp"

namespace paxoskv {

namespace json = boost::json;

namespace {

std::string read_site(const json::value& v, SiteInfo& site) {
  const json::object* o = v.if_object();
  if (o == nullptr) return "a site is not an object";
  if (auto e = json_form::read_string(*o, "name", site.name); !e.empty()) return e;
  if (auto e = site_name_problem(site.name); !e.empty()) return e;
  if (auto e = json_form::read_string(*o, "host", site.host); !e.empty()) return e;
  if (auto e = host_problem(site.host); !e.empty()) return "site " + site.name + ": " + e;
  std::uint64_t port = 0;
  if (auto e = json_form::read_u64(*o, "port", port); !e.empty()) return e;
  if (port == 0 || port > 65535) return "site " + site.name + " has a bad port";
  site.port = static_cast<std::uint16_t>(port);
  std::string role;
  if (auto e = json_form::read_string(*o, "role", role); !e.empty()) return e;
  for (Role r : {Role::voter, Role::learner, Role::removed, Role::joining})
    if (role_name(r) == role) {
      site.role = r;
      return "";
    }
  return "site " + site.name + " has an unknown role '" + role + "'";
}

std::string read_configuration(const json::object& o, std::string_view field, Cluster& out) {
  const json::value* v = o.if_contains(field);
  if (v == nullptr) return "field '" + std::string(field) + "' is missing";
  if (auto e = read_sites_json(*v, out); !e.empty()) return std::string(field) + ": " + e;
  return "";
}

std::variant<KnownMembers, std::string> decode_unguarded(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec) return "not JSON: " + ec.message();
  const json::object* o = v.if_object();
  if (o == nullptr) return std::string("not a JSON object");
  KnownMembers members;
  if (auto e = read_configuration(*o, "initial", members.initial); !e.empty()) return e;
  if (auto e = read_configuration(*o, "latest", members.latest); !e.empty()) return e;
  const auto& initial = members.initial.sites();
  const auto& latest = members.latest.sites();
  if (latest.size() < initial.size())
    return "'latest' has " + std::to_string(latest.size()) + " sites, fewer than the " +
           std::to_string(initial.size()) + " of 'initial' (ids are never reused)";
  for (std::size_t id = 0; id < initial.size(); ++id)
    if (initial[id].name != latest[id].name || initial[id].host != latest[id].host ||
        initial[id].port != latest[id].port)
      return "site " + std::to_string(id) + " is " + initial[id].name + " in 'initial' but " +
             latest[id].name + " in 'latest' (ids are never reused)";
  return members;
}

}  // namespace

void append_sites_json(std::string& out, const Cluster& cluster) {
  out += '[';
  const auto& sites = cluster.sites();
  for (std::size_t i = 0; i < sites.size(); ++i) {
    if (i > 0) out += ',';
    out += "{\"name\":";
    json_text::append_string(out, sites[i].name);
    out += ",\"host\":";
    json_text::append_string(out, sites[i].host);
    out += ",\"port\":" + std::to_string(sites[i].port) + ",\"role\":\"";
    out += role_name(sites[i].role);
    out += "\"}";
  }
  out += ']';
}

std::string read_sites_json(const json::value& value, Cluster& out) {
  const json::array* sites = value.if_array();
  if (sites == nullptr || sites->empty()) return "not an array of sites, or empty";
  std::vector<SiteInfo> list;
  for (const json::value& site : *sites) {
    SiteInfo info;
    if (auto error = read_site(site, info); !error.empty()) return error;
    list.push_back(std::move(info));
  }
  out = Cluster(std::move(list));
  if (out.voter_count() == 0) return "a configuration without voters";
  return "";
}

std::string encode_known_members(const KnownMembers& members) {
  std::string out = "{\"initial\":";
  append_sites_json(out, members.initial);
  out += ",\"latest\":";
  append_sites_json(out, members.latest);
  out += '}';
  return out;
}

std::variant<KnownMembers, std::string> decode_known_members(std::string_view text) {
  try {
    return decode_unguarded(text);
  } catch (const std::exception& e) {
    return std::string("cannot decode: ") + e.what();
  }
}

}  // namespace paxoskv
