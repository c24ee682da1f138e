#pragma once

#include <cstddef>
#include <cstdint>

// Every bound of the system, in one place.
namespace paxoskv::limits {

inline constexpr std::size_t max_key_bytes = 256;
inline constexpr std::size_t max_value_bytes = 8192;
// Largest datagram a site sends or accepts. Below the 65,507-byte UDP payload limit of IPv4.
inline constexpr std::size_t max_datagram_bytes = 60000;
// Payload budget for the entries packed into one accept, commit or catch-up reply; leaves room
// for the envelope and for JSON escaping growth.
inline constexpr std::size_t max_entries_bytes = 24000;
// Bytes of a serialized snapshot carried by one catch-up reply (base64 on the wire: 4/3 of
// this, still well within a datagram).
inline constexpr std::size_t snapshot_chunk_bytes = 24000;
// Largest snapshot a site accepts by transfer; bounds what a hostile peer can make it hold.
inline constexpr std::uint64_t max_snapshot_bytes = std::uint64_t{4} << 30;
// Slots a leader may have proposed but not yet decided (pipelining window).
inline constexpr std::uint64_t max_inflight_slots = 256;
// Lamport's alpha: a membership change decided in slot s governs the slots from s + this on.
// No leader proposes a slot more than this far above its decided end, so the configuration of
// every slot it proposes is known to it (README, "Membership").
inline constexpr std::uint64_t member_change_delay = max_inflight_slots;
// Commands a leader packs into a single accept message.
inline constexpr std::size_t max_batch_commands = 64;
// Client ids are below 2^53 so they survive any JSON reader as numbers.
inline constexpr std::uint64_t max_client_id = (std::uint64_t{1} << 53) - 1;
// Longest time to live of a key (30 days): a lock or a session's key is refreshed far more
// often, and the bound keeps expiry deadlines far from overflow.
inline constexpr std::uint64_t max_ttl_s = 30 * 24 * 3600;
// Attempts a site makes for one shell command before reporting failure.
inline constexpr int max_request_attempts = 3;

}  // namespace paxoskv::limits
