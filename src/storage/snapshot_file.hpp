#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "paxoskv/snapshot.hpp"
#include "storage/file_system.hpp"

namespace paxoskv::storage {

class LogStore;

// DIR/SITE_snapshot.json: the latest snapshot of the state machine, exactly the bytes of its
// SnapshotImage (one JSON document; see paxoskv/snapshot.hpp). Replaced atomically: temp
// file, fsync, rename, fsync of the directory; a crash leaves the old or the new one.
std::filesystem::path snapshot_path(const std::filesystem::path& dir, const std::string& site);
void write_snapshot_file(const std::filesystem::path& dir, const std::string& site,
                         const SnapshotImage& image, FileSystem& fs = posix_file_system());
// nullptr when there is no snapshot file; throws StorageError naming the file when it cannot
// be read or does not decode.
std::shared_ptr<const SnapshotImage> read_snapshot_file(const std::filesystem::path& dir,
                                                        const std::string& site,
                                                        FileSystem& fs = posix_file_system());

// At start, after opening the log (whose loaded entries are `log`): checks that the log and
// the snapshot meet, as compaction leaves them at any crash point:
//  - without a snapshot, the log starts at slot 0;
//  - the log starts at or below the snapshot's base (else slots are missing: refused);
//  - where the log reaches the base, hash(base - 1) in the log is the snapshot's (else refused);
//  - a log that ends below the base (a crash between writing the snapshot and rewriting the
//    log, or an unsynced tail lost) holds nothing the snapshot lacks: it is restarted, empty,
//    at the base (rewritten atomically), and `log` is cleared.
// Throws StorageError naming the file and what is wrong.
void reconcile_log_with_snapshot(LogStore& store, std::vector<LogEntry>& log,
                                 const SnapshotImage* snapshot, const std::filesystem::path& dir,
                                 const std::string& site);

}  // namespace paxoskv::storage
