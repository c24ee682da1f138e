#pragma once

#include <algorithm>
#include <filesystem>
#include <string>

#include "storage/storage_error.hpp"

namespace paxoskv::storage {

// The one safe way to start a site empty, which every refusal names, because the site never
// resets a file by itself. A site's files go together: with none of them (a wiped disk) a voter
// recovers from its peers before it votes again (README, "A voter that lost its files"), while
// one file without the others is damage and refused. The data directory may be shared by the
// sites of one machine, so the advice names this site's files rather than the directory alone.
inline std::string start_empty_advice(const std::filesystem::path& dir, const std::string& site) {
  auto file = [&](const char* suffix) { return (dir / (site + suffix)).string(); };
  return "to start this site empty, delete all of its files (" + file("_state.json") + ", " +
         file("_log.json") + ", " + file("_snapshot.json") + " and " + file(".json") +
         "; its whole data directory if no other site uses it) and restart it: it recovers from "
         "its peers before it votes";
}

// The site a data file belongs to: the files are named SITE_state.json, SITE_log.json and
// SITE_snapshot.json, and a site name has no '.'.
inline std::string site_of_data_file(const std::filesystem::path& path) {
  std::string name = path.filename().string();
  name.erase(std::min(name.find('.'), name.size()));
  const auto kind = name.rfind('_');
  return kind == std::string::npos ? name : name.substr(0, kind);
}

// A file whose content cannot be trusted: "<path>: <what>; refusing to start — ...".
[[noreturn]] inline void refuse_corrupt(const std::filesystem::path& path,
                                        const std::string& what) {
  throw StorageError(path.string() + ": " + what + "; refusing to start — " +
                     start_empty_advice(path.parent_path(), site_of_data_file(path)));
}

}  // namespace paxoskv::storage
