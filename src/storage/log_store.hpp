#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "paxoskv/chain.hpp"
#include "storage/json_array_file.hpp"

namespace paxoskv::storage {

// DIR/SITE_log.json: decided commands in slot order with their chain hashes. Appending one
// entry writes only that entry (and the closing brackets after it), whatever the log size.
//
//   {"site":"alpha","entries":[
//   {"slot":0,"op":"put","key":"k","value":"a","client":7,"seq":1,"hash":"<64 hex>"}
//   ,{"slot":1,"op":"no-op","hash":"<64 hex>"}
//   ]}
// After compaction the log starts at a slot above 0, named by a first element that also
// carries hash(start - 1), so the chain verifies from there:
//   {"site":"alpha","entries":[
//   {"start":1000,"start_hash":"<64 hex>"}
//   ,{"slot":1000,...}
//   ]}
// The first entry of a log that does not continue the hash chain.
struct ChainBreak {
  Slot slot = 0;               // the element's position: the slot it should hold
  std::string what;            // why, for the user
  bool hash_mismatch = false;  // well-formed, but the stored hash is not the computed one
  Hash stored{};               // when hash_mismatch
  Hash computed{};             // when hash_mismatch: chain_hash over the entry and hash(slot-1)
};

// The result of recomputing a log's chain from hash(-1) on.
struct ChainCheck {
  Slot start = 0;                    // the first slot of the log
  Hash start_hash = genesis_hash;    // hash(start - 1)
  std::vector<LogEntry> entries;     // the verified prefix: slots [start, start + size)
  std::optional<ChainBreak> broken;  // the first bad entry; none when the whole log verifies
};

// Checks the elements of a log file in order: the optional start element, contiguous slots
// from the start, well-formed commands, and every stored hash equal to the recomputed one. Stops at
// the first bad entry. Never throws; the elements are consumed, so a long log is held once, not
// twice.
ChainCheck verify_log_entries(std::vector<boost::json::object> elements);

// DIR/SITE_log.json read without changing it, and its chain checked (paxoskv-verify).
struct LogFileCheck {
  std::filesystem::path path;
  ChainCheck chain;
  bool torn_tail = false;  // a torn last write, which the site cuts off at its next start
};
// Throws StorageError if the file cannot be read or is corrupt as a file (see JsonArrayFile).
LogFileCheck verify_log_file(const std::filesystem::path& dir, const std::string& site,
                             FileSystem& fs = posix_file_system());

class LogStore {
 public:
  // Spaces kept written ahead of the appends (see JsonArrayFile::open): an append then
  // overwrites blocks the file already has, and its fsync writes no allocation or extent
  // metadata. On ext4 that metadata grows with the file, so without the padding a fsynced
  // append to a log of 10^6 slots cost 1.06-1.32 times one to a log of 10^3, and 0.99-1.01
  // times with it (paxoskv-logbench --large 1000000 --batch 16). 1 MiB rather than 256 KiB
  // lengthened the 64-client p99.9 (bursts of spaces for the disk to write).
  static constexpr std::size_t kReserveBytes = 256 * 1024;

  static std::filesystem::path log_path(const std::filesystem::path& dir, const std::string& site);

  // Opens or creates the file; repairs a torn tail; verifies that slots are contiguous from 0
  // and that every hash matches the chain; throws StorageError naming the file and the slot.
  // With `durable_end` (AcceptorStore::log_durable), the log is known fsynced below that slot
  // only: damage at or above it, even with intact entries after it, is what a power cut leaves
  // of appends never fsynced, and is cut off (the acceptor kept its records for those slots,
  // and peers have them). Without it, only a torn last write is cut.
  LogStore(const std::filesystem::path& dir, const std::string& site,
           FileSystem& fs = posix_file_system(), std::optional<Slot> durable_end = std::nullopt);

  // The entries found on open (moved out: the store itself keeps no copy).
  std::vector<LogEntry> take_loaded();
  Slot start() const { return start_; }
  const Hash& start_hash() const { return start_hash_; }
  Slot end() const { return end_; }

  // Appends entries that continue the log; durable only after sync().
  void append(const std::vector<LogEntry>& entries);
  void sync();
  // Replaces the whole file, atomically and durably, by a log of `entries` starting at slot
  // `start` chained from `start_hash` (compaction; or an empty log restarted at a snapshot).
  void rewrite(Slot start, const Hash& start_hash, const std::vector<LogEntry>& entries);
  // True when opening cut off a torn last write.
  bool repaired() const { return file_.repaired(); }
  // Entries opening cut off after damage above the durable point.
  std::size_t entries_cut() const { return file_.elements_cut(); }

  // Compaction in two steps, so that the site's thread does not wait for the disk (writing and
  // fsyncing the new log there held it for 50-70 ms at 256 clients). stage_rewrite copies
  // slots [start, end) of the log file (whose first slot is `file_start`) into a new file
  // beside it, checks their chain, and fsyncs it; it touches no LogStore and reads the file
  // through a descriptor of its own, so it may run on another thread while the owner goes on
  // appending. install_rewrite, on the owner's thread, appends to the new file the entries
  // appended since (taken from `log`, the owner's entries from the staged start on), fsyncs
  // them, and renames the new file over the old: the whole log is then durable. Until then a
  // crash leaves the old file, which holds everything. A StagedRewrite dropped uninstalled
  // removes its file.
  struct StagedRewrite {
    JsonArrayFile file;
    Slot start = 0;
    Hash start_hash = genesis_hash;
    Slot end = 0;
    Hash last_hash = genesis_hash;
  };
  static StagedRewrite stage_rewrite(const std::filesystem::path& dir, const std::string& site,
                                     Slot file_start, Slot start, const Hash& start_hash, Slot end,
                                     FileSystem& fs = posix_file_system());
  void install_rewrite(StagedRewrite staged, std::span<const LogEntry> log);

 private:
  std::string site_;
  JsonArrayFile file_;
  std::vector<LogEntry> loaded_;
  Slot start_ = 0;
  Hash start_hash_ = genesis_hash;
  Slot end_ = 0;
  Hash last_hash_ = genesis_hash;  // of slot end_ - 1: what the next append chains from
};

}  // namespace paxoskv::storage
