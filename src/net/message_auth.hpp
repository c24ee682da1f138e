#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

// OpenSSL's EVP_MAC_CTX, kept out of this header.
struct evp_mac_ctx_st;

namespace paxoskv::net {

// `--secret FILE`: the shared key of the cluster and its clients is the file's bytes with one
// trailing newline ("\n" or "\r\n") stripped, so `echo secret > FILE` and an editor agree.
struct SecretError {
  std::string what;  // names the file, never shows its contents
};
std::variant<std::string, SecretError> load_secret(const std::string& path);

// Why a datagram failed the check (all count as auth_failed; the reason is for the debug log).
enum class AuthResult { ok, missing, malformed, wrong };
std::string_view auth_result_name(AuthResult result);

// HMAC-SHA256 framing of datagrams. The MAC covers the message's JSON object exactly as
// encoded (BODY); the sealed datagram is BODY with one more member before its final '}':
//   BODY    {"type":"ack","from":"beta",...}
//   SEALED  {"type":"ack","from":"beta",...,"mac":"<64 lowercase hex of HMAC(secret, BODY)>"}
// so it stays one JSON object. The receiver checks the fixed-length suffix and the MAC before
// any parser sees the bytes, and the decoder then reads BODY. Not thread-safe: one per thread
// (the MAC context is reused, so a datagram costs no allocation).
class MessageAuth {
 public:
  // `,"mac":"` + 64 hex digits + `"}` replaces the final `}` of BODY.
  static constexpr std::size_t kSuffixBytes = 8 + 64 + 2;
  // How much longer a sealed datagram is than its BODY.
  static constexpr std::size_t kOverheadBytes = kSuffixBytes - 1;

  // `secret` must not be empty. Throws std::runtime_error if OpenSSL cannot set up HMAC.
  explicit MessageAuth(std::string_view secret);
  ~MessageAuth();
  MessageAuth(const MessageAuth&) = delete;
  MessageAuth& operator=(const MessageAuth&) = delete;

  // `datagram` is BODY, a JSON object with at least one member; it becomes SEALED.
  void seal(std::string& datagram);

  struct Opened {
    AuthResult result = AuthResult::missing;
    std::string_view body;  // BODY when result is ok, else empty
  };
  // Checks a received datagram in place: on success its last suffix byte position is
  // rewritten to '}' and `body` views BODY at the start of `data`. On failure nothing changes.
  Opened open(char* data, std::size_t size);

 private:
  void compute(std::string_view prefix, std::string_view last, unsigned char* out);

  evp_mac_ctx_st* ctx_ = nullptr;
};

}  // namespace paxoskv::net
