#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

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

// What must hold of a key, as the state machine applies a put or a delete, for it to take
// effect (the HTTP API's prev_exists=false, prev_value and prev_revision; the shell's cas).
// When it does not hold, the write changes nothing and fails with a reason.
struct Precondition {
  enum class Kind : std::uint8_t {
    none,
    absent,    // the key has no value now (unlike tag: it may have had one before)
    value,     // the key's value is `value`
    revision,  // the key's revision is `revision` (change_history.hpp); 0: the key is absent
  };
  Kind kind = Kind::none;
  std::string value;
  std::uint64_t revision = 0;

  bool operator==(const Precondition&) const = default;
};

// What the shell and the client call a command: its op's name, but "cas" for a put on the
// condition of a value (`cas KEY EXPECTED NEW`).
std::string_view command_name(Op op, const Precondition& pre);

// The reasons a write whose precondition failed is refused with.
std::string_view precondition_failed_reason(Precondition::Kind kind);

// One entry of the replicated log.
struct Command {
  Command() = default;
  Command(Op op, std::string key, std::string value, RequestId id = {})
      : op(op), key(std::move(key)), value(std::move(value)), id(id) {}

  Op op = Op::noop;
  std::string key;
  std::string value;
  RequestId id;  // {0, 0} for a no-op
  Precondition pre;
  // A put's time to live in seconds (0: none): the leader deletes the key this long after its
  // last write, through the log (README, "Keys with a time to live").
  std::uint32_t ttl_s = 0;

  bool operator==(const Command&) const = default;
  static Command noop() { return {}; }
};

}  // namespace paxoskv
