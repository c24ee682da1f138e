#include "storage/snapshot_file.hpp"

#include "storage/corruption.hpp"
#include "storage/log_store.hpp"

namespace paxoskv::storage {

std::filesystem::path snapshot_path(const std::filesystem::path& dir, const std::string& site) {
  return dir / (site + "_snapshot.json");
}

void write_snapshot_file(const std::filesystem::path& dir, const std::string& site,
                         const SnapshotImage& image, FileSystem& fs) {
  fs.make_dirs(dir);
  replace_atomically(fs, snapshot_path(dir, site), image.bytes, false);
}

std::shared_ptr<const SnapshotImage> read_snapshot_file(const std::filesystem::path& dir,
                                                        const std::string& site, FileSystem& fs) {
  const std::filesystem::path path = snapshot_path(dir, site);
  std::optional<std::string> bytes = read_file(fs, path);
  if (!bytes) return nullptr;
  auto image = snapshot_image_from_bytes(std::move(*bytes));
  if (const std::string* e = std::get_if<std::string>(&image)) refuse_corrupt(path, *e);
  return std::get<std::shared_ptr<const SnapshotImage>>(image);
}

void reconcile_log_with_snapshot(LogStore& store, std::vector<LogEntry>& log,
                                 const SnapshotImage* snapshot, const std::filesystem::path& dir,
                                 const std::string& site) {
  const std::filesystem::path log_path = LogStore::log_path(dir, site);
  if (snapshot == nullptr) {
    if (store.start() != 0)
      refuse_corrupt(log_path, "starts at slot " + std::to_string(store.start()) + " but " +
                                   snapshot_path(dir, site).string() +
                                   " is missing (the slots below are in no file)");
    return;
  }
  const Slot base = snapshot->base;
  if (store.start() > base)
    refuse_corrupt(log_path, "starts at slot " + std::to_string(store.start()) +
                                 ", above the snapshot's base " + std::to_string(base) +
                                 ": slots " + std::to_string(base) + ".." +
                                 std::to_string(store.start() - 1) + " are in no file");
  if (store.end() < base) {
    store.rewrite(base, snapshot->base_hash, {});
    log.clear();
    return;
  }
  const Hash& at_base =
      base == store.start() ? store.start_hash() : log[base - store.start() - 1].hash;
  if (at_base != snapshot->base_hash)
    refuse_corrupt(log_path, "hash(" + std::to_string(base) + " - 1) is " + to_hex(at_base) +
                                 " here but " + to_hex(snapshot->base_hash) + " in " +
                                 snapshot_path(dir, site).string() +
                                 " (the log and the snapshot disagree)");
}

}  // namespace paxoskv::storage
