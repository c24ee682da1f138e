#pragma once

#include <filesystem>
#include <string>

#include "storage/storage_error.hpp"

namespace paxoskv::storage {

// A file whose content cannot be trusted: "<path>: <what>; refusing to start — ...". The hint
// tells the user the only safe way on, because the site never resets a file by itself.
[[noreturn]] inline void refuse_corrupt(const std::filesystem::path& path,
                                        const std::string& what) {
  throw StorageError(path.string() + ": " + what +
                     "; refusing to start — move the file away to start this site empty");
}

}  // namespace paxoskv::storage
