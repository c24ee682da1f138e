#pragma once

#include <filesystem>
#include <map>
#include <string>

namespace paxoskv::storage {

// DIR/SITE.json: the applied key-value map as a plain JSON object, replaced atomically
// (temp file, fsync, rename). It is a view for people and tools; recovery replays the log.
void write_kv_file(const std::filesystem::path& dir, const std::string& site,
                   const std::map<std::string, std::string>& kv);

}  // namespace paxoskv::storage
