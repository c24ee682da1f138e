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
  for (const json::value& r : records) {
    // Each record ends with its checksum: 16 hex digits (tested for damage below).
    const json::object& o = r.as_object();
    BOOST_TEST_REQUIRE(o.contains("checksum"));
    BOOST_TEST(o.at("checksum").as_string().size() == 16u);
    BOOST_TEST((std::prev(o.end())->key() == "checksum"));
  }
  auto without_checksum = [&](std::size_t i) {
    json::object o = records[i].as_object();
    o.erase("checksum");
    return o;
  };
  // The first record of each append says how many records the append wrote.
  BOOST_TEST(without_checksum(0) == (json::object{{"promised", json::array{3, 1}}, {"batch", 1}}));
  BOOST_TEST(without_checksum(1) == (json::object{{"slot", 5},
                                                  {"ballot", json::array{3, 1}},
                                                  {"op", "put"},
                                                  {"key", "k5"},
                                                  {"value", "v5"},
                                                  {"client", 3},
                                                  {"seq", 5},
                                                  {"batch", 2}}));
  BOOST_TEST(without_checksum(2).size() == 7u);  // not the first of its append
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
  BOOST_TEST(records_in_file() == 21u);  // the durable point waits for the next append or sync
  store.sync();
  // 21 and the log's durable point; 22 <= 2 * 7 + 64: not worth a rewrite yet
  BOOST_TEST(records_in_file() == 22u);
}

BOOST_FIXTURE_TEST_CASE(dead_records_are_compacted_and_the_live_state_kept, StateFixture) {
  AcceptorStore store(dir.path(), "alpha", 64);
  store.record(Ballot{1, 2}, {});
  for (Slot s = 0; s < 1000; ++s) {
    store.record(s % 100 == 0 ? std::optional(Ballot{2 + s, 2}) : std::nullopt,
                 {accepted(s, {1 + s, 2}, "value " + std::to_string(s))});
  }
  const auto size_before = read_document(path).size();  // the padding after it aside
  store.forget_below(990);
  BOOST_TEST(records_in_file() == 12u);  // the promise, the durable point and slots 990..999
  BOOST_TEST(read_document(path).size() * 50 < size_before);
  BOOST_TEST(!std::filesystem::exists(path.string() + ".tmp"));

  const Ballot promised = store.promised();
  BOOST_TEST((promised == Ballot{902, 2}));
  store.record(std::nullopt, {accepted(1000, {903, 2}, "after")});
  const std::map<Slot, AcceptedEntry> live = store.accepted();
  BOOST_TEST(live.size() == 11u);

  AcceptorStore reopened(dir.path(), "alpha");
  BOOST_TEST((reopened.promised() == promised));
  BOOST_TEST((reopened.accepted() == live));
  BOOST_TEST((reopened.log_durable() == std::optional<Slot>(990)));
  BOOST_TEST(records_in_file() == 13u);
}

BOOST_FIXTURE_TEST_CASE(default_slack_does_not_rewrite_a_busy_file, StateFixture) {
  AcceptorStore store(dir.path(), "alpha");
  store.record(Ballot{1, 0}, {});
  for (Slot s = 0; s < 1000; ++s) store.record(std::nullopt, {accepted(s, {1, 0}, "x")});
  store.forget_below(1000);
  store.sync();
  BOOST_TEST(store.accepted().empty());
  BOOST_TEST(records_in_file() == 1002u);  // with the durable point: 1002 <= 2 * 2 + 8192
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
  const std::string full = read_document(path);
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

BOOST_FIXTURE_TEST_CASE(a_recovery_is_pending_until_done_follows_its_promise, StateFixture) {
  {
    AcceptorStore store(dir.path(), "alpha");
    BOOST_TEST(store.blank());
    BOOST_TEST(!store.recovery_pending());
    store.record_recovery_pending();  // durable on return: no sync() before the reopen
  }
  {
    AcceptorStore store(dir.path(), "alpha");
    BOOST_TEST(!store.blank());
    BOOST_TEST(store.recovery_pending());
    store.record(Ballot{4, 2}, {}, true);
    store.sync();
  }
  AcceptorStore store(dir.path(), "alpha");
  BOOST_TEST(!store.recovery_pending());
  BOOST_TEST((store.promised() == Ballot{4, 2}));
  // The promise first, "done" after it, in one append.
  const json::array records = parse_file(path).at("records").as_array();
  BOOST_TEST_REQUIRE(records.size() == 3u);
  BOOST_TEST(records[0].at("recovery") == "pending");
  BOOST_TEST(records[1].at("batch") == 2);
  BOOST_TEST(records[1].as_object().contains("promised"));
  BOOST_TEST(records[2].at("recovery") == "done");
}

// A torn end of a recovery keeps the promise without "done": the site recovers again.
BOOST_FIXTURE_TEST_CASE(a_torn_done_leaves_the_recovery_pending, StateFixture) {
  {
    AcceptorStore store(dir.path(), "alpha");
    store.record_recovery_pending();
    store.record(Ballot{0, 0}, {}, true);
    store.sync();
  }
  const std::string full = read_document(path);
  write_text(path, full.substr(0, full.size() - 12));  // inside {"recovery":"done",...}
  AcceptorStore store(dir.path(), "alpha");
  BOOST_TEST(store.repaired());
  BOOST_TEST(store.recovery_pending());
  BOOST_TEST(records_in_file() == 2u);
}

BOOST_FIXTURE_TEST_CASE(a_rewrite_keeps_the_recovery_record, StateFixture) {
  for (const bool done : {false, true}) {
    BOOST_TEST_CONTEXT("done " << done) {
      std::filesystem::remove(path);
      {
        AcceptorStore store(dir.path(), "alpha", 8);
        store.record_recovery_pending();
        if (done) store.record(Ballot{0, 0}, {}, true);
        for (Slot s = 0; s < 100; ++s) store.forget_below(s + 1);  // rewrites, with no promise
        store.sync();
        BOOST_TEST(records_in_file() < 20u);
      }
      AcceptorStore store(dir.path(), "alpha");
      BOOST_TEST(store.recovery_pending() == !done);
      BOOST_TEST(!store.blank());
    }
  }
}

BOOST_FIXTURE_TEST_CASE(a_recovery_record_of_unknown_state_is_refused, StateFixture) {
  {
    JsonArrayFile raw;
    raw.open(path, "alpha", "records");
    raw.append({json::object{{"recovery", "maybe"}}});
  }
  const std::string msg = storage_error_of([&] { AcceptorStore(dir.path(), "alpha"); });
  BOOST_TEST(contains(msg, "alpha_state.json: line 2: record 0: recovery is neither"), msg);
}

// Damage to a record that still leaves valid JSON is found by its checksum, wherever it is.
BOOST_FIXTURE_TEST_CASE(flipped_bit_in_a_value_is_refused_in_the_middle_and_at_the_end,
                        StateFixture) {
  {
    AcceptorStore store(dir.path(), "alpha");
    store.record(Ballot{3, 1}, {accepted(5, {3, 1}, "v5"), accepted(6, {3, 1}, "v6")});
    store.sync();
    // Records 0-2 were fsynced before this append was written; damage in the last append is
    // what a power cut during its fsync leaves (see damage_in_the_last_append_is_cut).
    store.record(Ballot{4, 1}, {});
    store.sync();
  }
  const std::string good = read_text(path);
  struct Case {
    std::string from, to, where;
  };
  for (const Case& c : {Case{"\"v5\"", "\"v4\"", "line 3: record 1: checksum mismatch"},
                        Case{"\"v6\"", "\"v7\"", "line 4: record 2: checksum mismatch"},
                        Case{"[3,1],\"batch", "[3,0],\"batch", "line 2: record 0: checksum"},
                        Case{"\"seq\":6", "\"seq\":7", "line 4: record 2: checksum mismatch"}}) {
    BOOST_TEST_CONTEXT(c.from << " -> " << c.to) {
      std::string damaged = good;
      auto at = damaged.find(c.from);
      BOOST_TEST_REQUIRE(at != std::string::npos);
      damaged.replace(at, c.from.size(), c.to);
      write_text(path, damaged);
      const std::string msg = storage_error_of([&] { AcceptorStore(dir.path(), "alpha"); });
      BOOST_TEST(contains(msg, "alpha_state.json: " + c.where), msg);
      BOOST_TEST(read_text(path) == damaged, "the refused file was changed");
    }
  }
}

BOOST_FIXTURE_TEST_CASE(flipped_checksum_is_refused, StateFixture) {
  {
    AcceptorStore store(dir.path(), "alpha");
    store.record(Ballot{3, 1}, {accepted(5, {3, 1}, "v5")});
    store.record(Ballot{4, 1}, {});
  }
  std::string text = read_text(path);
  // The last hex digit of record 1's checksum (record 2 is the last append).
  std::size_t digit = text.find("\"}", text.find("\"v5\"")) - 1;
  text[digit] = text[digit] == '0' ? '1' : '0';
  write_text(path, text);
  const std::string msg = storage_error_of([&] { AcceptorStore(dir.path(), "alpha"); });
  BOOST_TEST(contains(msg, "line 3: record 1: checksum mismatch"), msg);
}

// A power cut during the last append's fsync can lose an earlier sector of it and keep a later
// one, closing brackets and all. What the lost sector shows is its old bytes: padding (spaces)
// past the old end of the document, or the old closing brackets. Such damage in the last append
// is cut (nothing was acknowledged on it); every earlier append was fsynced before it was
// written, and is kept.
BOOST_FIXTURE_TEST_CASE(torn_sectors_in_the_last_append_are_cut, StateFixture) {
  {
    AcceptorStore store(dir.path(), "alpha");
    store.record(Ballot{2, 1}, {accepted(0, {2, 1}, "kept")});
    store.sync();
    store.record(Ballot{3, 1}, {accepted(1, {3, 1}, std::string(3000, 'x'))});
    store.sync();
  }
  const std::string good = read_document(path);
  const std::size_t last_append = good.find("\n,{\"promised\":[3,1]") + 1;
  BOOST_TEST_REQUIRE(last_append != 0);
  // Records of the torn append before the damage are intact (their checksums hold) and kept:
  // keeping a promise or an accepted entry never sent is safe.
  const std::size_t second_record = good.find("\n,{", last_append) + 1;
  auto reopened_cut_at = [&](const std::string& damaged, std::size_t cut, Ballot promised) {
    write_text(path, damaged);
    AcceptorStore store(dir.path(), "alpha");
    BOOST_TEST(store.repaired());
    BOOST_TEST((store.promised() == promised));
    BOOST_TEST(store.accepted().size() == 1u);
    BOOST_TEST(store.accepted().at(0).command.value == "kept");
    BOOST_TEST(read_document(path) == good.substr(0, cut) + "]}\n");
  };
  // The second sector of the value lost: padding in it; the record still parses.
  const std::size_t sector = (last_append / 512 + 2) * 512;
  BOOST_TEST_REQUIRE(sector + 512 < good.size() - 100);
  std::string spaces = good;
  spaces.replace(sector, 512, std::string(512, ' '));
  reopened_cut_at(spaces, second_record, Ballot{3, 1});
  // A hole where the sector was never written.
  std::string hole = good;
  hole.replace(sector, 512, std::string(512, '\0'));
  reopened_cut_at(hole, second_record, Ballot{3, 1});
  // The sector holding the start of the append lost: the old closing brackets, then padding.
  std::string stale = good;
  const std::size_t sector_end = (last_append / 512 + 1) * 512;
  stale.replace(last_append, sector_end - last_append,
                "]}\n" + std::string(sector_end - last_append - 3, ' '));
  reopened_cut_at(stale, last_append, Ballot{2, 1});
  // The sector boundary two bytes into the old closing: "]}" kept, the new bytes after it
  // (the simulator's seed 2715 of the sweep found this one).
  std::string stale_pair = good;
  stale_pair.replace(last_append, 2, "]}");
  reopened_cut_at(stale_pair, last_append, Ballot{2, 1});
}

// A crash inside the first append of a new file can land one byte of it, "{", before the old
// closing's "}": a line that parses as an element and is none. The closing brackets are gone
// with it, so that append never completed: it is cut (the sweep's seed 2695 found this one).
BOOST_FIXTURE_TEST_CASE(a_torn_first_append_that_parses_is_cut, StateFixture) {
  { AcceptorStore store(dir.path(), "alpha"); }
  std::string text = read_document(path);
  const std::size_t closing = text.rfind("]}\n");
  text.replace(closing, 1, "{");
  write_text(path, text);
  AcceptorStore store(dir.path(), "alpha");
  BOOST_TEST(store.repaired());
  BOOST_TEST(store.promised().is_null());
  BOOST_TEST(read_document(path) == text.substr(0, closing) + "]}\n");
}

// A bit the disk flipped in the last append leaves no mark of a torn write: it is refused like
// damage anywhere else, since the append may have been fsynced and acted on.
BOOST_FIXTURE_TEST_CASE(a_flipped_bit_in_the_last_append_is_refused, StateFixture) {
  {
    AcceptorStore store(dir.path(), "alpha");
    store.record(Ballot{2, 1}, {accepted(0, {2, 1}, "kept")});
    store.sync();
    store.record(Ballot{3, 1}, {});
    store.sync();
  }
  const std::string good = read_document(path);
  const std::size_t last_line = good.rfind("\n,{") + 1;
  for (std::size_t offset : {std::size_t{1}, std::size_t{3}, std::size_t{12}, std::size_t{20}}) {
    BOOST_TEST_CONTEXT("byte " << offset << " of the last record") {
      std::string damaged = good;
      damaged[last_line + offset] ^= 0x01;  // '{' -> 'z', 'p' -> 'q', a checksum digit...
      write_text(path, damaged);
      const std::string msg = storage_error_of([&] { AcceptorStore(dir.path(), "alpha"); });
      BOOST_TEST(contains(msg, "alpha_state.json: line 4"), msg);
      BOOST_TEST(read_text(path) == damaged, "the refused file was changed");
    }
  }
}

// What a crash can leave is still repaired: no closing brackets, or pages never written (NULs).
BOOST_FIXTURE_TEST_CASE(torn_appends_are_still_cut, StateFixture) {
  {
    AcceptorStore store(dir.path(), "alpha");
    store.record(Ballot{2, 1}, {accepted(0, {2, 1}, "kept")});
    store.sync();
  }
  const std::string before = read_document(path);
  std::string appended;
  {
    AcceptorStore store(dir.path(), "alpha");
    store.record(Ballot{3, 1}, {accepted(1, {3, 1}, "lost")});
    appended = read_document(path).substr(before.size() - 3);  // the append over "]}\n"
  }
  const std::string prefix = before.substr(0, before.size() - 3);
  const std::size_t first_line = appended.find('\n');  // the new promise, not yet whole
  std::vector<std::string> tears = {
      prefix + appended.substr(0, 2) + "\n",  // two bytes over the old closing, its '\n' left
      prefix + appended.substr(0, first_line / 2), prefix + appended.substr(0, first_line),
      prefix + std::string(appended.size() - 4, '\0') + "\n]}\n",  // pages lost, end written
  };
  for (std::size_t i = 0; i < tears.size(); ++i) {
    BOOST_TEST_CONTEXT("tear " << i) {
      write_text(path, tears[i]);
      AcceptorStore store(dir.path(), "alpha");
      BOOST_TEST(store.repaired());
      BOOST_TEST((store.promised() == Ballot{2, 1}));
      BOOST_TEST(store.accepted().at(0).command.value == "kept");
      BOOST_TEST(store.accepted().count(1) == 0u);
      BOOST_TEST(read_document(path) == before);
    }
  }
}

// Files of the version before checksums are read and upgraded; a record without a checksum
// among records with one is damage.
BOOST_FIXTURE_TEST_CASE(files_without_checksums_are_upgraded_and_mixed_files_refused,
                        StateFixture) {
  {
    JsonArrayFile raw;
    raw.open(path, "alpha", "records");
    raw.append(
        {json::object{{"promised", json::array{4, 1}}}, json::object{{"slot", 2},
                                                                     {"ballot", json::array{4, 1}},
                                                                     {"op", "put"},
                                                                     {"key", "k"},
                                                                     {"value", "old"},
                                                                     {"client", 3},
                                                                     {"seq", 1}}});
  }
  {
    AcceptorStore store(dir.path(), "alpha");
    BOOST_TEST((store.promised() == Ballot{4, 1}));
    BOOST_TEST(store.accepted().at(2).command.value == "old");
  }
  const json::array upgraded = parse_file(path).at("records").as_array();
  BOOST_TEST_REQUIRE(upgraded.size() == 2u);
  for (const json::value& r : upgraded) BOOST_TEST(r.as_object().contains("checksum"));
  AcceptorStore again(dir.path(), "alpha");
  BOOST_TEST(again.accepted().at(2).command.value == "old");

  {
    JsonArrayFile raw;
    raw.open(path, "alpha", "records");
    raw.append({json::object{{"promised", json::array{9, 0}}}});
  }
  const std::string msg = storage_error_of([&] { AcceptorStore(dir.path(), "alpha"); });
  BOOST_TEST(contains(msg, "alpha_state.json: line 4: record 2: no checksum"), msg);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace paxoskv::storage::test
