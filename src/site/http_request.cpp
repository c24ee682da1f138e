#include "site/http_request.hpp"

namespace paxoskv::site {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

const std::string* HttpRequest::query_value(std::string_view name) const {
  for (const auto& [key, value] : query)
    if (key == name) return &value;
  return nullptr;
}

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+' && plus_is_space) {
      out += ' ';
    } else if (c != '%') {
      out += c;
    } else {
      if (i + 2 >= text.size()) return std::nullopt;
      int high = hex_value(text[i + 1]);
      int low = hex_value(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out += static_cast<char>(high * 16 + low);
      i += 2;
    }
  }
  return out;
}

std::variant<DecodedTarget, std::string> decode_target(std::string_view target) {
  if (target.empty() || target.front() != '/')
    return std::string("the request target must be a path starting with '/'");
  const auto question = target.find('?');
  DecodedTarget decoded;
  auto path = percent_decode(target.substr(0, question), false);
  if (!path) return std::string("bad percent-encoding in the path");
  decoded.path = std::move(*path);
  if (question == std::string_view::npos) return decoded;
  std::string_view rest = target.substr(question + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    std::string_view parameter = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (parameter.empty()) continue;
    const auto eq = parameter.find('=');
    auto name = percent_decode(parameter.substr(0, eq), true);
    auto value = percent_decode(
        eq == std::string_view::npos ? std::string_view() : parameter.substr(eq + 1), true);
    if (!name || !value) return std::string("bad percent-encoding in the query");
    decoded.query.emplace_back(std::move(*name), std::move(*value));
  }
  return decoded;
}

}  // namespace paxoskv::site
