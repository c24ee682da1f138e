#include "storage/members_file.hpp"

#include "storage/storage_error.hpp"

namespace paxoskv::storage {

namespace {

// Learning the configuration again is safe: it only tells the site who the others are, and
// the cluster's own log says the rest.
[[noreturn]] void refuse(const std::filesystem::path& path, const std::string& site,
                         const std::string& what) {
  throw StorageError(path.string() + ": " + what + "; refusing to start — delete this file and " +
                     "start " + site + " with --join HOST:PORT to learn the cluster's " +
                     "configuration again");
}

}  // namespace

std::filesystem::path members_path(const std::filesystem::path& dir, const std::string& site) {
  return dir / (site + "_members.json");
}

void write_members_file(const std::filesystem::path& dir, const std::string& site,
                        const KnownMembers& members, FileSystem& fs) {
  fs.make_dirs(dir);
  replace_atomically(fs, members_path(dir, site), encode_known_members(members) + "\n", false);
}

std::optional<KnownMembers> read_members_file(const std::filesystem::path& dir,
                                              const std::string& site, FileSystem& fs) {
  const std::filesystem::path path = members_path(dir, site);
  std::optional<std::string> text = read_file(fs, path);
  if (!text) return std::nullopt;
  auto decoded = decode_known_members(*text);
  if (const std::string* e = std::get_if<std::string>(&decoded)) refuse(path, site, *e);
  KnownMembers members = std::get<KnownMembers>(std::move(decoded));
  if (!members.latest.find(site))
    refuse(path, site, "its latest configuration has no member " + site);
  return members;
}

}  // namespace paxoskv::storage
