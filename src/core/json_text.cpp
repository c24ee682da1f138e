#include "core/json_text.hpp"

#include <charconv>

namespace paxoskv::json_text {

void append_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t plain_from = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + plain_from, i - plain_from);
    plain_from = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
  }
  out.append(text.data() + plain_from, text.size() - plain_from);
  out += '"';
}

void append_string_object(
    std::string& out, const std::vector<std::pair<std::string_view, std::string_view>>& entries) {
  std::size_t text = 0;
  for (const auto& [key, value] : entries) text += key.size() + value.size();
  out.reserve(out.size() + text + 6 * entries.size() + 2);
  out += '{';
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (i > 0) out += ',';
    append_string(out, entries[i].first);
    out += ':';
    append_string(out, entries[i].second);
  }
  out += '}';
}

void append_u64(std::string& out, std::uint64_t n) {
  char digits[20];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
  (void)ec;  // 20 digits hold every uint64
  out.append(digits, end);
}

void append_ballot(std::string& out, Ballot b) {
  out += '[';
  append_u64(out, b.round);
  out += ',';
  append_u64(out, b.site);
  out += ']';
}

void append_command_fields(std::string& out, const Command& c) {
  out += "\"op\":";
  append_string(out, op_name(c.op));
  if (c.op == Op::noop) return;
  out += ",\"key\":";
  append_string(out, c.key);
  out += ",\"value\":";
  append_string(out, c.value);
  out += ",\"client\":";
  append_u64(out, c.id.client);
  out += ",\"seq\":";
  append_u64(out, c.id.seq);
  switch (c.pre.kind) {
    case Precondition::Kind::none:
      break;
    case Precondition::Kind::absent:
      out += ",\"if_absent\":true";
      break;
    case Precondition::Kind::value:
      out += ",\"if_value\":";
      append_string(out, c.pre.value);
      break;
    case Precondition::Kind::revision:
      out += ",\"if_revision\":";
      append_u64(out, c.pre.revision);
      break;
  }
  if (c.ttl_s != 0) {
    out += ",\"ttl\":";
    append_u64(out, c.ttl_s);
  }
}

}  // namespace paxoskv::json_text
