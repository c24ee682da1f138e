#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "paxoskv/cluster.hpp"
#include "paxoskv/message.hpp"

namespace paxoskv::net {

// Wire format: one JSON object per datagram, {"type": ..., "from": SITE_NAME, ...fields}.
// Field names follow the structs of paxoskv/message.hpp (ballots as [round, site], commands
// with their fields merged into the entry object as in core/json_form.hpp). Example:
//   {"type":"accept","from":"alpha","ballot":[3,0],"decided_end":12,
//    "entries":[{"slot":12,"op":"put","key":"k","value":"v","client":7,"seq":3}]}
// The one exception to the member names: Prepare::from and CatchupRequest::from (slots) are
// "from_slot", since "from" is the sender. Every number must be at most 2^53 - 1.
std::string encode(const Message& message, const Cluster& cluster);

namespace detail {
// Every type through boost::json::serialize. encode() writes accepts, acks and commits as
// text instead; the unit tests hold it to the same bytes as this.
std::string encode_generic(const Message& message, const Cluster& cluster);
}  // namespace detail

// Why a datagram was refused, for the counters and the debug log.
struct DecodeError {
  std::string what;
  // A `from` that names no member: a site that never was one, or one removed since, which may
  // well still be running. Counted with the datagrams from a wrong endpoint, not as damage.
  bool unknown_sender = false;
};

// Never throws: anything that is not a well-formed message of a known type from a member of
// the cluster (unknown `from`, bad field types, ballots naming unknown sites, oversize) is a
// DecodeError.
std::variant<Message, DecodeError> decode(std::string_view datagram, const Cluster& cluster);

namespace detail {
// decode() without its fast path for canonical accepts, acks and commits (canonical_decode.hpp):
// every datagram parsed as JSON first. The unit tests hold the fast path to its results.
std::variant<Message, DecodeError> decode_generic(std::string_view datagram,
                                                  const Cluster& cluster);
}  // namespace detail

// One line for the trace log, e.g. "prepare(ballot=7.2, from=4)".
std::string describe(const MessageBody& body);

}  // namespace paxoskv::net
