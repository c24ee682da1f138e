#pragma once

#include <filesystem>
#include <string>

#include "paxoskv/kv_map.hpp"
#include "storage/file_system.hpp"

namespace paxoskv::storage {

// DIR/SITE.json: the applied key-value map as a plain JSON object, replaced atomically
// (temp file, rename). It is a view for people and tools; recovery replays the log. With
// `durable` the temp file and the directory are fsynced around the rename (shutdown); without
// it (the periodic rewrites of a running site) the rename alone keeps the file whole, and a
// file lost to a power failure is rewritten from the log at the next start.
void write_kv_file(const std::filesystem::path& dir, const std::string& site, const KvCopy& kv,
                   bool durable = true, FileSystem& fs = posix_file_system());
void write_kv_file(const std::filesystem::path& dir, const std::string& site, const KvMap& kv,
                   bool durable = true, FileSystem& fs = posix_file_system());

}  // namespace paxoskv::storage
