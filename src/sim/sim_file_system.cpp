#include "sim/sim_file_system.hpp"

#include <algorithm>
#include <cassert>

#include "storage/storage_error.hpp"

namespace paxoskv::sim {

std::optional<storage::FileSystem::Handle> SimFileSystem::open(const std::filesystem::path& path,
                                                               bool) {
  auto it = names_.find(path);
  if (it == names_.end()) return std::nullopt;
  handles_[next_handle_] = it->second;
  return next_handle_++;
}

storage::FileSystem::Handle SimFileSystem::create(const std::filesystem::path& path) {
  maybe_crash();
  if (!dirs_.contains(path.parent_path()))
    throw storage::StorageError(path.string() + ": cannot create: No such file or directory");
  auto inode = std::make_shared<Inode>();
  set_name(path, inode);
  handles_[next_handle_] = inode;
  return next_handle_++;
}

void SimFileSystem::write_at(Handle file, const std::filesystem::path& path, std::string_view data,
                             std::uint64_t offset) {
  Inode& inode = inode_of(file, path);
  try {
    maybe_crash();
  } catch (const SimulatedCrash&) {
    write_bytes(inode, data.substr(0, random_->below(data.size() + 1)), offset);
    throw;
  }
  write_bytes(inode, data, offset);
}

void SimFileSystem::write_bytes(Inode& inode, std::string_view data, std::uint64_t offset) {
  if (data.empty()) return;
  const std::uint64_t end = offset + data.size();
  const std::uint64_t old_size = inode.data.size();
  if (end > old_size) inode.data.resize(end, '\0');
  std::copy(data.begin(), data.end(), inode.data.begin() + static_cast<std::ptrdiff_t>(offset));
  // The pages written, and those a hole left by writing past the end now reads as zeros.
  const std::uint64_t first = std::min(offset, old_size) / kPageBytes;
  for (std::uint64_t page = first; page * kPageBytes < end; ++page) inode.dirty_pages.insert(page);
}

std::string SimFileSystem::read_all(Handle file, const std::filesystem::path& path) {
  return inode_of(file, path).data;
}

void SimFileSystem::truncate(Handle file, const std::filesystem::path& path, std::uint64_t size) {
  Inode& inode = inode_of(file, path);
  maybe_crash();
  const std::uint64_t old_size = inode.data.size();
  inode.data.resize(size, '\0');
  for (std::uint64_t page = std::min(size, old_size) / kPageBytes;
       page * kPageBytes < std::max(size, old_size); ++page)
    inode.dirty_pages.insert(page);
}

void SimFileSystem::sync(Handle file, const std::filesystem::path& path) {
  sync_data(file, path);
}

void SimFileSystem::sync_data(Handle file, const std::filesystem::path& path) {
  Inode& inode = inode_of(file, path);
  maybe_crash();
  inode.durable = inode.data;
  inode.dirty_pages.clear();
}

void SimFileSystem::close(Handle file) noexcept {
  handles_.erase(file);
}

void SimFileSystem::rename(const std::filesystem::path& from, const std::filesystem::path& to) {
  maybe_crash();
  auto it = names_.find(from);
  if (it == names_.end())
    throw storage::StorageError(to.string() + ": cannot rename " + from.string() +
                                ": No such file or directory");
  std::shared_ptr<Inode> inode = it->second;
  set_name(to, inode);
  set_name(from, nullptr);
}

void SimFileSystem::sync_dir(const std::filesystem::path& dir) {
  maybe_crash();
  auto it = unsynced_names_.find(dir);
  if (it == unsynced_names_.end()) return;
  for (NameChange& change : it->second) {
    if (change.inode)
      durable_names_[change.name] = std::move(change.inode);
    else
      durable_names_.erase(change.name);
  }
  unsynced_names_.erase(it);
}

void SimFileSystem::make_dirs(const std::filesystem::path& dir) {
  for (std::filesystem::path d = dir; !d.empty(); d = d.parent_path()) {
    dirs_.insert(d);
    if (d == d.parent_path()) break;
  }
}

bool SimFileSystem::exists(const std::filesystem::path& path) {
  return names_.contains(path) || dirs_.contains(path);
}

void SimFileSystem::remove(const std::filesystem::path& path) noexcept {
  if (!down_ && names_.contains(path)) set_name(path, nullptr);
}

void SimFileSystem::process_crash() {
  handles_.clear();
  crash_countdown_ = 0;
  down_ = true;
}

std::uint64_t SimFileSystem::power_cut() {
  process_crash();
  // Names: per directory, the changes up to a random point since its last sync.
  for (auto& [dir, changes] : unsynced_names_) {
    const std::size_t kept = random_->below(changes.size() + 1);
    for (std::size_t i = 0; i < kept; ++i) {
      if (changes[i].inode)
        durable_names_[changes[i].name] = changes[i].inode;
      else
        durable_names_.erase(changes[i].name);
    }
  }
  unsynced_names_.clear();
  names_ = durable_names_;
  // Contents: the synced bytes, with any subset of the pages written since, at either size.
  std::uint64_t lost = 0;
  std::set<Inode*> seen;
  for (auto& [name, inode] : names_) {
    if (!seen.insert(inode.get()).second || inode->dirty_pages.empty()) continue;
    const std::uint64_t size = random_->chance(0.5) ? inode->data.size() : inode->durable.size();
    std::string after(size, '\0');
    std::copy_n(inode->durable.begin(), std::min<std::uint64_t>(size, inode->durable.size()),
                after.begin());
    for (std::uint64_t page : inode->dirty_pages) {
      const std::uint64_t begin = page * kPageBytes;
      if (begin >= size) continue;
      const std::uint64_t end = std::min({begin + kPageBytes, size, inode->data.size()});
      if (random_->chance(0.5)) {
        ++lost;
        continue;
      }
      if (end > begin)
        std::copy(inode->data.begin() + static_cast<std::ptrdiff_t>(begin),
                  inode->data.begin() + static_cast<std::ptrdiff_t>(end),
                  after.begin() + static_cast<std::ptrdiff_t>(begin));
    }
    inode->data = std::move(after);
    inode->durable = inode->data;
    inode->dirty_pages.clear();
  }
  return lost;
}

void SimFileSystem::wipe() {
  process_crash();
  names_.clear();
  durable_names_.clear();
  unsynced_names_.clear();
  dirs_.clear();
}

std::optional<std::string> SimFileSystem::content(const std::filesystem::path& path) const {
  auto it = names_.find(path);
  if (it == names_.end()) return std::nullopt;
  return it->second->data;
}

SimFileSystem::Inode& SimFileSystem::inode_of(Handle file, const std::filesystem::path& path) {
  auto it = handles_.find(file);
  if (it == handles_.end())
    throw storage::StorageError(path.string() + ": not open (handle " + std::to_string(file) + ")");
  return *it->second;
}

void SimFileSystem::maybe_crash() {
  if (crash_countdown_ == 0) return;
  if (--crash_countdown_ == 0) throw SimulatedCrash{};
}

void SimFileSystem::set_name(const std::filesystem::path& name, std::shared_ptr<Inode> inode) {
  if (inode)
    names_[name] = inode;
  else
    names_.erase(name);
  unsynced_names_[name.parent_path()].push_back(NameChange{name, std::move(inode)});
}

}  // namespace paxoskv::sim
