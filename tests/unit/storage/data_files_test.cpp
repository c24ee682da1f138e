#include "storage/data_files.hpp"

#include <boost/test/unit_test.hpp>
#include <string>
#include <utility>
#include <vector>

#include "storage/acceptor_store.hpp"
#include "storage/log_store.hpp"
#include "storage/storage_error.hpp"
#include "test_support.hpp"

namespace paxoskv::storage::test {
namespace {

struct DataDirFixture {
  TempDir dir;
  std::filesystem::path state = dir.path() / "alpha_state.json";
  std::filesystem::path log = dir.path() / "alpha_log.json";

  // The files of a site that has promised, accepted and decided something.
  void make_used_site() {
    AcceptorStore acceptor(dir.path(), "alpha");
    Command c{Op::put, "k", "v", {3, 1}};
    acceptor.record(Ballot{2, 0}, {AcceptedEntry{0, Ballot{2, 0}, c}});
    acceptor.sync();
    LogStore store(dir.path(), "alpha");
    store.append({LogEntry{0, c, chain_hash(0, c, genesis_hash)}});
    store.sync();
  }
  std::string refusal() {
    return storage_error_of([&] { check_data_files(dir.path(), "alpha"); });
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(data_files)

BOOST_FIXTURE_TEST_CASE(a_fresh_directory_passes_and_nothing_is_created, DataDirFixture) {
  BOOST_TEST(&check_data_files(dir.path(), "alpha") == &dir.path());
  BOOST_TEST(std::filesystem::is_empty(dir.path()));
}

BOOST_FIXTURE_TEST_CASE(both_files_present_pass, DataDirFixture) {
  make_used_site();
  BOOST_CHECK_NO_THROW(check_data_files(dir.path(), "alpha"));
}

BOOST_FIXTURE_TEST_CASE(missing_log_next_to_a_used_state_is_refused, DataDirFixture) {
  make_used_site();
  std::filesystem::remove(log);
  const std::string e = refusal();
  BOOST_TEST(contains(e, log.string() + ": missing"), e);
  BOOST_TEST(contains(e, "delete all of its files (" + state.string() + ", " + log.string()), e);
  BOOST_TEST(contains(e, "recovers from its peers before it votes"), e);
  BOOST_TEST(!std::filesystem::exists(log), "the check creates nothing");
}

BOOST_FIXTURE_TEST_CASE(missing_state_next_to_a_log_is_refused, DataDirFixture) {
  make_used_site();
  std::filesystem::remove(state);
  const std::string e = refusal();
  BOOST_TEST(contains(e, state.string() + ": missing"), e);
  BOOST_TEST(contains(e, "delete all of its files (" + state.string() + ", " + log.string()), e);
  BOOST_TEST(!std::filesystem::exists(state));
}

BOOST_FIXTURE_TEST_CASE(missing_state_next_to_an_empty_log_is_refused_too, DataDirFixture) {
  { LogStore store(dir.path(), "alpha"); }
  BOOST_TEST(contains(refusal(), state.string() + ": missing"));
}

// A fresh site killed after creating its state file and before its log: nothing to lose.
BOOST_FIXTURE_TEST_CASE(missing_log_next_to_a_state_without_records_passes, DataDirFixture) {
  { AcceptorStore acceptor(dir.path(), "alpha"); }
  BOOST_CHECK_NO_THROW(check_data_files(dir.path(), "alpha"));
}

// A torn first promise may have been fsynced whole in an earlier run: not "no records".
BOOST_FIXTURE_TEST_CASE(missing_log_next_to_a_torn_or_corrupt_state_is_refused, DataDirFixture) {
  write_text(state, "{\"site\":\"alpha\",\"records\":[\n{\"promised\":[2,");
  BOOST_TEST(contains(refusal(), log.string() + ": missing"));
  write_text(state, "[]");
  BOOST_TEST(contains(refusal(), log.string() + ": missing"));
}

// Every file that is JSON of the wrong shape is refused by its store, naming the file and the
// shape it has.
BOOST_FIXTURE_TEST_CASE(wrong_json_types_are_refused_naming_the_file, DataDirFixture) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[]", "is a JSON array"},
      {"\"x\"", "is a JSON string"},
      {"null", "is JSON null"},
      {"{}", "has no \"ARRAY\" array"},
      {"{\"site\":\"alpha\"}\n", "has no \"ARRAY\" array"}};
  auto expected = [](std::string what, const std::string& array) {
    if (std::size_t at = what.find("ARRAY"); at != std::string::npos) what.replace(at, 5, array);
    return what;
  };
  for (const auto& [body, what] : cases) {
    write_text(state, body);
    std::string e = storage_error_of([&] { AcceptorStore acceptor(dir.path(), "alpha"); });
    BOOST_TEST(contains(e, state.string() + ": line 1: " + expected(what, "records")), e);
    BOOST_TEST(read_text(state) == body, "a refused file is left alone");
    write_text(log, body);
    e = storage_error_of([&] { LogStore store(dir.path(), "alpha"); });
    BOOST_TEST(contains(e, log.string() + ": line 1: " + expected(what, "entries")), e);
    BOOST_TEST(read_text(log) == body);
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace paxoskv::storage::test
