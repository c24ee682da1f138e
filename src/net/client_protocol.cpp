#include "net/client_protocol.hpp"

#include <boost/json.hpp>
#include <cassert>
#include <sstream>

#include "core/json_form.hpp"
#include "core/json_text.hpp"
#include "net/canonical_reader.hpp"
#include "net/parse_scratch.hpp"
#include "paxoskv/limits.hpp"
#include "paxoskv/member_change.hpp"

namespace paxoskv::net {

namespace json = boost::json;

namespace {

constexpr std::string_view kRequestType = "client_request";
constexpr std::string_view kReplyType = "client_reply";

// The parsed object of a datagram of the given type, or why not.
// The object lives in `storage`, which must outlive it.
std::variant<json::object, DecodeError> parse_typed(std::string_view datagram,
                                                    std::string_view want_type,
                                                    json::storage_ptr storage) {
  if (datagram.size() > limits::max_datagram_bytes)
    return DecodeError{"datagram of " + std::to_string(datagram.size()) + " bytes is oversized"};
  boost::system::error_code ec;
  json::value value =
      json::parse(json::string_view(datagram.data(), datagram.size()), ec, std::move(storage));
  if (ec) return DecodeError{"not JSON: " + ec.message()};
  json::object* o = value.if_object();
  if (o == nullptr) return DecodeError{"not a JSON object"};
  std::string type;
  if (auto e = json_form::read_string(*o, "type", type); !e.empty()) return DecodeError{e};
  if (type != want_type) return DecodeError{"not a " + std::string(want_type)};
  return std::move(*o);
}

std::string read_id(const json::object& o, std::string_view field, std::uint64_t& out) {
  if (auto e = json_form::read_u64(o, field, out); !e.empty()) return e;
  if (out == 0 || out > limits::max_client_id)
    return "field '" + std::string(field) + "' is out of range";
  return "";
}

// What is wrong with the key and value of a request for its op; "" when nothing.
std::string request_problem(const ClientRequest& r) {
  if (r.op == ClientOp::members)
    return r.key.empty() && r.value.empty() ? "" : "a members request takes no key or value";
  if (r.op == ClientOp::member) {
    std::string action;
    std::istringstream(r.value) >> action;
    // A refusal is only ever proposed by a leader (member_change.hpp), never asked for.
    if (action == "refuse") return "bad member change: unknown membership change 'refuse'";
    auto change = member_change_of(r.command());
    if (const std::string* e = std::get_if<std::string>(&change)) return "bad member change: " + *e;
    return "";
  }
  if (r.key.empty() || r.key.size() > limits::max_key_bytes)
    return "key is empty or longer than " + std::to_string(limits::max_key_bytes) + " bytes";
  if (r.value.size() + r.expected.size() > limits::max_value_bytes) return value_too_large_reason();
  if (r.op == ClientOp::cas && r.value.empty()) return "cas needs a new value";
  return "";
}

// The fast paths: the canonical text encode() writes, read without a JSON tree (see
// canonical_reader.hpp); nullopt sends the datagram to the general path, which also gives the
// reason when it is refused. Every client operation crosses one of each.
std::optional<ClientRequest> decode_canonical_request(std::string_view datagram) {
  if (datagram.size() > limits::max_datagram_bytes) return std::nullopt;
  CanonicalReader r(datagram, WireBounds{limits::max_client_id, 0});
  ClientRequest q;
  std::string_view op;
  std::string_view key;
  std::string_view value;
  if (!(r.literal("{\"type\":\"client_request\",\"client\":") && r.number(q.client) &&
        r.literal(",\"seq\":") && r.number(q.seq) && r.literal(",\"op\":") && r.string(op) &&
        r.literal(",\"key\":") && r.string(key) && r.literal(",\"value\":") && r.string(value) &&
        r.literal("}") && r.at_end()))
    return std::nullopt;
  std::optional<ClientOp> parsed = client_op_from_name(op);
  if (q.client == 0 || q.seq == 0 || !parsed || *parsed == ClientOp::cas) return std::nullopt;
  q.op = *parsed;
  q.key = key;
  q.value = value;
  if (!request_problem(q).empty()) return std::nullopt;
  return q;
}

std::optional<ClientReply> decode_canonical_reply(std::string_view datagram) {
  if (datagram.size() > limits::max_datagram_bytes) return std::nullopt;
  CanonicalReader r(datagram, WireBounds{limits::max_client_id, 0});
  ClientReply reply;
  if (!(r.literal("{\"type\":\"client_reply\",\"client\":") && r.number(reply.client) &&
        r.literal(",\"seq\":") && r.number(reply.seq) && r.literal(",\"ok\":")))
    return std::nullopt;
  reply.ok = r.next_is("true");
  if (!reply.ok) r.literal("false");
  r.literal(",\"value\":");
  std::string_view text;
  if (!r.next_is("null")) {
    if (!r.string(text)) return std::nullopt;
    reply.value = std::string(text);
  }
  if (!(r.literal(",\"error\":") && r.string(text))) return std::nullopt;
  reply.error = text;
  if (r.next_is(",\"leader\":")) {
    if (!r.string(text)) return std::nullopt;
    reply.leader = text;
  }
  if (!(r.literal("}") && r.at_end()) || reply.client == 0 || reply.seq == 0) return std::nullopt;
  return reply;
}

}  // namespace

std::string_view client_op_name(ClientOp op) {
  switch (op) {
    case ClientOp::put:
      return "put";
    case ClientOp::append:
      return "append";
    case ClientOp::get:
      return "get";
    case ClientOp::del:
      return "delete";
    case ClientOp::tag:
      return "tag";
    case ClientOp::member:
      return "member";
    case ClientOp::members:
      return "members";
    case ClientOp::cas:
      return "cas";
  }
  return "?";
}

std::optional<ClientOp> client_op_from_name(std::string_view name) {
  for (ClientOp op : {ClientOp::put, ClientOp::append, ClientOp::get, ClientOp::del, ClientOp::tag,
                      ClientOp::member, ClientOp::members, ClientOp::cas})
    if (client_op_name(op) == name) return op;
  return std::nullopt;
}

Command ClientRequest::command() const {
  assert(!is_read() && op != ClientOp::members);
  Op core_op = op == ClientOp::put || op == ClientOp::cas ? Op::put
               : op == ClientOp::append                   ? Op::append
               : op == ClientOp::del                      ? Op::del
               : op == ClientOp::tag                      ? Op::tag
                                                          : Op::member;
  Command command{core_op, key, value, id()};
  if (op == ClientOp::cas) command.pre = Precondition{Precondition::Kind::value, expected, 0};
  return command;
}

namespace detail {

std::string encode_generic(const ClientRequest& request) {
  json::object o;
  o["type"] = kRequestType;
  o["client"] = request.client;
  o["seq"] = request.seq;
  o["op"] = client_op_name(request.op);
  o["key"] = request.key;
  o["value"] = request.value;
  if (request.op == ClientOp::cas) o["expected"] = request.expected;
  return json::serialize(o);
}

std::string encode_generic(const ClientReply& reply) {
  json::object o;
  o["type"] = kReplyType;
  o["client"] = reply.client;
  o["seq"] = reply.seq;
  o["ok"] = reply.ok;
  if (reply.value)
    o["value"] = *reply.value;
  else
    o["value"] = nullptr;
  o["error"] = reply.error;
  if (!reply.leader.empty()) o["leader"] = reply.leader;
  return json::serialize(o);
}

}  // namespace detail

// One of each per client operation: written as text (json_text.hpp), the same bytes as
// detail::encode_generic (the unit tests compare them).
std::string encode(const ClientRequest& request) {
  std::string out;
  out.reserve(96 + request.key.size() + request.value.size());
  out += "{\"type\":\"client_request\",\"client\":";
  json_text::append_u64(out, request.client);
  out += ",\"seq\":";
  json_text::append_u64(out, request.seq);
  out += ",\"op\":";
  json_text::append_string(out, client_op_name(request.op));
  out += ",\"key\":";
  json_text::append_string(out, request.key);
  out += ",\"value\":";
  json_text::append_string(out, request.value);
  if (request.op == ClientOp::cas) {
    out += ",\"expected\":";
    json_text::append_string(out, request.expected);
  }
  out += '}';
  return out;
}

std::string encode(const ClientReply& reply) {
  std::string out;
  out.reserve(112 + (reply.value ? reply.value->size() : 0) + reply.error.size());
  out += "{\"type\":\"client_reply\",\"client\":";
  json_text::append_u64(out, reply.client);
  out += ",\"seq\":";
  json_text::append_u64(out, reply.seq);
  out += reply.ok ? ",\"ok\":true,\"value\":" : ",\"ok\":false,\"value\":";
  if (reply.value)
    json_text::append_string(out, *reply.value);
  else
    out += "null";
  out += ",\"error\":";
  json_text::append_string(out, reply.error);
  if (!reply.leader.empty()) {
    out += ",\"leader\":";
    json_text::append_string(out, reply.leader);
  }
  out += '}';
  return out;
}

bool looks_like_client_request(std::string_view datagram) {
  return datagram.find(kRequestType) != std::string_view::npos;
}

std::variant<ClientRequest, DecodeError> decode_client_request(std::string_view datagram) {
  if (std::optional<ClientRequest> fast = decode_canonical_request(datagram)) return *fast;
  return detail::decode_generic_request(datagram);
}

std::variant<ClientRequest, DecodeError> detail::decode_generic_request(std::string_view datagram) {
  ParseScratch scratch;
  auto parsed = parse_typed(datagram, kRequestType, scratch.storage());
  if (auto* error = std::get_if<DecodeError>(&parsed)) return *error;
  const json::object& o = std::get<json::object>(parsed);
  ClientRequest r;
  std::string op;
  if (auto e = read_id(o, "client", r.client); !e.empty()) return DecodeError{e};
  if (auto e = read_id(o, "seq", r.seq); !e.empty()) return DecodeError{e};
  if (auto e = json_form::read_string(o, "op", op); !e.empty()) return DecodeError{e};
  auto client_op = client_op_from_name(op);
  if (!client_op) return DecodeError{"unknown op"};
  r.op = *client_op;
  if (r.op != ClientOp::members || o.contains("key"))
    if (auto e = json_form::read_string(o, "key", r.key); !e.empty()) return DecodeError{e};
  if (o.contains("value"))
    if (auto e = json_form::read_string(o, "value", r.value); !e.empty()) return DecodeError{e};
  if (r.op == ClientOp::cas) {
    if (auto e = json_form::read_string(o, "expected", r.expected); !e.empty())
      return DecodeError{e};
  } else if (o.contains("expected")) {
    return DecodeError{"only a cas request has 'expected'"};
  }
  if (std::string problem = request_problem(r); !problem.empty()) return DecodeError{problem};
  return r;
}

std::variant<ClientReply, DecodeError> decode_client_reply(std::string_view datagram) {
  if (std::optional<ClientReply> fast = decode_canonical_reply(datagram)) return *fast;
  return detail::decode_generic_reply(datagram);
}

std::variant<ClientReply, DecodeError> detail::decode_generic_reply(std::string_view datagram) {
  ParseScratch scratch;
  auto parsed = parse_typed(datagram, kReplyType, scratch.storage());
  if (auto* error = std::get_if<DecodeError>(&parsed)) return *error;
  const json::object& o = std::get<json::object>(parsed);
  ClientReply r;
  if (auto e = read_id(o, "client", r.client); !e.empty()) return DecodeError{e};
  if (auto e = read_id(o, "seq", r.seq); !e.empty()) return DecodeError{e};
  const json::value* ok = o.if_contains("ok");
  if (ok == nullptr || !ok->is_bool()) return DecodeError{"field 'ok' is not a boolean"};
  r.ok = ok->get_bool();
  const json::value* value = o.if_contains("value");
  if (value != nullptr && value->is_string())
    r.value = std::string(value->get_string());
  else if (value != nullptr && !value->is_null())
    return DecodeError{"field 'value' is neither a string nor null"};
  if (o.contains("error"))
    if (auto e = json_form::read_string(o, "error", r.error); !e.empty()) return DecodeError{e};
  if (o.contains("leader"))
    if (auto e = json_form::read_string(o, "leader", r.leader); !e.empty()) return DecodeError{e};
  return r;
}

}  // namespace paxoskv::net
