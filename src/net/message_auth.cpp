#include "net/message_auth.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace paxoskv::net {

namespace {

constexpr std::size_t kMacBytes = 32;
constexpr std::string_view kSuffixHead = R"(,"mac":")";
constexpr std::string_view kSuffixTail = R"("})";
static_assert(MessageAuth::kSuffixBytes == kSuffixHead.size() + 2 * kMacBytes + kSuffixTail.size());

constexpr char kHexDigits[] = "0123456789abcdef";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Lowercase hex only: one MAC has one spelling, so a datagram has one valid form.
bool parse_hex(std::string_view hex, unsigned char* out) {
  assert(hex.size() == 2 * kMacBytes);
  for (std::size_t i = 0; i < kMacBytes; ++i) {
    int high = hex_value(hex[2 * i]);
    int low = hex_value(hex[2 * i + 1]);
    if (high < 0 || low < 0) return false;
    out[i] = static_cast<unsigned char>(high << 4 | low);
  }
  return true;
}

}  // namespace

std::variant<std::string, SecretError> load_secret(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return SecretError{"cannot read secret file " + path + ": " + std::strerror(errno)};
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return SecretError{"cannot read secret file " + path};
  std::string secret = std::move(contents).str();
  if (!secret.empty() && secret.back() == '\n') {
    secret.pop_back();
    if (!secret.empty() && secret.back() == '\r') secret.pop_back();
  }
  if (secret.empty()) return SecretError{"secret file " + path + " is empty"};
  return secret;
}

std::string_view auth_result_name(AuthResult result) {
  switch (result) {
    case AuthResult::ok:
      return "ok";
    case AuthResult::missing:
      return "no mac";
    case AuthResult::malformed:
      return "malformed mac";
    case AuthResult::wrong:
      return "wrong mac";
  }
  return "?";
}

MessageAuth::MessageAuth(std::string_view secret) {
  assert(!secret.empty());
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
  if (mac != nullptr) ctx_ = EVP_MAC_CTX_new(mac);
  EVP_MAC_free(mac);  // the context holds its own reference
  char digest[] = OSSL_DIGEST_NAME_SHA2_256;
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  if (ctx_ == nullptr || EVP_MAC_init(ctx_, reinterpret_cast<const unsigned char*>(secret.data()),
                                      secret.size(), params) != 1) {
    EVP_MAC_CTX_free(ctx_);
    throw std::runtime_error("OpenSSL cannot set up HMAC-SHA256");
  }
}

MessageAuth::~MessageAuth() {
  EVP_MAC_CTX_free(ctx_);
}

void MessageAuth::compute(std::string_view prefix, std::string_view last, unsigned char* out) {
  // A null key restarts the context with the key given at construction: no allocation.
  std::size_t written = 0;
  bool ok =
      EVP_MAC_init(ctx_, nullptr, 0, nullptr) == 1 &&
      EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(prefix.data()), prefix.size()) ==
          1 &&
      EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(last.data()), last.size()) == 1 &&
      EVP_MAC_final(ctx_, out, &written, kMacBytes) == 1;
  // HMAC-SHA256 with a configured context cannot fail short of memory corruption.
  assert(ok && written == kMacBytes);
  (void)ok;
}

void MessageAuth::seal(std::string& datagram) {
  assert(datagram.size() > 2 && datagram.front() == '{' && datagram.back() == '}');
  std::array<unsigned char, kMacBytes> mac;
  compute(datagram, {}, mac.data());
  datagram.reserve(datagram.size() + kOverheadBytes);
  datagram.pop_back();
  datagram += kSuffixHead;
  for (unsigned char byte : mac) {
    datagram += kHexDigits[byte >> 4];
    datagram += kHexDigits[byte & 0xf];
  }
  datagram += kSuffixTail;
}

MessageAuth::Opened MessageAuth::open(char* data, std::size_t size) {
  std::string_view datagram(data, size);
  // The smallest BODY is "{" + one member + "}"; a shorter datagram cannot be sealed.
  bool framed = size > kSuffixBytes + 1 && datagram.front() == '{' &&
                datagram.substr(size - kSuffixBytes, kSuffixHead.size()) == kSuffixHead &&
                datagram.substr(size - kSuffixTail.size()) == kSuffixTail;
  if (!framed) {
    bool mentions = datagram.find(R"("mac")") != std::string_view::npos;
    return Opened{mentions ? AuthResult::malformed : AuthResult::missing, {}};
  }
  std::array<unsigned char, kMacBytes> claimed;
  std::string_view hex = datagram.substr(size - kSuffixBytes + kSuffixHead.size(), 2 * kMacBytes);
  if (!parse_hex(hex, claimed.data())) return Opened{AuthResult::malformed, {}};
  std::string_view prefix = datagram.substr(0, size - kSuffixBytes);
  std::array<unsigned char, kMacBytes> computed;
  compute(prefix, "}", computed.data());
  if (CRYPTO_memcmp(claimed.data(), computed.data(), kMacBytes) != 0)
    return Opened{AuthResult::wrong, {}};
  data[prefix.size()] = '}';
  return Opened{AuthResult::ok, std::string_view(data, prefix.size() + 1)};
}

}  // namespace paxoskv::net
