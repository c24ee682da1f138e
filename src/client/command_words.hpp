#pragma once

#include <string_view>

namespace paxoskv::client {

// How a command line splits into words, at a site's shell and in paxoskv-client alike: words
// are separated by spaces or tabs, and a VALUE is the rest of the line after its key.

inline bool is_word_separator(char c) {
  return c == ' ' || c == '\t';
}

inline std::string_view skip_separators(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && is_word_separator(text[i])) ++i;
  return text.substr(i);
}

// Takes the next word off the front of `rest` ("" when none is left).
inline std::string_view take_word(std::string_view& rest) {
  rest = skip_separators(rest);
  std::size_t end = 0;
  while (end < rest.size() && !is_word_separator(rest[end])) ++end;
  std::string_view word = rest.substr(0, end);
  rest = rest.substr(end);
  return word;
}

}  // namespace paxoskv::client
