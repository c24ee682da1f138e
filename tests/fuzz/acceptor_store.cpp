// libFuzzer target: AcceptorStore on an arbitrary DIR/SITE_state.json. The outcome must be a
// StorageError (refused) or a folded state. Then: reopening finds the same state, a higher
// promise is kept, and forgetting every slot (which may compact the file) keeps the promise.

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "fuzz_support.hpp"
#include "storage/acceptor_store.hpp"
#include "storage/storage_error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fuzz = paxoskv::fuzz;
  using fuzz::fuzz_check;
  static const fuzz::ScratchDir dir;
  dir.put(fuzz::kSite + "_state.json", fuzz::as_text(data, size));

  paxoskv::Ballot promised;
  std::map<paxoskv::Slot, paxoskv::AcceptedEntry> accepted;
  try {
    paxoskv::storage::AcceptorStore store(dir.path(), fuzz::kSite);
    promised = store.promised();
    accepted = store.accepted();
  } catch (const paxoskv::storage::StorageError&) {
    return 0;
  }
  for (const auto& [slot, entry] : accepted)
    fuzz_check(entry.slot == slot, "accepted entries are keyed by their slot");

  paxoskv::storage::AcceptorStore again(dir.path(), fuzz::kSite);
  fuzz_check(again.promised() == promised, "reopen finds the same promise");
  fuzz_check(again.accepted() == accepted, "reopen finds the same accepted entries");
  fuzz_check(!again.repaired(), "a repaired file needs no second repair");
  // A promise never falls (the store asserts it), so the new one is at least the old one.
  const paxoskv::Ballot higher = std::max(promised, paxoskv::Ballot{std::uint64_t{1} << 60, 0});
  again.record(higher, {});
  const paxoskv::Slot everything = ~paxoskv::Slot{0};
  again.forget_below(everything);
  again.sync();
  paxoskv::storage::AcceptorStore third(dir.path(), fuzz::kSite);
  fuzz_check(third.promised() == higher, "a recorded promise is kept");
  // Forgotten records may stay in the file until a compaction; the site skips them on restore
  // (they are below its log's end), so only the promise is checked here.
  return 0;
}
