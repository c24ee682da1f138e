#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace paxoskv {

// `member` changes the configuration (member_change.hpp); the others act on the map.
enum class Op : std::uint8_t { noop, put, append, del, tag, member };

// The wire and file spelling of an operation: "no-op", "put", "append", "delete", "tag",
// "member".
std::string_view op_name(Op op);
std::optional<Op> op_from_name(std::string_view name);

// The reasons a key or a value over its limit (limits.hpp) is refused with, wherever that is
// checked: the shell, the client tool, the client protocol and the state machine (an append).
std::string key_too_large_reason();    // "key too large (limit 256 bytes)"
std::string value_too_large_reason();  // "value too large (limit 8192 bytes)"

// Who asked for a command: a client id and that client's sequence number. The state
// machine applies each (client, seq) at most once, so retries are harmless.
struct RequestId {
  std::uint64_t client = 0;
  std::uint64_t seq = 0;
  auto operator<=>(const RequestId&) const = default;
};

// One entry of the replicated log.
struct Command {
  Op op = Op::noop;
  std::string key;
  std::string value;
  RequestId id;  // {0, 0} for a no-op

  bool operator==(const Command&) const = default;
  static Command noop() { return {}; }
};

}  // namespace paxoskv
