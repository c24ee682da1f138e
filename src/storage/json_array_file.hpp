#pragma once

#include <boost/json/fwd.hpp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "storage/file_system.hpp"

namespace paxoskv::storage {

// Which bad tails open() cuts off as the remains of a torn append.
enum class TailRule {
  // Any bad line with no valid element after it.
  any_bad_tail,
  // Only what a torn append can leave: a tail with no closing brackets after it, or with NUL
  // bytes (a write that never reached the disk). A bad last line followed by the intact
  // closing "]}" was written whole and damaged later: refused, since cutting it would drop
  // the newest element (for the acceptor state, perhaps a promise already made).
  torn_append_only,
};

// Decides whether the elements from `index` on, the first of them damaged and lines that parse
// after it, may be the remains of writes a power cut tore: appends whose fsync never returned
// lose any subset of their pages, a later one kept and an earlier one lost. Only the file's
// owner knows how far its file was known durable (a durable point it recorded, the batch its
// last fsync covered). `before` holds the good elements ahead of `index`, `after` the lines
// after the damage that parse as elements; `lines` counts the lines from `index` to the end of
// the document. Damage it does not vouch for is refused.
using UnsyncedTail =
    std::function<bool(std::size_t index, const std::vector<boost::json::object>& before,
                       const std::vector<boost::json::object>& after, std::size_t lines)>;

// Called with the elements a repair would keep, before it writes anything: it throws
// (StorageError) when keeping only those would lose what the owner knows was durable.
using KeptCheck = std::function<void(const std::vector<boost::json::object>& kept)>;

// A file that is always one valid JSON document and yet grows by appending:
//
//   {"site":"alpha","<array key>":[
//   {...first element...}
//   ,{...next element...}
//   ]}
//
// One element per line. An append overwrites the closing "]}\n" with ",{...}\n]}\n" using
// pwrite at the end, so its cost does not depend on the file size. A crash can tear only the
// last write; on open, a tail that does not parse (with no valid element after it) is cut off
// and the closing brackets restored. A bad line followed by good ones is corruption, unless
// the owner's UnsyncedTail says a power cut may have left it: then it is cut off with all that
// follows. Otherwise open() throws StorageError naming the file and the line.
class JsonArrayFile {
 public:
  // Its file lives in `fs`.
  explicit JsonArrayFile(FileSystem& fs = posix_file_system()) : fs_(&fs) {}
  JsonArrayFile(const JsonArrayFile&) = delete;
  JsonArrayFile& operator=(const JsonArrayFile&) = delete;
  JsonArrayFile(JsonArrayFile&&) noexcept;
  JsonArrayFile& operator=(JsonArrayFile&&) noexcept;
  ~JsonArrayFile();

  // Opens `path`, creating it (atomically: temp file, fsync, rename, fsync dir) if absent.
  // Checks that the header names `site` and `array_key`. Returns the elements in order.
  std::vector<boost::json::object> open(const std::filesystem::path& path, const std::string& site,
                                        const std::string& array_key,
                                        TailRule rule = TailRule::any_bad_tail,
                                        std::size_t reserve = 0,
                                        const UnsyncedTail& unsynced = nullptr,
                                        const KeptCheck& before_cut = nullptr);

  // Keeps the first `count` elements and cuts the rest off, durably: for damage that parses as
  // JSON and that only the owner sees (a hash, a checksum), when its UnsyncedTail vouches that
  // a power cut may have left it.
  void cut_to(std::size_t count);
  // Whether the bytes from element `index` on hold what only a torn write leaves (a sector of
  // padding, a hole, stale closing brackets), not what a flipped bit does.
  bool shows_torn_write_from(std::size_t index) const;

  void append(const std::vector<boost::json::object>& elements);
  // The same for elements already in JSON text, one object each (json_text.hpp), on one line.
  void append_text(const std::vector<std::string>& elements);
  void sync();  // fdatasync: the data, and the size when it changed
  // Replaces the whole file atomically with `elements` (temp file, fsync, rename, fsync dir).
  void rewrite(const std::vector<boost::json::object>& elements);
  // The same for elements already in JSON text, as append_text takes them.
  void rewrite_text(const std::vector<std::string>& elements);

  // rewrite_text in two steps, so that the writing and its fsync can leave the owner's thread.
  // stage_text builds the replacement of the file at `path` in a temp file beside it, written
  // and fsynced with its padding, and returns it open; it touches no JsonArrayFile, so it may
  // run on another thread while the owner keeps appending to the old file. The owner may then
  // append to the staged file and sync it, and calls put_in_place to rename it over the old
  // one. A staged file dropped before that removes its temp file.
  // `copied` (from read_element_lines) follows `elements`.
  static JsonArrayFile stage_text(FileSystem& fs, const std::filesystem::path& path,
                                  const std::string& site, const std::string& array_key,
                                  const std::vector<std::string>& elements, std::size_t reserve = 0,
                                  std::string_view copied = {});
  void put_in_place();
  // Elements [first, last) of the file at `path` as stored, one line each, without the comma
  // that leads all but a file's first element. Read through a descriptor of its own, so it may
  // run on another thread while the owner appends: an append never rewrites an element line.
  // Throws StorageError if the file has fewer elements.
  static std::string read_element_lines(FileSystem& fs, const std::filesystem::path& path,
                                        std::size_t first, std::size_t last);

  const std::filesystem::path& path() const { return path_; }
  FileSystem& file_system() const { return *fs_; }
  // True when open() cut a torn tail off (and restored the closing brackets).
  bool repaired() const { return repaired_; }
  // Elements open() cut off after a damaged one, as a power cut's unsynced tail.
  std::size_t elements_cut() const { return elements_cut_; }

 private:
  void write_tail(std::string_view bytes);     // over the closing brackets, which `bytes` ends in
  void drop_staged() noexcept;                 // removes the temp file of a staged file
  const std::filesystem::path& where() const;  // the file fd_ is open on, for messages

  FileSystem* fs_;
  std::filesystem::path path_;
  std::string site_;
  std::string array_key_;
  std::size_t reserve_ = 0;
  FileSystem::Handle fd_ = FileSystem::kNoHandle;
  std::uint64_t size_ = 0;       // bytes of the document, closing brackets included
  std::uint64_t allocated_ = 0;  // bytes in the file: the document, then spaces
  std::size_t elements_ = 0;     // so the first element gets no leading comma
  bool repaired_ = false;
  std::size_t elements_cut_ = 0;
  bool staged_ = false;  // the file is still path_'s temp file, temp_path_ (stage_text)
  std::filesystem::path temp_path_;
};

// What a JSON array file holds, read without changing it (for tools such as paxoskv-verify).
struct ArrayFileContents {
  std::vector<boost::json::object> elements;
  bool torn_tail = false;  // the last write was torn: JsonArrayFile::open() would cut it off
};

// Reads `path` read-only and checks it exactly as JsonArrayFile::open() does, without creating
// or repairing anything. Throws StorageError naming the file (and the line) if the file cannot
// be read or is corrupt beyond a torn tail.
ArrayFileContents read_array_file(const std::filesystem::path& path, const std::string& site,
                                  const std::string& array_key,
                                  TailRule rule = TailRule::any_bad_tail,
                                  FileSystem& fs = posix_file_system());

}  // namespace paxoskv::storage
