#include "paxoskv/command.hpp"

#include <array>
#include <utility>

namespace paxoskv {

namespace {
constexpr std::array<std::pair<Op, std::string_view>, 5> kOpNames{{
    {Op::noop, "no-op"},
    {Op::put, "put"},
    {Op::append, "append"},
    {Op::del, "delete"},
    {Op::tag, "tag"},
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

}  // namespace paxoskv
