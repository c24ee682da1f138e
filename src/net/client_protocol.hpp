#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "net/codec.hpp"
#include "paxoskv/command.hpp"

namespace paxoskv::net {

// The client protocol on the sites' UDP ports (SPEC §4, §6). Unlike the site-to-site
// messages it has no `from`: a client is any endpoint, and the reply goes back to the
// endpoint the request came from.
//   {"type":"client_request","client":7,"seq":3,"op":"put","key":"k","value":"v"}
//   {"type":"client_reply","client":7,"seq":3,"ok":true,"value":null,"error":"",
//    "leader":"alpha"}
// `value` of a request is "" for get and delete; `leader` of a reply (optional) names the
// site the replying site believes leads, so a client can go there next time.
//
// Membership, as the shell does it (README, "Membership"):
//  - `member`: a change decided in the log like a write. `key` is the site's name and `value`
//    the change as the log holds it: "add HOST PORT", "add HOST PORT voter", "remove",
//    "promote" or "transfer" (member_change.hpp).
//  - `cas`: a put of `value` on the condition that the key's value is `expected`, a field only
//    this op has: {...,"op":"cas","key":"k","value":"new","expected":"old"}. `value` and
//    `expected` together are held to the value limit.
//  - `members`: read-only, answered at once by the site asked, from what it knows (no log, no
//    leader: a site that joins asks it before it can take part). `key` and `value` are "";
//    the reply's `value` is that site's KnownMembers (core/members_json.hpp).
enum class ClientOp : std::uint8_t { put, append, get, del, tag, member, members, cas };

std::string_view client_op_name(ClientOp op);
std::optional<ClientOp> client_op_from_name(std::string_view name);

struct ClientRequest {
  std::uint64_t client = 0;  // 1 .. 2^53 - 1
  std::uint64_t seq = 0;     // 1 .. 2^53 - 1
  ClientOp op = ClientOp::get;
  std::string key;
  std::string value;
  std::string expected;  // cas only

  RequestId id() const { return RequestId{client, seq}; }
  bool is_read() const { return op == ClientOp::get; }
  // The replicated command of a write or a membership change (not for get or members).
  Command command() const;
};

struct ClientReply {
  std::uint64_t client = 0;
  std::uint64_t seq = 0;
  bool ok = false;
  std::optional<std::string> value;  // a get's result; nullopt is null (and for writes)
  std::string error;                 // why it failed, "" on success
  std::string leader;                // "" when unknown
};

std::string encode(const ClientRequest& request);
std::string encode(const ClientReply& reply);

namespace detail {
// The same through boost::json::serialize: the reference the unit tests hold encode() to.
std::string encode_generic(const ClientRequest& request);
std::string encode_generic(const ClientReply& reply);
}  // namespace detail

// Cheap test used by the transport before the full decode: does this datagram claim to be a
// client_request? Only those are accepted from endpoints outside the hosts file.
bool looks_like_client_request(std::string_view datagram);

// Never throw: anything malformed (bad JSON, wrong type, missing fields, ids of 0 or above
// 2^53 - 1, a key or value over the limits, a member change that member_change_of refuses, a
// members request with a key or value) is a DecodeError.
std::variant<ClientRequest, DecodeError> decode_client_request(std::string_view datagram);
std::variant<ClientReply, DecodeError> decode_client_reply(std::string_view datagram);

namespace detail {
// The decoders without their fast path for the canonical text (canonical_reader.hpp): every
// datagram parsed as JSON first. The unit tests hold the fast paths to their results.
std::variant<ClientRequest, DecodeError> decode_generic_request(std::string_view datagram);
std::variant<ClientReply, DecodeError> decode_generic_reply(std::string_view datagram);
}  // namespace detail

}  // namespace paxoskv::net
