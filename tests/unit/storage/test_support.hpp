#pragma once

// Helpers shared by the storage tests: a private temp directory per test and whole-file
// reads and writes, so a test can tear or corrupt a file the way a crash or a disk would.

#include <stdlib.h>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "storage/storage_error.hpp"

namespace paxoskv::storage::test {

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "paxoskv-storage-XXXXXX").string();
    char* made = ::mkdtemp(pattern.data());
    BOOST_TEST_REQUIRE(made != nullptr);
    path_ = made;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  BOOST_TEST_REQUIRE(in.good(), "cannot read " << path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_text(const std::filesystem::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  BOOST_TEST_REQUIRE(out.good(), "cannot write " << path);
}

// The file without the spaces a JsonArrayFile keeps written ahead of its appends (its
// `reserve`): the document, which is what a crash can tear.
inline std::string read_document(const std::filesystem::path& path) {
  std::string text = read_text(path);
  text.erase(text.find_last_not_of(' ') + 1);
  return text;
}

// The whole file as one JSON document, as jq would read it; fails the test if it is not.
inline boost::json::value parse_file(const std::filesystem::path& path) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(read_text(path), ec);
  BOOST_TEST_REQUIRE(!ec, path << " is not one JSON document: " << ec.message());
  return v;
}

// Runs `f`, requires it to throw StorageError, and returns the message.
template <typename F>
std::string storage_error_of(F&& f) {
  try {
    f();
  } catch (const StorageError& e) {
    return e.what();
  }
  BOOST_FAIL("expected a StorageError");
  return "";
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace paxoskv::storage::test
