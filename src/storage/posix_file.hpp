#pragma once

// Thin POSIX helpers shared by the storage files. Every failure becomes a StorageError that
// names the file and carries the errno text, because a site that cannot write its files must
// stop rather than acknowledge something it did not keep.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace paxoskv::storage::posix {

// "<path>: <what>: <strerror(errno)>", as a StorageError.
[[noreturn]] void throw_errno(const std::filesystem::path& path, std::string_view what);

void write_all_at(int fd, const std::filesystem::path& path, std::string_view data,
                  std::uint64_t offset);
std::string read_all(int fd, const std::filesystem::path& path);
// The whole file at `path`, opened read-only for the purpose.
std::string read_file(const std::filesystem::path& path);
void sync_fd(int fd, const std::filesystem::path& path);
// fdatasync: the data and what reading it back needs (the size), not the timestamps.
void sync_data(int fd, const std::filesystem::path& path);
void close_fd(int fd);

// The directory entry of a renamed or created file is durable only once its directory is.
void sync_dir(const std::filesystem::path& dir);
void make_dirs(const std::filesystem::path& dir);

// Writes `data` at the start of the file a MiB at a time, each MiB fdatasynced before the next.
// Written at once, a large file (a snapshot, SITE.json: ~12 MB each for 100k keys, on every
// site at once) would reach the disk in one burst, and an acceptor fsync issued behind it would
// wait for all of it.
void write_in_steps(int fd, const std::filesystem::path& path, std::string_view data);

// Replaces `path` with `content` so that a crash leaves either the old or the new file, never
// a mix: temp file, fsync, rename, fsync of the directory. Returns an open read-write
// descriptor on the new file when `keep_open`, else -1.
int replace_atomically(const std::filesystem::path& path, std::string_view content, bool keep_open);
// The two halves of replace_atomically, for a caller that writes the new file on one thread and
// puts it in place on another: write_temp_file creates `path`.tmp with `content`, fsyncs it and
// returns an open read-write descriptor on it; rename_temp_file renames `path`.tmp over `path`
// and fsyncs the directory.
int write_temp_file(const std::filesystem::path& path, std::string_view content);
void rename_temp_file(const std::filesystem::path& path);
std::filesystem::path temp_path(const std::filesystem::path& path);

}  // namespace paxoskv::storage::posix
