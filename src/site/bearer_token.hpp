#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "paxoskv/chain.hpp"

namespace paxoskv::site {

// Why `--http-token FILE` cannot be used, naming the file.
struct TokenError {
  std::string what;
};

// `--http-token`: the secret every request to /v1/ must carry as `Authorization: Bearer TOKEN`.
// Only its SHA-256 is kept, and only digests are compared, so the time a check takes says
// nothing about the token: not its bytes, and not its length.
class BearerToken {
 public:
  // `token` is not empty.
  explicit BearerToken(std::string_view token);

  // The token in `path`, surrounding whitespace (a final newline, say) trimmed. An error if the
  // file cannot be read, holds nothing else, or the token has a character an HTTP header
  // cannot carry (a control character, a space, a byte beyond ASCII), which no client could
  // ever send.
  static std::variant<BearerToken, TokenError> load(const std::string& path);

  // True if `authorization`, the value of the Authorization header, is "Bearer TOKEN" with
  // this token (the scheme in any case, as RFC 9110 has it).
  bool accepts(std::string_view authorization) const;

 private:
  Hash digest_;
};

}  // namespace paxoskv::site
