#include "paxoskv/chain.hpp"

#include <openssl/sha.h>

namespace paxoskv {

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
  bytes.append(reinterpret_cast<const char*>(previous.data()), previous.size());
  Hash out;
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), out.data());
  return out;
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
