#include "storage/kv_file.hpp"

#include <boost/json.hpp>

#include "storage/posix_file.hpp"

namespace paxoskv::storage {

void write_kv_file(const std::filesystem::path& dir, const std::string& site,
                   const std::map<std::string, std::string>& kv) {
  // boost::json::object keeps insertion order, so the map's order makes the file sorted by key.
  boost::json::object o;
  o.reserve(kv.size());
  for (const auto& [key, value] : kv) o.emplace(key, value);
  std::string content = boost::json::serialize(o);
  content += '\n';
  posix::make_dirs(dir);
  posix::replace_atomically(dir / (site + ".json"), content, false);
}

}  // namespace paxoskv::storage
