#include "storage/acceptor_store.hpp"

#include <boost/test/unit_test.hpp>

#include "storage/json_array_file.hpp"
#include "storage/storage_error.hpp"
#include "test_support.hpp"

namespace paxoskv::storage::test {
namespace {

namespace json = boost::json;

AcceptedEntry accepted(Slot slot, Ballot ballot, const std::string& value) {
  return AcceptedEntry{slot, ballot,
                       Command{Op::put, "k" + std::to_string(slot), value, {3, slot}}};
}

struct StateFixture {
  TempDir dir;
  std::filesystem::path path = dir.path() / "alpha_state.json";

  std::size_t records_in_file() { return parse_file(path).at("records").as_array().size(); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(acceptor_store)

BOOST_FIXTURE_TEST_CASE(new_store_is_empty_and_valid_json, StateFixture) {
  AcceptorStore store(dir.path(), "alpha");
  BOOST_TEST(store.promised().is_null());
  BOOST_TEST(store.accepted().empty());
  BOOST_TEST(parse_file(path).at("site") == "alpha");
  BOOST_TEST(records_in_file() == 0u);
}

BOOST_FIXTURE_TEST_CASE(records_survive_reopen_in_the_documented_shape, StateFixture) {
  {
    AcceptorStore store(dir.path(), "alpha");
    store.record(Ballot{3, 1}, {});
    BOOST_TEST(records_in_file() == 1u);
    store.record(std::nullopt, {accepted(5, {3, 1}, "v5"), accepted(6, {3, 1}, "v6")});
    BOOST_TEST(records_in_file() == 3u);
    store.record(Ballot{4, 0}, {accepted(6, {4, 0}, "v6b")});
    BOOST_TEST(records_in_file() == 5u);
    store.sync();
  }
  const json::array records = parse_file(path).at("records").as_array();
  BOOST_TEST(records[0] == (json::object{{"promised", json::array{3, 1}}}));
  BOOST_TEST(records[1] == (json::object{{"slot", 5},
                                         {"ballot", json::array{3, 1}},
                                         {"op", "put"},
                                         {"key", "k5"},
                                         {"value", "v5"},
                                         {"client", 3},
                                         {"seq", 5}}));
  AcceptorStore store(dir.path(), "alpha");
  BOOST_TEST((store.promised() == Ballot{4, 0}));
  const std::map<Slot, AcceptedEntry> expected{{5, accepted(5, {3, 1}, "v5")},
                                               {6, accepted(6, {4, 0}, "v6b")}};
  BOOST_TEST((store.accepted() == expected));
}

// Records written out of order (as a file may hold them) fold to the highest promise and the
// last accepted value per slot.
BOOST_FIXTURE_TEST_CASE(open_folds_highest_promise_and_last_accept_per_slot, StateFixture) {
  {
    JsonArrayFile raw;
    raw.open(path, "alpha", "records");
    auto promise = [](std::uint64_t round, int site) {
      return json::object{{"promised", json::array{round, site}}};
    };
    auto accept = [](Slot slot, std::uint64_t round, const char* value) {
      return json::object{{"slot", slot},   {"ballot", json::array{round, 0}},
                          {"op", "put"},    {"key", "k"},
                          {"value", value}, {"client", 1},
                          {"seq", 2}};
    };
    raw.append({promise(2, 0), accept(7, 2, "first"), promise(5, 1), promise(4, 2),
                accept(8, 2, "eight"), accept(7, 5, "second")});
  }
  AcceptorStore store(dir.path(), "alpha");
  BOOST_TEST((store.promised() == Ballot{5, 1}));
  BOOST_TEST_REQUIRE(store.accepted().size() == 2u);
  BOOST_TEST(store.accepted().at(7).command.value == "second");
  BOOST_TEST((store.accepted().at(7).ballot == Ballot{5, 0}));
  BOOST_TEST(store.accepted().at(8).command.value == "eight");
}

BOOST_FIXTURE_TEST_CASE(forgetting_a_few_slots_does_not_rewrite, StateFixture) {
  AcceptorStore store(dir.path(), "alpha", 64);
  store.record(Ballot{1, 0}, {});
  for (Slot s = 0; s < 20; ++s) store.record(std::nullopt, {accepted(s, {1, 0}, "x")});
  store.forget_below(15);
  BOOST_TEST(store.accepted().size() == 5u);
  BOOST_TEST(store.accepted().begin()->first == 15u);
  BOOST_TEST(records_in_file() == 21u);  // 21 <= 2 * 6 + 64: not worth a rewrite yet
}

BOOST_FIXTURE_TEST_CASE(dead_records_are_compacted_and_the_live_state_kept, StateFixture) {
  AcceptorStore store(dir.path(), "alpha", 64);
  store.record(Ballot{1, 2}, {});
  for (Slot s = 0; s < 1000; ++s) {
    store.record(s % 100 == 0 ? std::optional(Ballot{2 + s, 2}) : std::nullopt,
                 {accepted(s, {1 + s, 2}, "value " + std::to_string(s))});
  }
  const auto size_before = std::filesystem::file_size(path);
  store.forget_below(990);
  BOOST_TEST(records_in_file() == 11u);  // the promise and slots 990..999
  BOOST_TEST(std::filesystem::file_size(path) * 50 < size_before);
  BOOST_TEST(!std::filesystem::exists(path.string() + ".tmp"));

  const Ballot promised = store.promised();
  BOOST_TEST((promised == Ballot{902, 2}));
  store.record(std::nullopt, {accepted(1000, {903, 2}, "after")});
  const std::map<Slot, AcceptedEntry> live = store.accepted();
  BOOST_TEST(live.size() == 11u);

  AcceptorStore reopened(dir.path(), "alpha");
  BOOST_TEST((reopened.promised() == promised));
  BOOST_TEST((reopened.accepted() == live));
  BOOST_TEST(records_in_file() == 12u);
}

BOOST_FIXTURE_TEST_CASE(default_slack_does_not_rewrite_a_busy_file, StateFixture) {
  AcceptorStore store(dir.path(), "alpha");
  store.record(Ballot{1, 0}, {});
  for (Slot s = 0; s < 1000; ++s) store.record(std::nullopt, {accepted(s, {1, 0}, "x")});
  store.forget_below(1000);
  BOOST_TEST(store.accepted().empty());
  BOOST_TEST(records_in_file() == 1001u);  // 1001 <= 2 * 1 + 8192
  AcceptorStore reopened(dir.path(), "alpha");
  BOOST_TEST((reopened.promised() == Ballot{1, 0}));
}

BOOST_FIXTURE_TEST_CASE(torn_last_record_is_cut, StateFixture) {
  {
    AcceptorStore store(dir.path(), "alpha");
    store.record(Ballot{2, 1}, {accepted(0, {2, 1}, "kept")});
    store.record(Ballot{3, 1}, {});
    store.sync();
  }
  const std::string full = read_text(path);
  write_text(path, full.substr(0, full.size() - 6));  // inside {"promised":[3,1]}
  AcceptorStore store(dir.path(), "alpha");
  BOOST_TEST(store.repaired());
  BOOST_TEST((store.promised() == Ballot{2, 1}));
  BOOST_TEST(store.accepted().at(0).command.value == "kept");
  BOOST_TEST(records_in_file() == 2u);
}

BOOST_FIXTURE_TEST_CASE(record_of_unknown_shape_is_refused, StateFixture) {
  {
    JsonArrayFile raw;
    raw.open(path, "alpha", "records");
    raw.append({json::object{{"promised", json::array{1, 0}}}, json::object{{"hello", 1}}});
  }
  const std::string msg = storage_error_of([&] { AcceptorStore(dir.path(), "alpha"); });
  BOOST_TEST(contains(msg, "alpha_state.json: line 3: record 1: neither a promise"), msg);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace paxoskv::storage::test
