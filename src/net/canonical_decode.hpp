#pragma once

#include <optional>
#include <string_view>

#include "net/canonical_reader.hpp"
#include "paxoskv/cluster.hpp"
#include "paxoskv/message.hpp"

namespace paxoskv::net {

// The fast path of decode() for the messages that carry every write: accept, ack and commit,
// read straight from the canonical text encode() writes (no whitespace, members in its order,
// strings of printable ASCII without escapes). Anything else, including any bound or check
// the general path would fail, gives nullopt, and decode() reads the datagram the general way;
// so this never accepts what decode() refuses, and reads what it accepts exactly as decode()
// does (tests/unit/net/canonical_decode_test.cpp holds it to that, on mutated datagrams too).
// Parsing into a JSON tree first cost more than the rest of a follower's work on an accept.
std::optional<Message> decode_canonical(std::string_view datagram, const Cluster& cluster,
                                        WireBounds bounds);

}  // namespace paxoskv::net
