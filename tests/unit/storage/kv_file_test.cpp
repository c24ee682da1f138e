#include "storage/kv_file.hpp"

#include <boost/test/unit_test.hpp>

#include "test_support.hpp"

namespace paxoskv::storage::test {

BOOST_AUTO_TEST_SUITE(kv_file)

BOOST_AUTO_TEST_CASE(map_is_written_as_one_sorted_json_object) {
  TempDir dir;
  const std::filesystem::path site_dir = dir.path() / "data";
  write_kv_file(site_dir, "alpha",
                KvMap{{"zeta", "last"}, {"alpha", "two words"}, {"q\"uote", "line\nbreak"}});
  const std::filesystem::path path = site_dir / "alpha.json";
  BOOST_TEST(read_text(path) ==
             "{\"alpha\":\"two words\",\"q\\\"uote\":\"line\\nbreak\",\"zeta\":\"last\"}\n");
  const boost::json::object o = parse_file(path).as_object();
  BOOST_TEST(o.at("q\"uote") == "line\nbreak");
  BOOST_TEST(!std::filesystem::exists(path.string() + ".tmp"));
}

BOOST_AUTO_TEST_CASE(each_write_replaces_the_whole_file) {
  TempDir dir;
  const std::filesystem::path path = dir.path() / "beta.json";
  write_kv_file(dir.path(), "beta", KvMap{{"a", "1"}, {"b", "2"}, {"c", "3"}});
  write_kv_file(dir.path(), "beta", KvMap{{"b", "20"}});
  BOOST_TEST(read_text(path) == "{\"b\":\"20\"}\n");
  write_kv_file(dir.path(), "beta", KvMap{});
  BOOST_TEST(read_text(path) == "{}\n");
}

BOOST_AUTO_TEST_CASE(unwritable_directory_is_an_error_naming_it) {
  TempDir dir;
  const std::filesystem::path blocker = dir.path() / "file";
  write_text(blocker, "not a directory");
  const std::string msg = storage_error_of([&] { write_kv_file(blocker, "alpha", KvMap{}); });
  BOOST_TEST(contains(msg, blocker.string()), msg);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace paxoskv::storage::test
