#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "sim/sim_random.hpp"
#include "storage/file_system.hpp"

namespace paxoskv::sim {

// Thrown by an operation of a SimFileSystem armed to crash (arm_crash): the process dies
// there. Not a StorageError, so nothing on the way out mistakes it for a bad file.
struct SimulatedCrash {};

// One site's disk, as weak as a real one. What a process wrote survives the process (the page
// cache), but a power cut keeps of each file only what was fsynced, plus any subset of the
// 4 KiB pages written since, in any combination (a later page kept, an earlier one lost), and
// the size it had at either point. A new name (create, rename, remove) is durable only once
// its directory is synced; a power cut keeps, per directory, the changes up to some point
// since that sync (a journal commits them in order). Directories made by make_dirs are
// durable at once, as the real make_dirs syncs their parents.
class SimFileSystem final : public storage::FileSystem {
 public:
  static constexpr std::uint64_t kPageBytes = 4096;

  explicit SimFileSystem(SimRandom& random) : random_(&random) {}

  std::optional<Handle> open(const std::filesystem::path& path, bool writable) override;
  Handle create(const std::filesystem::path& path) override;
  void write_at(Handle file, const std::filesystem::path& path, std::string_view data,
                std::uint64_t offset) override;
  std::string read_all(Handle file, const std::filesystem::path& path) override;
  void truncate(Handle file, const std::filesystem::path& path, std::uint64_t size) override;
  void sync(Handle file, const std::filesystem::path& path) override;
  void sync_data(Handle file, const std::filesystem::path& path) override;
  void close(Handle file) noexcept override;
  void rename(const std::filesystem::path& from, const std::filesystem::path& to) override;
  void sync_dir(const std::filesystem::path& dir) override;
  void make_dirs(const std::filesystem::path& dir) override;
  bool exists(const std::filesystem::path& path) override;
  void remove(const std::filesystem::path& path) noexcept override;

  // The process died: its open files are closed; everything it wrote stays. Until restart(),
  // what the dead process's objects do as they are destroyed (close, remove a temp file)
  // changes nothing, as a real crash runs no destructors.
  void process_crash();
  void restart() { down_ = false; }
  // The power went: see the class comment. Returns how many unsynced pages were lost.
  std::uint64_t power_cut();
  // The disk is replaced by an empty one.
  void wipe();
  // The `n`th operation that changes the disk from now on (n >= 1) throws SimulatedCrash
  // instead of completing; a write reaches a random part of its bytes first.
  void arm_crash(std::uint64_t n) { crash_countdown_ = n; }
  void disarm() { crash_countdown_ = 0; }
  bool armed() const { return crash_countdown_ != 0; }

  // For tests and traces: the content a read sees now.
  std::optional<std::string> content(const std::filesystem::path& path) const;

 private:
  struct Inode {
    std::string data;     // what a read sees
    std::string durable;  // what a power cut keeps at least
    std::set<std::uint64_t> dirty_pages;
  };
  // A name set to an inode (or removed, with nullptr), not yet durable.
  struct NameChange {
    std::filesystem::path name;
    std::shared_ptr<Inode> inode;
  };

  Inode& inode_of(Handle file, const std::filesystem::path& path);
  // Counts an operation that changes the disk; throws when it is the armed one.
  void maybe_crash();
  void set_name(const std::filesystem::path& name, std::shared_ptr<Inode> inode);
  static void write_bytes(Inode& inode, std::string_view data, std::uint64_t offset);

  SimRandom* random_;
  std::map<std::filesystem::path, std::shared_ptr<Inode>> names_;            // as seen now
  std::map<std::filesystem::path, std::shared_ptr<Inode>> durable_names_;    // as of the syncs
  std::map<std::filesystem::path, std::vector<NameChange>> unsynced_names_;  // by directory
  std::set<std::filesystem::path> dirs_;
  std::map<Handle, std::shared_ptr<Inode>> handles_;
  Handle next_handle_ = 3;
  std::uint64_t crash_countdown_ = 0;
  bool down_ = false;
};

}  // namespace paxoskv::sim
