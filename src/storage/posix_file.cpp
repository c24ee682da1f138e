#include "storage/posix_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <vector>

#include "storage/storage_error.hpp"

namespace paxoskv::storage::posix {

void throw_errno(const std::filesystem::path& path, std::string_view what) {
  int err = errno;
  throw StorageError(path.string() + ": " + std::string(what) + ": " + std::strerror(err));
}

void write_all_at(int fd, const std::filesystem::path& path, std::string_view data,
                  std::uint64_t offset) {
  assert(fd >= 0);
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno(path, "cannot write");
    assert(n > 0);
    data.remove_prefix(static_cast<std::size_t>(n));
    offset += static_cast<std::uint64_t>(n);
  }
}

std::string read_all(int fd, const std::filesystem::path& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_errno(path, "cannot stat");
  std::string out(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::pread(fd, out.data() + got, out.size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno(path, "cannot read");
    if (n == 0) break;  // shrank under us; what we have is what there is
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  return out;
}

std::string read_file(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_errno(path, "cannot open");
  std::string content;
  try {
    content = read_all(fd, path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  return content;
}

void sync_fd(int fd, const std::filesystem::path& path) {
  assert(fd >= 0);
  if (::fsync(fd) != 0) throw_errno(path, "cannot fsync");
}

void sync_data(int fd, const std::filesystem::path& path) {
  assert(fd >= 0);
  if (::fdatasync(fd) != 0) throw_errno(path, "cannot fdatasync");
}

void close_fd(int fd) {
  if (fd >= 0) ::close(fd);
}

void sync_dir(const std::filesystem::path& dir) {
  const std::filesystem::path d = dir.empty() ? std::filesystem::path(".") : dir;
  int fd = ::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_errno(d, "cannot open directory");
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    errno = err;
    throw_errno(d, "cannot fsync directory");
  }
  ::close(fd);
}

void make_dirs(const std::filesystem::path& dir) {
  if (dir.empty()) return;
  std::vector<std::filesystem::path> missing;
  for (std::filesystem::path d = dir; !d.empty() && !std::filesystem::exists(d);
       d = d.parent_path()) {
    missing.push_back(d);
    if (d == d.parent_path()) break;
  }
  if (missing.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw StorageError(dir.string() + ": cannot create directory: " + ec.message());
  // A new directory's own entry must be durable too, or the files in it can vanish in a crash.
  for (const std::filesystem::path& d : missing) sync_dir(d.parent_path());
}

std::filesystem::path temp_path(const std::filesystem::path& path) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  return tmp;
}

void write_in_steps(int fd, const std::filesystem::path& path, std::string_view data) {
  constexpr std::size_t kStep = 1 << 20;
  std::uint64_t offset = 0;
  while (data.size() > kStep) {
    write_all_at(fd, path, data.substr(0, kStep), offset);
    sync_data(fd, path);
    data.remove_prefix(kStep);
    offset += kStep;
  }
  write_all_at(fd, path, data, offset);
}

int write_temp_file(const std::filesystem::path& path, std::string_view content) {
  const std::filesystem::path tmp = temp_path(path);
  int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw_errno(tmp, "cannot create");
  try {
    write_in_steps(fd, tmp, content);
    sync_fd(fd, tmp);
  } catch (...) {
    ::close(fd);
    throw;
  }
  return fd;
}

void rename_temp_file(const std::filesystem::path& path) {
  if (::rename(temp_path(path).c_str(), path.c_str()) != 0)
    throw_errno(path, "cannot rename temp file");
  sync_dir(path.parent_path());
}

int replace_atomically(const std::filesystem::path& path, std::string_view content,
                       bool keep_open) {
  int fd = write_temp_file(path, content);
  try {
    rename_temp_file(path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (keep_open) return fd;
  ::close(fd);
  return -1;
}

}  // namespace paxoskv::storage::posix
