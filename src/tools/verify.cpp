// paxoskv-verify DATA_DIR SITE: recomputes the SHA-256 chain of DATA_DIR/SITE_log.json from
// hash(-1) on (or, after compaction, from the hash its start element names) and reports the
// first slot whose stored hash differs from the computed one. With DATA_DIR/SITE_snapshot.json
// it also checks that the snapshot decodes and meets the log at hash(base - 1).
// The file is only read: a torn tail is reported, not repaired.
//
// Exit codes: 0 the chain verifies, 1 a hash mismatch, 2 bad usage or a file that cannot be
// read or is corrupt as a file (not JSON, a bad header, a malformed entry, a gap in slots).

#include <iostream>
#include <string>
#include <vector>

#include "paxoskv/chain.hpp"
#include "storage/log_store.hpp"
#include "storage/snapshot_file.hpp"
#include "storage/storage_error.hpp"

namespace {

using namespace paxoskv;

constexpr int kExitOk = 0;
constexpr int kExitMismatch = 1;
constexpr int kExitError = 2;

std::string usage_text(const std::string& program) {
  return "usage: " + program +
         " DATA_DIR SITE\n"
         "  recomputes every chain hash of DATA_DIR/SITE_log.json and prints\n"
         "  'ok: N slots, head HASH' (exit 0) or the first slot whose hash differs (exit 1);\n"
         "  a file that cannot be read or is corrupt is reported on stderr (exit 2)\n";
}

// The verified chain against the snapshot; prints the result line.
int report_ok(const storage::LogFileCheck& check, const SnapshotImage* snapshot) {
  const storage::ChainCheck& chain = check.chain;
  const Slot end = chain.start + chain.entries.size();
  Hash head = chain.entries.empty() ? chain.start_hash : chain.entries.back().hash;
  if (snapshot == nullptr && chain.start > 0) {
    std::cerr << check.path.string() << ": starts at slot " << chain.start
              << " but there is no snapshot file\n";
    return kExitError;
  }
  if (snapshot != nullptr) {
    if (chain.start > snapshot->base) {
      std::cerr << check.path.string() << ": starts at slot " << chain.start
                << ", above the snapshot's base " << snapshot->base << '\n';
      return kExitError;
    }
    if (end < snapshot->base) {
      std::cerr << check.path.string() << ": note: the log ends below the snapshot at "
                << snapshot->base << "; the site restarts it there at its next start\n";
      head = snapshot->base_hash;
    } else {
      const Hash& at_base = snapshot->base == chain.start
                                ? chain.start_hash
                                : chain.entries[snapshot->base - chain.start - 1].hash;
      if (at_base != snapshot->base_hash) {
        std::cout << "snapshot at " << snapshot->base << ": base hash "
                  << to_hex(snapshot->base_hash) << " differs from the log's " << to_hex(at_base)
                  << '\n';
        return kExitMismatch;
      }
    }
  }
  std::cout << "ok: " << chain.entries.size() << " slots";
  if (snapshot != nullptr)
    std::cout << " from slot " << chain.start << " (snapshot at " << snapshot->base << ")";
  std::cout << ", head " << to_hex(head) << '\n';
  return kExitOk;
}

int report(const storage::LogFileCheck& check, const SnapshotImage* snapshot) {
  const storage::ChainCheck& chain = check.chain;
  if (check.torn_tail)
    std::cerr << check.path.string()
              << ": note: the last write is torn; the site cuts it off at its next start\n";
  if (!chain.broken) return report_ok(check, snapshot);
  const storage::ChainBreak& broken = *chain.broken;
  if (!broken.hash_mismatch) {
    std::cerr << check.path.string() << ": slot " << broken.slot << ": " << broken.what << '\n';
    return kExitError;
  }
  std::cout << "slot " << broken.slot << ": hash mismatch (stored " << to_hex(broken.stored)
            << ", computed " << to_hex(broken.computed) << ")\n";
  return kExitMismatch;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string program = argc > 0 ? argv[0] : "paxoskv-verify";
  const std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::cout << usage_text(program);
      return kExitOk;
    }
  }
  if (args.size() != 2 || args[0].empty() || args[1].empty()) {
    std::cerr << program << ": expected DATA_DIR and SITE\n" << usage_text(program);
    return kExitError;
  }
  try {
    storage::LogFileCheck check = storage::verify_log_file(args[0], args[1]);
    auto snapshot = storage::read_snapshot_file(args[0], args[1]);
    return report(check, snapshot.get());
  } catch (const storage::StorageError& error) {
    std::cerr << program << ": " << error.what() << '\n';
    return kExitError;
  } catch (const std::exception& error) {
    std::cerr << program << ": " << error.what() << '\n';
    return kExitError;
  }
}
