#pragma once

// Shared by the fuzz targets. A finding is anything but the expected outcome of an input:
// a crash, a sanitizer report, a broken invariant (assert), an unexpected exception, or a
// property below that does not hold. fuzz_check() turns a failed property into an abort,
// which libFuzzer reports with the input that caused it.

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

namespace paxoskv::fuzz {

inline void fuzz_check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz property violated: %s\n", what);
  std::abort();
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// One private directory per fuzzing process, reused by every run: the storage targets write
// each input as a file into it. On tmpfs when there is one, so the fsyncs of the stores cost
// nothing. libFuzzer may end the process without running destructors, so the directory is
// named by pid and each new one removes those of processes that are gone.
class ScratchDir {
 public:
  ScratchDir() {
    const std::filesystem::path base = std::filesystem::exists("/dev/shm")
                                           ? std::filesystem::path("/dev/shm")
                                           : std::filesystem::temp_directory_path();
    remove_stale(base);
    path_ = base / (kPrefix + std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    fuzz_check(std::filesystem::create_directory(path_), "cannot create the scratch directory");
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

  // Empties the directory (a store may have left a temp file or a second file) and writes
  // `content` as `name`.
  void put(const std::string& name, std::string_view content) const {
    for (const auto& entry : std::filesystem::directory_iterator(path_))
      std::filesystem::remove_all(entry.path());
    write(name, content);
  }

  void write(const std::string& name, std::string_view content) const {
    const std::string file = (path_ / name).string();
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    fuzz_check(fd >= 0, "cannot create the input file");
    std::size_t done = 0;
    while (done < content.size()) {
      ssize_t n = ::write(fd, content.data() + done, content.size() - done);
      fuzz_check(n > 0, "cannot write the input file");
      done += static_cast<std::size_t>(n);
    }
    ::close(fd);
  }

  std::string read(const std::string& name) const {
    const std::string file = (path_ / name).string();
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    fuzz_check(fd >= 0, "cannot open the file back");
    std::string out;
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(fd, buffer, sizeof buffer)) > 0)
      out.append(buffer, static_cast<std::size_t>(n));
    ::close(fd);
    return out;
  }

 private:
  static inline const std::string kPrefix = "paxoskv-fuzz-";

  static void remove_stale(const std::filesystem::path& base) {
    std::error_code ignored;
    for (const auto& entry : std::filesystem::directory_iterator(base, ignored)) {
      const std::string name = entry.path().filename().string();
      if (name.compare(0, kPrefix.size(), kPrefix) != 0) continue;
      const std::string pid = name.substr(kPrefix.size());
      if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
      if (!std::filesystem::exists("/proc/" + pid))
        std::filesystem::remove_all(entry.path(), ignored);
    }
  }

  std::filesystem::path path_;
};

// The site whose files the storage targets load.
inline const std::string kSite = "alpha";

}  // namespace paxoskv::fuzz
