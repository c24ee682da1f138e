#include "storage/data_files.hpp"

#include <boost/json.hpp>

#include "storage/corruption.hpp"
#include "storage/json_array_file.hpp"
#include "storage/storage_error.hpp"

namespace paxoskv::storage {

namespace {

// A state file exactly as a fresh site creates it: the header and no records. Anything that
// does not read cleanly is not: its own open reports what is wrong with it.
bool holds_no_records(const std::filesystem::path& state, const std::string& site, FileSystem& fs) {
  try {
    ArrayFileContents contents =
        read_array_file(state, site, "records", TailRule::any_bad_tail, fs);
    return contents.elements.empty() && !contents.torn_tail;
  } catch (const StorageError&) {
    return false;
  }
}

// One file without the other is damage, not a wiped disk: a voter started on what is left
// would trust it and vote with part of its memory gone.
[[noreturn]] void refuse_missing(const std::filesystem::path& missing,
                                 const std::filesystem::path& present, const std::string& what) {
  throw StorageError(missing.string() + ": missing, but " + present.string() +
                     " exists; refusing to start, since starting without it would " + what +
                     ". Put it back if you can; else, " +
                     start_empty_advice(missing.parent_path(), site_of_data_file(missing)));
}

}  // namespace

const std::filesystem::path& check_data_files(const std::filesystem::path& dir,
                                              const std::string& site, FileSystem& fs) {
  const std::filesystem::path state = dir / (site + "_state.json");
  const std::filesystem::path log = dir / (site + "_log.json");
  const bool has_state = fs.exists(state);
  const bool has_log = fs.exists(log);
  const std::filesystem::path snapshot = dir / (site + "_snapshot.json");
  if (fs.exists(snapshot) && !has_state)
    refuse_missing(state, snapshot, "forget every promise and accepted value of this acceptor");
  if (has_state && !has_log && !holds_no_records(state, site, fs))
    refuse_missing(log, state, "silently reset the decided log");
  if (has_log && !has_state)
    refuse_missing(state, log, "forget every promise and accepted value of this acceptor");
  return dir;
}

}  // namespace paxoskv::storage
