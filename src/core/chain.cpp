#include "paxoskv/chain.hpp"

#include <openssl/evp.h>

#include <memory>
#include <stdexcept>

namespace paxoskv {

namespace {

// The one-shot SHA256() looks the algorithm up in OpenSSL's provider store (a lock and a
// table walk) on every call, which costs more than hashing a command or a record: fetch it
// once, and keep one context per thread.
struct Sha256 {
  struct Free {
    void operator()(EVP_MD* md) const { EVP_MD_free(md); }
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  std::unique_ptr<EVP_MD, Free> md{EVP_MD_fetch(nullptr, "SHA256", nullptr)};
  std::unique_ptr<EVP_MD_CTX, Free> ctx{EVP_MD_CTX_new()};

  void digest(std::string_view bytes, Hash& out) {
    unsigned int size = 0;
    if (!md || !ctx || EVP_DigestInit_ex2(ctx.get(), md.get(), nullptr) != 1 ||
        EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size()) != 1 ||
        EVP_DigestFinal_ex(ctx.get(), out.data(), &size) != 1 || size != out.size())
      throw std::runtime_error("SHA-256 is not available from OpenSSL");
  }
};

}  // namespace

Hash sha256(std::string_view bytes) {
  Hash out;
  thread_local Sha256 sha256;
  sha256.digest(bytes, out);
  return out;
}

Hash chain_hash(Slot slot, const Command& command, const Hash& previous) {
  std::string bytes;
  bytes.reserve(64 + command.key.size() + command.value.size());
  bytes += std::to_string(slot);
  bytes += '\n';
  bytes += op_name(command.op);
  bytes += '\n';
  bytes += command.key;
  bytes += '\n';
  bytes += command.value;
  bytes += '\n';
  bytes += std::to_string(command.id.client);
  bytes += '\n';
  bytes += std::to_string(command.id.seq);
  bytes += '\n';
  // The fields of a conditional write or a time to live only when present, so the hash of
  // every other command is what it always was.
  if (command.pre.kind != Precondition::Kind::none) {
    bytes += "if ";
    bytes += std::to_string(static_cast<int>(command.pre.kind));
    bytes += ' ';
    bytes += std::to_string(command.pre.revision);
    bytes += ' ';
    bytes += std::to_string(command.pre.value.size());
    bytes += ' ';
    bytes += command.pre.value;
    bytes += '\n';
  }
  if (command.ttl_s != 0) {
    bytes += "ttl ";
    bytes += std::to_string(command.ttl_s);
    bytes += '\n';
  }
  bytes.append(reinterpret_cast<const char*>(previous.data()), previous.size());
  return sha256(bytes);
}

std::string to_hex(const Hash& hash) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(64);
  for (std::uint8_t b : hash) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

bool from_hex(const std::string& hex, Hash& out) {
  if (hex.size() != 64) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < 32; ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return true;
}

}  // namespace paxoskv
