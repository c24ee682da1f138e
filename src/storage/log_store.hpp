#pragma once

#include <filesystem>
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
class LogStore {
 public:
  // Opens or creates the file; repairs a torn tail; verifies that slots are contiguous from 0
  // and that every hash matches the chain; throws StorageError naming the file and the slot.
  LogStore(const std::filesystem::path& dir, const std::string& site);

  // The entries found on open (moved out: the store itself keeps no copy).
  std::vector<LogEntry> take_loaded();
  Slot end() const { return end_; }

  // Appends entries that continue the log; durable only after sync().
  void append(const std::vector<LogEntry>& entries);
  void sync();
  // True when opening cut off a torn last write.
  bool repaired() const { return file_.repaired(); }

 private:
  JsonArrayFile file_;
  std::vector<LogEntry> loaded_;
  Slot end_ = 0;
  Hash last_hash_ = genesis_hash;  // of slot end_ - 1: what the next append chains from
};

}  // namespace paxoskv::storage
