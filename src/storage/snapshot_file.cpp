#include "storage/snapshot_file.hpp"

#include <fcntl.h>

#include <cerrno>

#include "storage/corruption.hpp"
#include "storage/log_store.hpp"
#include "storage/posix_file.hpp"

namespace paxoskv::storage {

std::filesystem::path snapshot_path(const std::filesystem::path& dir, const std::string& site) {
  return dir / (site + "_snapshot.json");
}

void write_snapshot_file(const std::filesystem::path& dir, const std::string& site,
                         const SnapshotImage& image) {
  posix::make_dirs(dir);
  posix::replace_atomically(snapshot_path(dir, site), image.bytes, false);
}

std::shared_ptr<const SnapshotImage> read_snapshot_file(const std::filesystem::path& dir,
                                                        const std::string& site) {
  const std::filesystem::path path = snapshot_path(dir, site);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) return nullptr;
  if (fd < 0) posix::throw_errno(path, "cannot open");
  std::string bytes;
  try {
    bytes = posix::read_all(fd, path);
  } catch (...) {
    posix::close_fd(fd);
    throw;
  }
  posix::close_fd(fd);
  auto image = snapshot_image_from_bytes(std::move(bytes));
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
