#pragma once

// The file operations the storage files are built on, behind an interface with two
// implementations: the real one (POSIX calls, posix_file_system()) and the simulator's disk,
// which loses what was never fsynced at a power cut the way a real disk may. The files'
// recovery rules (torn tails, durable points) are then tested against the same code that runs.
//
// Every failure becomes a StorageError that names the file and what failed, because a site
// that cannot write its files must stop rather than acknowledge something it did not keep.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace paxoskv::storage {

class FileSystem {
 public:
  // An open file. Plain data: whoever opened it closes it.
  using Handle = int;
  static constexpr Handle kNoHandle = -1;

  virtual ~FileSystem() = default;

  // The file at `path`, opened for reading (and writing, with `writable`); nullopt when there
  // is none.
  virtual std::optional<Handle> open(const std::filesystem::path& path, bool writable) = 0;
  // Creates `path` empty (or empties it), open for reading and writing.
  virtual Handle create(const std::filesystem::path& path) = 0;
  virtual void write_at(Handle file, const std::filesystem::path& path, std::string_view data,
                        std::uint64_t offset) = 0;
  virtual std::string read_all(Handle file, const std::filesystem::path& path) = 0;
  virtual void truncate(Handle file, const std::filesystem::path& path, std::uint64_t size) = 0;
  // fsync: the data and the metadata.
  virtual void sync(Handle file, const std::filesystem::path& path) = 0;
  // fdatasync: the data and what reading it back needs (the size), not the timestamps.
  virtual void sync_data(Handle file, const std::filesystem::path& path) = 0;
  virtual void close(Handle file) noexcept = 0;
  // A rename is durable only once its directory is synced (sync_dir).
  virtual void rename(const std::filesystem::path& from, const std::filesystem::path& to) = 0;
  virtual void sync_dir(const std::filesystem::path& dir) = 0;
  // Creates `dir` and its missing parents, each made durable in its own parent.
  virtual void make_dirs(const std::filesystem::path& dir) = 0;
  virtual bool exists(const std::filesystem::path& path) = 0;
  // Removes `path` if it is there; a failure is ignored (only clutter stays).
  virtual void remove(const std::filesystem::path& path) noexcept = 0;
};

// The machine's own file system.
FileSystem& posix_file_system();

// Closes its file when it goes.
class OpenFile {
 public:
  OpenFile(FileSystem& fs, FileSystem::Handle handle) : fs_(fs), handle_(handle) {}
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;
  ~OpenFile() { fs_.close(handle_); }
  FileSystem::Handle get() const { return handle_; }
  FileSystem::Handle release() { return std::exchange(handle_, FileSystem::kNoHandle); }

 private:
  FileSystem& fs_;
  FileSystem::Handle handle_;
};

// The whole file at `path`; nullopt when there is none.
std::optional<std::string> read_file(FileSystem& fs, const std::filesystem::path& path);

// Writes `data` at the start of the file a MiB at a time, each MiB fdatasynced before the next.
// Written at once, a large file (a snapshot, SITE.json: ~12 MB each for 100k keys, on every
// site at once) would reach the disk in one burst, and an acceptor fsync issued behind it would
// wait for all of it.
void write_in_steps(FileSystem& fs, FileSystem::Handle file, const std::filesystem::path& path,
                    std::string_view data);

// Replaces `path` with `content` so that a crash leaves either the old or the new file, never
// a mix: temp file, fsync, rename, fsync of the directory. Returns an open handle on the new
// file when `keep_open`, else kNoHandle.
FileSystem::Handle replace_atomically(FileSystem& fs, const std::filesystem::path& path,
                                      std::string_view content, bool keep_open);
// The two halves of replace_atomically, for a caller that writes the new file on one thread and
// puts it in place on another: write_temp_file creates `path`.tmp with `content`, fsyncs it and
// returns an open handle on it; rename_temp_file renames `path`.tmp over `path` and fsyncs the
// directory.
FileSystem::Handle write_temp_file(FileSystem& fs, const std::filesystem::path& path,
                                   std::string_view content);
void rename_temp_file(FileSystem& fs, const std::filesystem::path& path);
std::filesystem::path temp_path(const std::filesystem::path& path);

}  // namespace paxoskv::storage
