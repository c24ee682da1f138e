#include "storage/file_system.hpp"

namespace paxoskv::storage {

std::optional<std::string> read_file(FileSystem& fs, const std::filesystem::path& path) {
  std::optional<FileSystem::Handle> handle = fs.open(path, false);
  if (!handle) return std::nullopt;
  OpenFile file(fs, *handle);
  return fs.read_all(file.get(), path);
}

std::filesystem::path temp_path(const std::filesystem::path& path) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  return tmp;
}

void write_in_steps(FileSystem& fs, FileSystem::Handle file, const std::filesystem::path& path,
                    std::string_view data) {
  constexpr std::size_t kStep = 1 << 20;
  std::uint64_t offset = 0;
  while (data.size() > kStep) {
    fs.write_at(file, path, data.substr(0, kStep), offset);
    fs.sync_data(file, path);
    data.remove_prefix(kStep);
    offset += kStep;
  }
  fs.write_at(file, path, data, offset);
}

FileSystem::Handle write_temp_file(FileSystem& fs, const std::filesystem::path& path,
                                   std::string_view content) {
  const std::filesystem::path tmp = temp_path(path);
  OpenFile file(fs, fs.create(tmp));
  write_in_steps(fs, file.get(), tmp, content);
  fs.sync(file.get(), tmp);
  return file.release();
}

void rename_temp_file(FileSystem& fs, const std::filesystem::path& path) {
  fs.rename(temp_path(path), path);
  fs.sync_dir(path.parent_path());
}

FileSystem::Handle replace_atomically(FileSystem& fs, const std::filesystem::path& path,
                                      std::string_view content, bool keep_open) {
  OpenFile file(fs, write_temp_file(fs, path, content));
  rename_temp_file(fs, path);
  return keep_open ? file.release() : FileSystem::kNoHandle;
}

}  // namespace paxoskv::storage
