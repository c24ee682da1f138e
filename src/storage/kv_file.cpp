#include "storage/kv_file.hpp"

#include "core/json_text.hpp"

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
                   bool durable, FileSystem& fs) {
  write_kv_file(dir, site, KvCopy(kv), durable, fs);
}

void write_kv_file(const std::filesystem::path& dir, const std::string& site, const KvCopy& kv,
                   bool durable, FileSystem& fs) {
  std::string content = kv_json(kv);
  fs.make_dirs(dir);
  std::filesystem::path path = dir / (site + ".json");
  if (durable) {
    replace_atomically(fs, path, content, false);
    return;
  }
  const std::filesystem::path tmp = temp_path(path);
  {
    OpenFile file(fs, fs.create(tmp));
    write_in_steps(fs, file.get(), tmp, content);
  }
  fs.rename(tmp, path);
}

}  // namespace paxoskv::storage
