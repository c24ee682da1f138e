#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace paxoskv::site {

// One HTTP request as the handlers see it: complete (body read) and with its target decoded.
struct HttpRequest {
  std::string method;  // "GET", "PUT", ...
  std::string target;  // as sent
  // The target before '?', percent-decoded; a path that does not decode is a 400 before any
  // handler sees it.
  std::string path;
  // In order, percent-decoded ('+' is a space in the query).
  std::vector<std::pair<std::string, std::string>> query;
  std::string body;
  std::string authorization;  // the Authorization header, "" when absent

  // The first value of `name` in the query, or nullptr.
  const std::string* query_value(std::string_view name) const;
};

// A request target in origin form ("/path?query"), decoded.
struct DecodedTarget {
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
};

// Decodes `target`, or says what is wrong with it: not starting with '/', or a '%' not
// followed by two hex digits. Decoded bytes are kept as they are, whatever they are (a key may
// be any bytes); a name without '=' gets the value "", and empty parameters ("a=1&&b=2") are
// skipped.
std::variant<DecodedTarget, std::string> decode_target(std::string_view target);

// `text` with every %XX replaced by its byte, and with `plus_is_space` every '+' by ' ' (the
// form encoding of a query); nullopt at a '%' not followed by two hex digits.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

}  // namespace paxoskv::site
