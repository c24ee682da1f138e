#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "paxoskv/ballot.hpp"
#include "paxoskv/command.hpp"

namespace paxoskv {

using Hash = std::array<std::uint8_t, 32>;

// hash(-1): the chain starts from 32 zero bytes.
inline constexpr Hash genesis_hash{};

// hash(N) = sha256(N ‖ command ‖ hash(N-1)), over the canonical byte form documented in
// the README: decimal slot, op name, key, value, client and seq, each followed by '\n',
// then the 32 raw bytes of the previous hash.
Hash chain_hash(Slot slot, const Command& command, const Hash& previous);
// SHA-256 of `bytes`, with the algorithm fetched once per thread (OpenSSL's one-shot SHA256()
// looks it up in the provider store, under a lock, on every call).
Hash sha256(std::string_view bytes);

std::string to_hex(const Hash& hash);
// False when `hex` is not 64 hex digits.
bool from_hex(const std::string& hex, Hash& out);

// A decided slot as kept in the log: its command and its chain hash.
struct LogEntry {
  Slot slot = 0;
  Command command;
  Hash hash{};
  bool operator==(const LogEntry&) const = default;
};

}  // namespace paxoskv
