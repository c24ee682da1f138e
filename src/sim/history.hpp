#pragma once

// The client history that the linearizability checker judges: what each client asked of the
// key-value store, when, and what it was told. The simulator records it from its clients; the
// real-process network tests record it the same way.

#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>

namespace paxoskv::sim {

// cas: set the value to `value` only if it is `expected` now (a put with a condition; the
// simulator never issues one, the net tests' HTTP load does).
enum class OpKind : std::uint8_t { put, append, del, get, cas };

// Completion time of an operation whose outcome is unknown (the client gave up waiting).
inline constexpr std::int64_t kNeverCompleted = std::numeric_limits<std::int64_t>::max();

struct Operation {
  std::uint64_t client = 0;  // who issued it (a client issues one op at a time)
  OpKind kind = OpKind::put;
  std::string key;
  std::string value;                  // put/append argument
  std::int64_t invoked_ms = 0;        // invocation time
  std::int64_t completed_ms = 0;      // completion time; kNeverCompleted if the outcome is unknown
  bool ok = true;                     // false: failed/timed out with unknown outcome (writes); a
                                      // failed get is simply left out of the history by the caller
  std::optional<std::string> result;  // for get: the value read, nullopt = null (absent); for a
                                      // cas whose condition failed: the value it found
  std::string expected;               // cas: the value the key must hold for it to apply
  bool condition_failed = false;      // cas, completed: it did not apply (HTTP 412)
};

// A write whose outcome is unknown may have taken effect at any time after its invocation, or
// never. Gets with an unknown outcome carry no information.
inline bool outcome_unknown(const Operation& op) {
  return !op.ok || op.completed_ms == kNeverCompleted;
}

inline const char* op_kind_name(OpKind kind) {
  switch (kind) {
    case OpKind::put:
      return "put";
    case OpKind::append:
      return "append";
    case OpKind::del:
      return "delete";
    case OpKind::get:
      return "get";
    case OpKind::cas:
      return "cas";
  }
  return "?";
}

// A C-like quoted form, so that keys and values with spaces, quotes or control bytes stay
// unambiguous in a report.
inline std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// One line per operation, e.g. `[c3] append(k1, "x") @120..180`, `[c2] get(k1) -> "ab" @100..150`,
// `[c1] put(k1, "x") @100..? (outcome unknown)`, `[c4] cas(k1, "x" -> "y") -> ok @10..20`,
// `[c5] cas(k1, "x" -> "z") -> failed, found "y" @12..30`.
inline std::string describe(const Operation& op) {
  std::string text = "[c" + std::to_string(op.client) + "] " + op_kind_name(op.kind) + "(" + op.key;
  if (op.kind == OpKind::put || op.kind == OpKind::append) text += ", " + quoted(op.value);
  if (op.kind == OpKind::cas) text += ", " + quoted(op.expected) + " -> " + quoted(op.value);
  text += ")";
  if (op.kind == OpKind::get) text += " -> " + (op.result ? quoted(*op.result) : "null");
  if (op.kind == OpKind::cas && !outcome_unknown(op))
    text += op.condition_failed
                ? " -> failed, found " + (op.result ? quoted(*op.result) : std::string("null"))
                : std::string(" -> ok");
  text += " @" + std::to_string(op.invoked_ms) + "..";
  if (op.completed_ms == kNeverCompleted) return text + "? (outcome unknown)";
  text += std::to_string(op.completed_ms);
  if (!op.ok) text += " (failed, outcome unknown)";
  return text;
}

}  // namespace paxoskv::sim
