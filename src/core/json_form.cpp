#include "core/json_form.hpp"

#include "paxoskv/limits.hpp"

namespace paxoskv::json_form {

namespace json = boost::json;

boost::json::array ballot_to_json(Ballot b) {
  return json::array{b.round, b.site};
}

std::string read_u64(const json::object& o, std::string_view field, std::uint64_t& out) {
  const json::value* v = o.if_contains(field);
  if (v == nullptr) return "missing field '" + std::string(field) + "'";
  if (v->is_uint64()) {
    out = v->get_uint64();
    return "";
  }
  if (v->is_int64() && v->get_int64() >= 0) {
    out = static_cast<std::uint64_t>(v->get_int64());
    return "";
  }
  return "field '" + std::string(field) + "' is not a non-negative integer";
}

std::string read_string(const json::object& o, std::string_view field, std::string& out) {
  const json::value* v = o.if_contains(field);
  if (v == nullptr) return "missing field '" + std::string(field) + "'";
  if (!v->is_string()) return "field '" + std::string(field) + "' is not a string";
  out = std::string(v->get_string());
  return "";
}

std::string read_ballot(const json::object& o, std::string_view field, Ballot& out) {
  const json::value* v = o.if_contains(field);
  if (v == nullptr) return "missing field '" + std::string(field) + "'";
  const json::array* a = v->if_array();
  auto non_negative = [](const json::value& x) {
    return x.is_uint64() || (x.is_int64() && x.get_int64() >= 0);
  };
  if (a == nullptr || a->size() != 2 || !non_negative((*a)[0]) || !non_negative((*a)[1]))
    return "field '" + std::string(field) + "' is not a ballot [round, site]";
  std::uint64_t site = (*a)[1].to_number<std::uint64_t>();
  if (site > UINT32_MAX) return "field '" + std::string(field) + "' has a site index out of range";
  out = Ballot{(*a)[0].to_number<std::uint64_t>(), static_cast<SiteId>(site)};
  return "";
}

void put_command(json::object& o, const Command& c) {
  o["op"] = op_name(c.op);
  if (c.op == Op::noop) return;
  o["key"] = c.key;
  o["value"] = c.value;
  o["client"] = c.id.client;
  o["seq"] = c.id.seq;
  switch (c.pre.kind) {
    case Precondition::Kind::none:
      break;
    case Precondition::Kind::absent:
      o["if_absent"] = true;
      break;
    case Precondition::Kind::value:
      o["if_value"] = c.pre.value;
      break;
    case Precondition::Kind::revision:
      o["if_revision"] = c.pre.revision;
      break;
  }
  if (c.ttl_s != 0) o["ttl"] = c.ttl_s;
}

namespace {

// The optional fields of a conditional write (put_command): at most one condition.
std::string read_precondition(const json::object& o, Precondition& out) {
  int conditions = 0;
  if (const json::value* v = o.if_contains("if_absent")) {
    if (!v->is_bool() || !v->get_bool()) return "field 'if_absent' is not true";
    out.kind = Precondition::Kind::absent;
    ++conditions;
  }
  if (o.contains("if_value")) {
    if (auto e = read_string(o, "if_value", out.value); !e.empty()) return e;
    if (out.value.size() > limits::max_value_bytes) return "if_value too large";
    out.kind = Precondition::Kind::value;
    ++conditions;
  }
  if (o.contains("if_revision")) {
    if (auto e = read_u64(o, "if_revision", out.revision); !e.empty()) return e;
    out.kind = Precondition::Kind::revision;
    ++conditions;
  }
  if (conditions > 1) return "more than one of if_absent, if_value, if_revision";
  return "";
}

}  // namespace

std::string read_command(const json::object& o, Command& out) {
  std::string op;
  if (auto e = read_string(o, "op", op); !e.empty()) return e;
  std::optional<Op> parsed = op_from_name(op);
  if (!parsed) return "unknown op '" + op + "'";
  out = Command{};
  out.op = *parsed;
  if (out.op == Op::noop) return "";
  if (auto e = read_string(o, "key", out.key); !e.empty()) return e;
  if (auto e = read_string(o, "value", out.value); !e.empty()) return e;
  if (auto e = read_u64(o, "client", out.id.client); !e.empty()) return e;
  if (auto e = read_u64(o, "seq", out.id.seq); !e.empty()) return e;
  if (auto e = read_precondition(o, out.pre); !e.empty()) return e;
  if (o.contains("ttl")) {
    std::uint64_t ttl = 0;
    if (auto e = read_u64(o, "ttl", ttl); !e.empty()) return e;
    if (ttl == 0 || ttl > limits::max_ttl_s) return "field 'ttl' out of range";
    out.ttl_s = static_cast<std::uint32_t>(ttl);
  }
  if (out.key.empty() || out.key.size() > limits::max_key_bytes) return "key size out of range";
  if (out.value.size() > limits::max_value_bytes) return "value too large";
  return "";
}

}  // namespace paxoskv::json_form
