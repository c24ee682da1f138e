#include "site/bearer_token.hpp"

#include <openssl/crypto.h>

#include <cassert>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace paxoskv::site {

namespace {

constexpr std::string_view kScheme = "bearer";

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Visible ASCII: what a header value carries without quoting or encoding.
bool is_token_char(char c) {
  return c > ' ' && c < 0x7f;
}

bool equals_ignoring_case(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

}  // namespace

BearerToken::BearerToken(std::string_view token) : digest_(sha256(token)) {
  assert(!token.empty());
}

std::variant<BearerToken, TokenError> BearerToken::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return TokenError{"cannot read token file " + path + ": " + std::strerror(errno)};
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return TokenError{"cannot read token file " + path};
  std::string text = std::move(contents).str();
  std::string_view token = text;
  while (!token.empty() && is_space(token.front())) token.remove_prefix(1);
  while (!token.empty() && is_space(token.back())) token.remove_suffix(1);
  if (token.empty()) return TokenError{"token file " + path + " is empty"};
  for (char c : token)
    if (!is_token_char(c))
      return TokenError{"token file " + path +
                        " holds a space, a control character or a non-ASCII byte inside the "
                        "token, which an Authorization header cannot carry"};
  return BearerToken(token);
}

bool BearerToken::accepts(std::string_view authorization) const {
  const auto space = authorization.find(' ');
  if (space == std::string_view::npos) return false;
  if (!equals_ignoring_case(authorization.substr(0, space), kScheme)) return false;
  std::string_view presented = authorization.substr(space + 1);
  while (!presented.empty() && presented.front() == ' ') presented.remove_prefix(1);
  // Both sides are digests of the same size: the comparison's time is the same for any
  // presented token, whatever its length or how much of it is right.
  const Hash digest = sha256(presented);
  return CRYPTO_memcmp(digest.data(), digest_.data(), digest.size()) == 0;
}

}  // namespace paxoskv::site
