#pragma once

#include <cstdint>

namespace paxoskv::net {

// Counters of datagrams that were refused, for `print status`.
struct DropCounters {
  std::uint64_t malformed = 0;       // did not decode
  std::uint64_t unknown_sender = 0;  // `from` is no member, or not at the source endpoint
  std::uint64_t link_failed = 0;     // dropped by faillink, received or about to be sent
  std::uint64_t auth_failed = 0;     // with --secret: no MAC, a malformed or a wrong one

  std::uint64_t total() const { return malformed + unknown_sender + link_failed + auth_failed; }
};

}  // namespace paxoskv::net
