#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "core/members_json.hpp"
#include "storage/file_system.hpp"

namespace paxoskv::storage {

// DIR/SITE_members.json: what a site started with --join learned of the cluster before its
// first start, so that it restarts without asking anyone. It holds the site's KnownMembers
// (core/members_json.hpp): the initial configuration, from which its log replays, and the
// latest one it was told, which names it. Written once, atomically (temp file, fsync, rename,
// fsync of the directory), before any other file of the site.
std::filesystem::path members_path(const std::filesystem::path& dir, const std::string& site);
void write_members_file(const std::filesystem::path& dir, const std::string& site,
                        const KnownMembers& members, FileSystem& fs = posix_file_system());
// nullopt when there is no such file. A file that does not decode, or whose latest
// configuration does not hold `site`, is refused with a StorageError naming the file, what is
// wrong and how to start again: it is never silently replaced.
std::optional<KnownMembers> read_members_file(const std::filesystem::path& dir,
                                              const std::string& site,
                                              FileSystem& fs = posix_file_system());

}  // namespace paxoskv::storage
