#include "paxoskv/command.hpp"

#include <array>
#include <utility>

#include "paxoskv/limits.hpp"

namespace paxoskv {

namespace {
constexpr std::array<std::pair<Op, std::string_view>, 6> kOpNames{{
    {Op::noop, "no-op"},
    {Op::put, "put"},
    {Op::append, "append"},
    {Op::del, "delete"},
    {Op::tag, "tag"},
    {Op::member, "member"},
}};
}  // namespace

std::string_view op_name(Op op) {
  for (const auto& [o, name] : kOpNames)
    if (o == op) return name;
  return "?";
}

std::optional<Op> op_from_name(std::string_view name) {
  for (const auto& [o, n] : kOpNames)
    if (n == name) return o;
  return std::nullopt;
}

std::string key_too_large_reason() {
  return "key too large (limit " + std::to_string(limits::max_key_bytes) + " bytes)";
}

std::string value_too_large_reason() {
  return "value too large (limit " + std::to_string(limits::max_value_bytes) + " bytes)";
}

std::string_view command_name(Op op, const Precondition& pre) {
  if (op == Op::put && pre.kind == Precondition::Kind::value) return "cas";
  return op_name(op);
}

std::string_view precondition_failed_reason(Precondition::Kind kind) {
  switch (kind) {
    case Precondition::Kind::absent:
      return "key exists";
    case Precondition::Kind::value:
      return "value differs";
    case Precondition::Kind::revision:
      return "revision differs";
    case Precondition::Kind::none:
      break;
  }
  return "";
}

}  // namespace paxoskv
