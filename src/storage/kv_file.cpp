#include "storage/kv_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "core/json_text.hpp"
#include "storage/posix_file.hpp"

namespace paxoskv::storage {

namespace {

// Serialized entry by entry, in key order: building a json::object of a large map first costs
// several times more.
std::string kv_json(const KvCopy& kv) {
  std::string content;
  json_text::append_string_object(content, kv.sorted());
  content += '\n';
  return content;
}

}  // namespace

void write_kv_file(const std::filesystem::path& dir, const std::string& site, const KvMap& kv,
                   bool durable) {
  write_kv_file(dir, site, KvCopy(kv), durable);
}

void write_kv_file(const std::filesystem::path& dir, const std::string& site, const KvCopy& kv,
                   bool durable) {
  std::string content = kv_json(kv);
  posix::make_dirs(dir);
  std::filesystem::path path = dir / (site + ".json");
  if (durable) {
    posix::replace_atomically(path, content, false);
    return;
  }
  const std::filesystem::path tmp = posix::temp_path(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) posix::throw_errno(tmp, "cannot create");
  try {
    posix::write_in_steps(fd, tmp, content);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) posix::throw_errno(path, "cannot rename temp file");
}

}  // namespace paxoskv::storage
