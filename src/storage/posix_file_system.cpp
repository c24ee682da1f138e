#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <vector>

#include "storage/file_system.hpp"
#include "storage/storage_error.hpp"

namespace paxoskv::storage {

namespace {

// "<path>: <what>: <strerror(errno)>", as a StorageError.
[[noreturn]] void throw_errno(const std::filesystem::path& path, std::string_view what) {
  int err = errno;
  throw StorageError(path.string() + ": " + std::string(what) + ": " + std::strerror(err));
}

class PosixFileSystem final : public FileSystem {
 public:
  std::optional<Handle> open(const std::filesystem::path& path, bool writable) override {
    int fd = ::open(path.c_str(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) return std::nullopt;
    if (fd < 0) throw_errno(path, "cannot open");
    return fd;
  }

  Handle create(const std::filesystem::path& path) override {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw_errno(path, "cannot create");
    return fd;
  }

  void write_at(Handle fd, const std::filesystem::path& path, std::string_view data,
                std::uint64_t offset) override {
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

  std::string read_all(Handle fd, const std::filesystem::path& path) override {
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

  void truncate(Handle fd, const std::filesystem::path& path, std::uint64_t size) override {
    if (::ftruncate(fd, static_cast<off_t>(size)) != 0) throw_errno(path, "cannot truncate");
  }

  void sync(Handle fd, const std::filesystem::path& path) override {
    assert(fd >= 0);
    if (::fsync(fd) != 0) throw_errno(path, "cannot fsync");
  }

  void sync_data(Handle fd, const std::filesystem::path& path) override {
    assert(fd >= 0);
    if (::fdatasync(fd) != 0) throw_errno(path, "cannot fdatasync");
  }

  void close(Handle fd) noexcept override {
    if (fd >= 0) ::close(fd);
  }

  void rename(const std::filesystem::path& from, const std::filesystem::path& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) throw_errno(to, "cannot rename " + from.string());
  }

  void sync_dir(const std::filesystem::path& dir) override {
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

  void make_dirs(const std::filesystem::path& dir) override {
    if (dir.empty()) return;
    std::vector<std::filesystem::path> missing;
    for (std::filesystem::path d = dir; !d.empty() && !exists(d); d = d.parent_path()) {
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

  bool exists(const std::filesystem::path& path) override {
    std::error_code error;
    bool exists = std::filesystem::exists(path, error);
    if (error) throw StorageError(path.string() + ": cannot check the file: " + error.message());
    return exists;
  }

  void remove(const std::filesystem::path& path) noexcept override {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
};

}  // namespace

FileSystem& posix_file_system() {
  static PosixFileSystem fs;
  return fs;
}

}  // namespace paxoskv::storage
