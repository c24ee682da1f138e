#pragma once

#include <filesystem>
#include <string>

#include "storage/file_system.hpp"

namespace paxoskv::storage {

// Checks, before the stores open (and would create) them, that DIR/SITE_state.json and
// DIR/SITE_log.json are either both present or both absent. One without the other means a
// file was lost or moved away: opening would silently start that file empty (a log reset, or
// an acceptor that forgot its promises), so it throws StorageError naming the missing file
// and how to recover. The one exception is a state file that holds no record at all next to
// a missing log: a fresh site stopped between creating its two files, with nothing promised
// that could be lost. A snapshot file without the state file is refused the same way.
// Returns `dir`, so the site can call it in its member initializers.
const std::filesystem::path& check_data_files(const std::filesystem::path& dir,
                                              const std::string& site,
                                              FileSystem& fs = posix_file_system());

}  // namespace paxoskv::storage
