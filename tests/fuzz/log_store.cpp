// libFuzzer target: LogStore on an arbitrary DIR/SITE_log.json. The outcome must be a
// StorageError (refused) or a log whose chain verifies. Then: reopening finds the same log
// and the store appends the next slot.

#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "paxoskv/chain.hpp"
#include "storage/log_store.hpp"
#include "storage/storage_error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fuzz = paxoskv::fuzz;
  using fuzz::fuzz_check;
  using paxoskv::LogEntry;
  static const fuzz::ScratchDir dir;
  dir.put(fuzz::kSite + "_log.json", fuzz::as_text(data, size));

  std::vector<LogEntry> loaded;
  try {
    paxoskv::storage::LogStore store(dir.path(), fuzz::kSite);
    loaded = store.take_loaded();
    fuzz_check(store.end() == loaded.size(), "end is the number of entries loaded");
  } catch (const paxoskv::storage::StorageError&) {
    return 0;
  }
  paxoskv::Hash previous = paxoskv::genesis_hash;
  for (std::size_t i = 0; i < loaded.size(); ++i) {
    fuzz_check(loaded[i].slot == i, "slots are contiguous from 0");
    fuzz_check(loaded[i].hash == paxoskv::chain_hash(loaded[i].slot, loaded[i].command, previous),
               "every loaded hash continues the chain");
    previous = loaded[i].hash;
  }

  paxoskv::storage::LogStore again(dir.path(), fuzz::kSite);
  fuzz_check(again.take_loaded() == loaded, "reopen finds the same log");
  fuzz_check(!again.repaired(), "a repaired log needs no second repair");
  LogEntry next{loaded.size(), paxoskv::Command::noop(), {}};
  next.hash = paxoskv::chain_hash(next.slot, next.command, previous);
  again.append({next});
  again.sync();
  paxoskv::storage::LogStore third(dir.path(), fuzz::kSite);
  fuzz_check(third.end() == loaded.size() + 1, "an append after open is kept");
  return 0;
}
