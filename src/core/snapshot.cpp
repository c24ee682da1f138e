#include "paxoskv/snapshot.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <exception>

#include "core/json_form.hpp"
#include "core/json_text.hpp"
#include "core/members_json.hpp"
#include "paxoskv/limits.hpp"

namespace paxoskv {

namespace json = boost::json;

namespace {

using KvViews = std::vector<KvCopy::Entry>;

// Built as text, key by key in sorted order: the bytes (and so the digest) depend only on the
// state, and a large map is not copied into a json::object first.
using Ttls = std::vector<std::pair<std::string_view, std::uint32_t>>;

// {"k":N,...}, from entries in key order whose values are decimal digits.
void append_number_object(std::string& out, const KvViews& entries) {
  out += '{';
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (i > 0) out += ',';
    json_text::append_string(out, entries[i].first);
    out += ':';
    out += entries[i].second;
  }
  out += '}';
}

std::string serialize(Slot base, const Hash& base_hash, const KvViews& kv, const KvViews& revisions,
                      const Ttls& ttls, const std::vector<std::string_view>& deleted,
                      const std::vector<ClientSnapshot>& clients,
                      const std::vector<MemberEpoch>& members) {
  std::string out =
      "{\"base\":" + std::to_string(base) + ",\"base_hash\":\"" + to_hex(base_hash) + "\",\"kv\":";
  json_text::append_string_object(out, kv);
  out += ",\"revisions\":";
  append_number_object(out, revisions);
  if (!ttls.empty()) {
    out += ",\"ttls\":{";
    for (std::size_t i = 0; i < ttls.size(); ++i) {
      if (i > 0) out += ',';
      json_text::append_string(out, ttls[i].first);
      out += ':';
      json_text::append_u64(out, ttls[i].second);
    }
    out += '}';
  }
  out += ",\"deleted\":[";
  for (std::size_t i = 0; i < deleted.size(); ++i) {
    if (i > 0) out += ',';
    json_text::append_string(out, deleted[i]);
  }
  out += "],\"clients\":[";
  for (std::size_t i = 0; i < clients.size(); ++i) {
    const ClientSnapshot& c = clients[i];
    if (i > 0) out += ',';
    out += "{\"client\":" + std::to_string(c.client) + ",\"seq\":" + std::to_string(c.last_seq) +
           ",\"ok\":" + (c.ok ? "true" : "false") + ",\"reason\":";
    json_text::append_string(out, c.reason);
    out += '}';
  }
  out += ']';
  if (!members.empty()) {
    out += ",\"members\":[";
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (i > 0) out += ',';
      out += "{\"from\":" + std::to_string(members[i].from) + ",\"sites\":";
      append_sites_json(out, members[i].cluster);
      out += '}';
    }
    out += ']';
  }
  out += "}\n";
  return out;
}

std::shared_ptr<const SnapshotImage> image_of(Slot base, const Hash& base_hash, std::string bytes) {
  auto image = std::make_shared<SnapshotImage>();
  image->base = base;
  image->base_hash = base_hash;
  image->digest = sha256(bytes);
  image->bytes = std::move(bytes);
  return image;
}

std::string read_kv(const json::object& o, Snapshot& out) {
  const json::value* v = o.if_contains("kv");
  if (v == nullptr || !v->is_object()) return "field 'kv' is missing or not an object";
  for (const auto& [key, value] : v->get_object()) {
    if (!value.is_string()) return "kv['" + std::string(key) + "'] is not a string";
    if (key.empty() || key.size() > limits::max_key_bytes) return "kv holds a key of bad size";
    out.kv.emplace(std::string(key), std::string(value.get_string()));
  }
  return "";
}

// "revisions" and "ttls" are absent from snapshots written before keys had them.
std::string read_key_meta(const json::object& o, Snapshot& out) {
  if (const json::value* v = o.if_contains("revisions")) {
    if (!v->is_object()) return "field 'revisions' is not an object";
    for (const auto& [key, revision] : v->get_object()) {
      std::string k(key);
      if (!out.kv.contains(k)) return "revisions: key '" + k + "' is not in 'kv'";
      if (!revision.is_uint64() && !(revision.is_int64() && revision.get_int64() >= 0))
        return "revisions['" + k + "'] is not a non-negative integer";
      const std::uint64_t r = revision.to_number<std::uint64_t>();
      if (r == 0 || r > out.base) return "revisions['" + k + "'] is out of range";
      out.revisions.emplace(std::move(k), r);
    }
  }
  for (const auto& entry : out.kv)
    if (!out.revisions.contains(entry.first)) out.revisions.emplace(entry.first, out.base);
  if (const json::value* v = o.if_contains("ttls")) {
    if (!v->is_object()) return "field 'ttls' is not an object";
    for (const auto& [key, ttl] : v->get_object()) {
      std::string k(key);
      if (!out.kv.contains(k)) return "ttls: key '" + k + "' is not in 'kv'";
      if (!ttl.is_uint64() && !ttl.is_int64()) return "ttls['" + k + "'] is not an integer";
      const std::int64_t seconds = ttl.to_number<std::int64_t>();
      if (seconds <= 0 || static_cast<std::uint64_t>(seconds) > limits::max_ttl_s)
        return "ttls['" + k + "'] is out of range";
      out.ttls.emplace(std::move(k), static_cast<std::uint32_t>(seconds));
    }
  }
  return "";
}

std::string read_deleted(const json::object& o, Snapshot& out) {
  const json::value* v = o.if_contains("deleted");
  if (v == nullptr || !v->is_array()) return "field 'deleted' is missing or not an array";
  for (const json::value& key : v->get_array()) {
    if (!key.is_string()) return "field 'deleted' holds a non-string";
    std::string k(key.get_string());
    if (out.kv.contains(k)) return "key '" + k + "' is both in 'kv' and 'deleted'";
    out.deleted.push_back(std::move(k));
  }
  if (!std::is_sorted(out.deleted.begin(), out.deleted.end()) ||
      std::adjacent_find(out.deleted.begin(), out.deleted.end()) != out.deleted.end())
    return "field 'deleted' is not sorted without duplicates";
  return "";
}

std::string read_clients(const json::object& o, Snapshot& out) {
  const json::value* v = o.if_contains("clients");
  if (v == nullptr || !v->is_array()) return "field 'clients' is missing or not an array";
  for (const json::value& element : v->get_array()) {
    const json::object* c = element.if_object();
    if (c == nullptr) return "field 'clients' holds a non-object";
    ClientSnapshot client;
    if (auto e = json_form::read_u64(*c, "client", client.client); !e.empty())
      return "clients: " + e;
    if (auto e = json_form::read_u64(*c, "seq", client.last_seq); !e.empty())
      return "clients: " + e;
    const json::value* ok = c->if_contains("ok");
    if (ok == nullptr || !ok->is_bool()) return "clients: field 'ok' is missing or not a boolean";
    client.ok = ok->get_bool();
    if (auto e = json_form::read_string(*c, "reason", client.reason); !e.empty())
      return "clients: " + e;
    if (!out.clients.empty() && out.clients.back().client >= client.client)
      return "field 'clients' is not sorted by client id without duplicates";
    out.clients.push_back(std::move(client));
  }
  return "";
}

// "members" is absent from snapshots of clusters that never changed their membership.
std::string read_members(const json::object& o, Snapshot& out) {
  const json::value* v = o.if_contains("members");
  if (v == nullptr) return "";
  if (!v->is_array()) return "field 'members' is not an array";
  for (const json::value& element : v->get_array()) {
    const json::object* epoch = element.if_object();
    if (epoch == nullptr) return "field 'members' holds a non-object";
    MemberEpoch e;
    if (auto error = json_form::read_u64(*epoch, "from", e.from); !error.empty())
      return "members: " + error;
    if (!out.members.empty() && out.members.back().from >= e.from)
      return "field 'members' is not in ascending order of 'from'";
    const json::value* sites = epoch->if_contains("sites");
    if (sites == nullptr) return "members: field 'sites' is missing";
    if (auto error = read_sites_json(*sites, e.cluster); !error.empty()) return "members: " + error;
    out.members.push_back(std::move(e));
  }
  if (!out.members.empty() && out.members.front().from > out.base)
    return "field 'members' does not cover the snapshot's base";
  return "";
}

std::variant<Snapshot, std::string> decode_unguarded(std::string_view bytes) {
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(bytes.data(), bytes.size()), ec);
  if (ec) return "not JSON: " + ec.message();
  const json::object* o = v.if_object();
  if (o == nullptr) return std::string("not a JSON object");
  Snapshot s;
  if (auto e = json_form::read_u64(*o, "base", s.base); !e.empty()) return e;
  std::string hex;
  if (auto e = json_form::read_string(*o, "base_hash", hex); !e.empty()) return e;
  if (!from_hex(hex, s.base_hash)) return std::string("field 'base_hash' is not 64 hex digits");
  if (s.base == 0 && s.base_hash != genesis_hash)
    return std::string("a snapshot at base 0 must have the genesis hash");
  if (auto e = read_kv(*o, s); !e.empty()) return e;
  if (auto e = read_key_meta(*o, s); !e.empty()) return e;
  if (auto e = read_deleted(*o, s); !e.empty()) return e;
  if (auto e = read_clients(*o, s); !e.empty()) return e;
  if (auto e = read_members(*o, s); !e.empty()) return e;
  return s;
}

}  // namespace

std::shared_ptr<const SnapshotImage> make_snapshot_image(const Snapshot& snapshot) {
  KvViews kv(snapshot.kv.begin(), snapshot.kv.end());
  std::vector<std::string> digits;
  digits.reserve(snapshot.revisions.size());
  KvViews revisions;
  for (const auto& [key, revision] : snapshot.revisions) {
    digits.push_back(std::to_string(revision));
    revisions.emplace_back(key, digits.back());
  }
  Ttls ttls(snapshot.ttls.begin(), snapshot.ttls.end());
  std::vector<std::string_view> deleted(snapshot.deleted.begin(), snapshot.deleted.end());
  return image_of(snapshot.base, snapshot.base_hash,
                  serialize(snapshot.base, snapshot.base_hash, kv, revisions, ttls, deleted,
                            snapshot.clients, snapshot.members));
}

std::shared_ptr<const SnapshotImage> make_snapshot_image(const SnapshotSource& source) {
  std::vector<std::string_view> deleted(source.deleted.begin(), source.deleted.end());
  std::sort(deleted.begin(), deleted.end());
  std::vector<ClientSnapshot> clients = source.clients;
  std::sort(clients.begin(), clients.end(),
            [](const ClientSnapshot& a, const ClientSnapshot& b) { return a.client < b.client; });
  Ttls ttls(source.ttls.begin(), source.ttls.end());
  std::sort(ttls.begin(), ttls.end());
  return image_of(source.base, source.base_hash,
                  serialize(source.base, source.base_hash, source.kv.sorted(),
                            source.revisions.sorted(), ttls, deleted, clients, source.members));
}

std::variant<Snapshot, std::string> decode_snapshot(std::string_view bytes) {
  try {
    return decode_unguarded(bytes);
  } catch (const std::exception& e) {
    return std::string("cannot decode: ") + e.what();
  }
}

std::variant<std::shared_ptr<const SnapshotImage>, std::string> snapshot_image_from_bytes(
    std::string bytes) {
  auto decoded = decode_snapshot(bytes);
  if (const std::string* e = std::get_if<std::string>(&decoded)) return *e;
  const Snapshot& s = std::get<Snapshot>(decoded);
  return image_of(s.base, s.base_hash, std::move(bytes));
}

}  // namespace paxoskv
