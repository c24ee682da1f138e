#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "paxoskv/chain.hpp"
#include "paxoskv/cluster.hpp"
#include "paxoskv/kv_map.hpp"

namespace paxoskv {

// One client's entry of the state machine's dedup table: its last applied sequence number
// and that command's result.
struct ClientSnapshot {
  std::uint64_t client = 0;
  std::uint64_t last_seq = 0;
  bool ok = true;
  std::string reason;
  bool operator==(const ClientSnapshot&) const = default;
};

// The replicated state machine as of slot `base`: every slot below `base` is applied and
// folded in, none at or above it. `base_hash` is hash(base - 1), so the chain goes on from it.
struct Snapshot {
  Slot base = 0;
  Hash base_hash = genesis_hash;
  std::map<std::string, std::string> kv;
  // Each key's revision (change_history.hpp), at most `base`. A snapshot written before keys
  // had revisions has none; its keys get `base` (they were changed in a slot below it).
  std::map<std::string, std::uint64_t> revisions;
  // The time to live of the keys that have one, in seconds.
  std::map<std::string, std::uint32_t> ttls;
  // Keys that were set once but are absent now: `tag` must still refuse them.
  std::vector<std::string> deleted;     // sorted
  std::vector<ClientSnapshot> clients;  // sorted by client id
  // The configurations that govern slots from `base` on, the first from at most `base`; empty
  // when no membership change was ever decided (the hosts file governs).
  std::vector<MemberEpoch> members;
  bool operator==(const Snapshot&) const = default;
};

// The state machine as of slot `base`, copied out of the replica and unsorted: cheap enough
// for the replica's thread, while sorting, serializing, hashing and writing it
// (make_snapshot_image, then the file) may happen on another.
struct SnapshotSource {
  Slot base = 0;
  Hash base_hash = genesis_hash;
  KvCopy kv;
  // Each key with its revision in decimal digits: one buffer, as for `kv`.
  KvCopy revisions;
  std::vector<std::pair<std::string, std::uint32_t>> ttls;
  std::vector<std::string> deleted;
  std::vector<ClientSnapshot> clients;
  std::vector<MemberEpoch> members;
};

// A snapshot in its serialized form, as written to SITE_snapshot.json and sent in chunks.
// `digest` is the SHA-256 of `bytes`; together with `base` it names this exact image, so a
// receiver notices when the sender's snapshot changed under a transfer.
struct SnapshotImage {
  Slot base = 0;
  Hash base_hash = genesis_hash;
  Hash digest{};
  std::string bytes;
};

// The serialized form, one JSON document (jq reads it), deterministic for a given state:
//   {"base":N,"base_hash":"<64 hex>","kv":{"k":"v",...},"revisions":{"k":N,...},
//    "ttls":{"k":S,...},"deleted":["k",...],
//    "clients":[{"client":C,"seq":S,"ok":true,"reason":""},...]
//    ,"members":[{"from":N,"sites":[{"name":"alpha","host":"127.0.0.1","port":5001,
//                                    "role":"voter"},...]},...]}
// where "members" is left out when no membership change was ever decided, and "ttls" when no
// key has a time to live.
std::shared_ptr<const SnapshotImage> make_snapshot_image(const Snapshot& snapshot);
std::shared_ptr<const SnapshotImage> make_snapshot_image(const SnapshotSource& source);
// Parses and checks serialized bytes; the error names what is wrong. Never throws.
std::variant<Snapshot, std::string> decode_snapshot(std::string_view bytes);
// The image of bytes read from a file or assembled from chunks, after decoding them.
std::variant<std::shared_ptr<const SnapshotImage>, std::string> snapshot_image_from_bytes(
    std::string bytes);

}  // namespace paxoskv
