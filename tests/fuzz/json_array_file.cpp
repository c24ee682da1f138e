// libFuzzer target: the JsonArrayFile open path on an arbitrary file. The outcome must be a
// StorageError (refused, file left alone) or the elements. Then: the read-only reader agreed
// on both; the file is one JSON document (as jq reads it); a second open finds the same
// elements and nothing to repair; and appending works from there.

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "storage/json_array_file.hpp"
#include "storage/storage_error.hpp"

namespace {

using paxoskv::fuzz::fuzz_check;
using paxoskv::storage::StorageError;

const std::string kName = "alpha_log.json";
const std::string kKey = "entries";

std::optional<paxoskv::storage::ArrayFileContents> read_only(const std::filesystem::path& path) {
  try {
    return paxoskv::storage::read_array_file(path, paxoskv::fuzz::kSite, kKey);
  } catch (const StorageError&) {
    return std::nullopt;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fuzz = paxoskv::fuzz;
  static const fuzz::ScratchDir dir;
  const std::string input(fuzz::as_text(data, size));
  dir.put(kName, input);
  const std::filesystem::path path = dir.path() / kName;

  auto seen = read_only(path);
  fuzz_check(dir.read(kName) == input, "the read-only reader changes nothing");
  std::vector<boost::json::object> elements;
  bool repaired = false;
  try {
    paxoskv::storage::JsonArrayFile file;
    elements = file.open(path, fuzz::kSite, kKey);
    repaired = file.repaired();
  } catch (const StorageError&) {
    fuzz_check(!seen.has_value(), "open refuses only what the reader refuses");
    fuzz_check(dir.read(kName) == input, "a refused file is left alone");
    return 0;
  }
  fuzz_check(seen.has_value(), "open accepts only what the reader accepts");
  fuzz_check(seen->elements == elements, "open and the reader find the same elements");
  fuzz_check(seen->torn_tail == repaired, "open repairs exactly a torn tail");
  fuzz_check(repaired || dir.read(kName) == input, "an intact file is not rewritten");

  boost::system::error_code ec;
  boost::json::parse(dir.read(kName), ec);
  fuzz_check(!ec, "after open the file is one JSON document");

  paxoskv::storage::JsonArrayFile again;
  fuzz_check(again.open(path, fuzz::kSite, kKey) == elements, "reopen finds the same elements");
  fuzz_check(!again.repaired(), "a repaired file needs no second repair");
  again.append({boost::json::object{{"n", 1}}});
  paxoskv::storage::JsonArrayFile third;
  std::vector<boost::json::object> after = third.open(path, fuzz::kSite, kKey);
  fuzz_check(after.size() == elements.size() + 1, "an append after open is kept");
  return 0;
}
