#include <boost/test/unit_test.hpp>

#include "storage/members_file.hpp"
#include "test_support.hpp"

using namespace paxoskv;
using namespace paxoskv::storage;
using namespace paxoskv::storage::test;

namespace {

KnownMembers joined_delta() {
  KnownMembers m;
  m.initial = Cluster({{"alpha", "127.0.0.1", 5001, Role::voter},
                       {"beta", "127.0.0.1", 5002, Role::voter},
                       {"gamma", "127.0.0.1", 5003, Role::voter}});
  m.latest = Cluster({{"alpha", "127.0.0.1", 5001, Role::voter},
                      {"beta", "127.0.0.1", 5002, Role::removed},
                      {"gamma", "127.0.0.1", 5003, Role::voter},
                      {"delta", "127.0.0.1", 5004, Role::joining}});
  return m;
}

// The StorageError that reading delta's members file throws.
std::string refusal(const TempDir& dir) {
  try {
    read_members_file(dir.path(), "delta");
  } catch (const StorageError& e) {
    return e.what();
  }
  BOOST_FAIL("the file was accepted");
  return "";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(members_file)

BOOST_AUTO_TEST_CASE(round_trips_as_one_json_document_and_leaves_no_temp_file) {
  TempDir dir;
  BOOST_TEST(!read_members_file(dir.path(), "delta").has_value());
  write_members_file(dir.path() / "sub", "delta", joined_delta());
  const auto path = dir.path() / "sub" / "delta_members.json";
  BOOST_TEST(members_path(dir.path() / "sub", "delta") == path);
  BOOST_TEST(boost::json::parse(read_text(path)).is_object());
  BOOST_TEST(!std::filesystem::exists(path.string() + ".tmp"));
  auto read = read_members_file(dir.path() / "sub", "delta");
  BOOST_TEST_REQUIRE(read.has_value());
  BOOST_TEST((*read == joined_delta()));
}

BOOST_AUTO_TEST_CASE(a_truncated_or_corrupt_file_is_refused_naming_it_never_reset) {
  TempDir dir;
  write_members_file(dir.path(), "delta", joined_delta());
  const auto path = members_path(dir.path(), "delta");
  const std::string whole = read_text(path);
  const std::string advice =
      "; refusing to start — delete this file and start delta with --join "
      "HOST:PORT to learn the cluster's configuration again";

  write_text(path, whole.substr(0, whole.size() / 2));
  std::string what = refusal(dir);
  BOOST_TEST(what.rfind(path.string() + ": not JSON: ", 0) == 0u, what);
  BOOST_TEST(what.find(advice) != std::string::npos, what);

  write_text(path, "");
  BOOST_TEST(refusal(dir).rfind(path.string() + ": not JSON: ", 0) == 0u);

  std::string bad_role = whole;
  bad_role.replace(bad_role.find("\"joining\""), 9, "\"boss\"");
  write_text(path, bad_role);
  BOOST_TEST(refusal(dir) ==
             path.string() + ": latest: site delta has an unknown role 'boss'" + advice);

  // Another site's file, or one from before delta was added, does not name it.
  KnownMembers without = joined_delta();
  without.latest = without.initial;
  write_text(path, encode_known_members(without));
  BOOST_TEST(refusal(dir) ==
             path.string() + ": its latest configuration has no member delta" + advice);
  // Nothing was rewritten by the refusals.
  BOOST_TEST(read_text(path) == encode_known_members(without));
}

BOOST_AUTO_TEST_SUITE_END()
