#include "storage/log_store.hpp"

#include <boost/test/unit_test.hpp>

#include "storage/storage_error.hpp"
#include "test_support.hpp"

namespace paxoskv::storage::test {
namespace {

namespace json = boost::json;

Command command_for(Slot slot) {
  if (slot % 5 == 4) return Command::noop();
  return Command{slot % 2 ? Op::append : Op::put, "key-" + std::to_string(slot % 3),
                 "value-" + std::to_string(slot), RequestId{7, slot + 1}};
}

// Slots [0, n) of one chained log.
std::vector<LogEntry> chain(Slot n) {
  std::vector<LogEntry> out;
  Hash previous = genesis_hash;
  for (Slot s = 0; s < n; ++s) {
    Command c = command_for(s);
    Hash h = chain_hash(s, c, previous);
    out.push_back(LogEntry{s, c, h});
    previous = h;
  }
  return out;
}

std::vector<LogEntry> slice(const std::vector<LogEntry>& v, std::size_t from, std::size_t to) {
  return {v.begin() + static_cast<std::ptrdiff_t>(from),
          v.begin() + static_cast<std::ptrdiff_t>(to)};
}

struct LogFixture {
  TempDir dir;
  std::filesystem::path path = dir.path() / "alpha_log.json";

  void write_log(Slot n) {
    LogStore log(dir.path(), "alpha");
    log.append(chain(n));
    log.sync();
  }
  std::vector<LogEntry> load() {
    LogStore log(dir.path(), "alpha");
    std::vector<LogEntry> loaded = log.take_loaded();
    BOOST_TEST(log.end() == loaded.size());
    return loaded;
  }
  // Replaces the first occurrence of `from` in the file with `to`.
  void edit(const std::string& from, const std::string& to) {
    std::string text = read_text(path);
    std::size_t at = text.find(from);
    BOOST_TEST_REQUIRE(at != std::string::npos, "no '" << from << "' in the log");
    write_text(path, text.replace(at, from.size(), to));
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(log_store)

BOOST_FIXTURE_TEST_CASE(entries_survive_reopen_and_the_log_continues, LogFixture) {
  const std::vector<LogEntry> all = chain(30);
  {
    LogStore log(dir.path(), "alpha");
    BOOST_TEST(log.end() == 0u);
    BOOST_TEST(log.take_loaded().empty());
    log.append(slice(all, 0, 1));
    log.append(slice(all, 1, 12));
    log.sync();
  }
  {
    LogStore log(dir.path(), "alpha");
    BOOST_TEST(log.end() == 12u);
    BOOST_TEST((log.take_loaded() == slice(all, 0, 12)));
    BOOST_TEST(log.take_loaded().empty());  // moved out, not copied
    BOOST_TEST(!log.repaired());
    log.append(slice(all, 12, 30));
    BOOST_TEST(log.end() == 30u);
  }
  BOOST_TEST((load() == all));
}

BOOST_FIXTURE_TEST_CASE(file_is_one_json_document_in_the_documented_shape, LogFixture) {
  LogStore log(dir.path(), "alpha");
  const std::vector<LogEntry> all = chain(6);
  for (const LogEntry& e : all) {
    log.append({e});
    const json::array entries = parse_file(path).at("entries").as_array();
    BOOST_TEST(entries.size() == e.slot + 1);
    BOOST_TEST(entries.back().at("hash").as_string() == to_hex(e.hash));
  }
  const json::value doc = parse_file(path);
  BOOST_TEST(doc.at("site") == "alpha");
  const json::array& entries = doc.at("entries").as_array();
  BOOST_TEST(entries[0] == (json::object{{"slot", 0},
                                         {"op", "put"},
                                         {"key", "key-0"},
                                         {"value", "value-0"},
                                         {"client", 7},
                                         {"seq", 1},
                                         {"hash", to_hex(all[0].hash)}}));
  BOOST_TEST(entries[4] ==
             (json::object{{"slot", 4}, {"op", "no-op"}, {"hash", to_hex(all[4].hash)}}));
}

BOOST_FIXTURE_TEST_CASE(altered_old_entry_is_refused_naming_the_slot, LogFixture) {
  write_log(10);
  edit("\"value-3\"", "\"valuE-3\"");
  const std::string msg = storage_error_of([&] { LogStore(dir.path(), "alpha"); });
  BOOST_TEST(contains(msg, "alpha_log.json: slot 3: hash does not match the chain"), msg);
  BOOST_TEST(contains(read_text(path), "\"valuE-3\""));  // refused, not repaired
}

BOOST_FIXTURE_TEST_CASE(altered_last_entry_is_refused_not_cut, LogFixture) {
  write_log(10);
  edit("\"value-8\"", "\"value-X\"");
  const std::string msg = storage_error_of([&] { LogStore(dir.path(), "alpha"); });
  BOOST_TEST(contains(msg, "alpha_log.json: slot 8: hash"), msg);
}

BOOST_FIXTURE_TEST_CASE(altered_hash_is_refused_naming_the_slot, LogFixture) {
  const std::vector<LogEntry> all = chain(5);
  write_log(5);
  const std::string hex = to_hex(all[2].hash);
  edit(hex, std::string(1, hex[0] == '0' ? '1' : '0') + hex.substr(1));
  BOOST_TEST(contains(storage_error_of([&] { LogStore(dir.path(), "alpha"); }),
                      "alpha_log.json: slot 2: hash does not match"));
  edit("\"hash\":\"", "\"hash\":\"zz");
  BOOST_TEST(contains(storage_error_of([&] { LogStore(dir.path(), "alpha"); }),
                      "alpha_log.json: slot 0: field 'hash' is not 64 hex digits"));
}

BOOST_FIXTURE_TEST_CASE(gap_in_slots_is_refused_naming_the_slot, LogFixture) {
  write_log(8);
  edit("{\"slot\":5,", "{\"slot\":6,");
  const std::string msg = storage_error_of([&] { LogStore(dir.path(), "alpha"); });
  BOOST_TEST(contains(msg, "alpha_log.json: slot 5: has slot 6 where slot 5 was expected"), msg);
}

BOOST_FIXTURE_TEST_CASE(bad_command_is_refused_naming_the_slot, LogFixture) {
  write_log(4);
  edit("\"op\":\"append\"", "\"op\":\"frobnicate\"");
  const std::string msg = storage_error_of([&] { LogStore(dir.path(), "alpha"); });
  BOOST_TEST(contains(msg, "alpha_log.json: slot 1: unknown op 'frobnicate'"), msg);
}

// The log keeps spaces written ahead of its appends: an append overwrites them and leaves the
// file's size alone, and the file stays one JSON document.
BOOST_FIXTURE_TEST_CASE(appends_overwrite_the_padding_ahead_of_them, LogFixture) {
  const std::vector<LogEntry> all = chain(8);
  {
    LogStore log(dir.path(), "alpha");
    log.append(slice(all, 0, 4));
    log.sync();
  }
  const auto size = std::filesystem::file_size(path);
  BOOST_TEST(size >= LogStore::kReserveBytes);
  BOOST_TEST(read_document(path).size() < size);
  {
    LogStore log(dir.path(), "alpha");
    log.append(slice(all, 4, 8));
    log.sync();
  }
  BOOST_TEST(std::filesystem::file_size(path) == size);
  BOOST_TEST((load() == all));
  BOOST_TEST(parse_file(path).at("entries").as_array().size() == 8u);
}

BOOST_FIXTURE_TEST_CASE(torn_last_entry_is_cut_and_the_log_continues, LogFixture) {
  const std::vector<LogEntry> all = chain(12);
  write_log(11);
  const std::string full = read_document(path);
  write_text(path, full.substr(0, full.size() - 40) + std::string(64, '\0'));
  {
    LogStore log(dir.path(), "alpha");
    BOOST_TEST(log.repaired());
    BOOST_TEST(log.end() == 10u);
    BOOST_TEST((log.take_loaded() == slice(all, 0, 10)));
    log.append(slice(all, 10, 12));
    log.sync();
  }
  BOOST_TEST((load() == all));
  BOOST_TEST(parse_file(path).at("entries").as_array().size() == 12u);
}

// Compaction off the site's thread: the new file is staged while appends go on to the old one,
// then installed with those appends; until then the old file is the log.
BOOST_FIXTURE_TEST_CASE(staged_rewrite_takes_the_appends_made_meanwhile, LogFixture) {
  const std::vector<LogEntry> all = chain(40);
  LogStore log(dir.path(), "alpha");
  log.append(slice(all, 0, 30));
  LogStore::StagedRewrite staged =
      LogStore::stage_rewrite(dir.path(), "alpha", 0, 20, all[19].hash, 30);
  log.append(slice(all, 30, 36));             // decided while the new file was written
  BOOST_TEST((load() == slice(all, 0, 36)));  // the old file, untouched, is still the log
  log.install_rewrite(std::move(staged), slice(all, 20, 36));
  BOOST_TEST(log.start() == 20u);
  BOOST_TEST(log.end() == 36u);
  BOOST_TEST(!std::filesystem::exists(path.string() + ".tmp"));
  log.append(slice(all, 36, 40));
  log.sync();
  {
    LogStore reopened(dir.path(), "alpha");
    BOOST_TEST(reopened.start() == 20u);
    BOOST_TEST((reopened.start_hash() == all[19].hash));
    BOOST_TEST((reopened.take_loaded() == slice(all, 20, 40)));
  }
  // Again, from a file that itself starts above slot 0 (with a start element).
  LogStore::StagedRewrite again =
      LogStore::stage_rewrite(dir.path(), "alpha", 20, 33, all[32].hash, 40);
  log.install_rewrite(std::move(again), slice(all, 33, 40));
  log.sync();
  LogStore reopened(dir.path(), "alpha");
  BOOST_TEST(reopened.start() == 33u);
  BOOST_TEST((reopened.take_loaded() == slice(all, 33, 40)));
}

// A snapshot below --log-tail keeps the log from slot 0: such a log has no start element, and
// the next staging must not mistake one for slot 0.
BOOST_FIXTURE_TEST_CASE(staging_a_log_that_still_starts_at_slot_0_twice, LogFixture) {
  const std::vector<LogEntry> all = chain(10);
  LogStore log(dir.path(), "alpha");
  log.append(slice(all, 0, 6));
  log.install_rewrite(LogStore::stage_rewrite(dir.path(), "alpha", 0, 0, genesis_hash, 6),
                      slice(all, 0, 6));
  log.append(slice(all, 6, 10));
  log.install_rewrite(LogStore::stage_rewrite(dir.path(), "alpha", 0, 0, genesis_hash, 10),
                      slice(all, 0, 10));
  log.sync();
  BOOST_TEST(!parse_file(path).at("entries").as_array().at(0).as_object().contains("start"));
  BOOST_TEST((load() == all));
}

BOOST_FIXTURE_TEST_CASE(staging_refuses_an_altered_entry_naming_its_slot, LogFixture) {
  const std::vector<LogEntry> all = chain(12);
  write_log(12);
  edit("value-7", "value-X");
  const std::string msg = storage_error_of(
      [&] { LogStore::stage_rewrite(dir.path(), "alpha", 0, 5, all[4].hash, 12); });
  BOOST_TEST(contains(msg, "alpha_log.json: slot 7: hash does not match"), msg);
  BOOST_TEST(!std::filesystem::exists(path.string() + ".tmp"));
}

BOOST_FIXTURE_TEST_CASE(staged_rewrite_dropped_uninstalled_leaves_the_old_log, LogFixture) {
  const std::vector<LogEntry> all = chain(12);
  {
    LogStore log(dir.path(), "alpha");
    log.append(slice(all, 0, 10));
    {
      LogStore::StagedRewrite staged =
          LogStore::stage_rewrite(dir.path(), "alpha", 0, 5, all[4].hash, 10);
      BOOST_TEST(std::filesystem::exists(path.string() + ".tmp"));
    }  // the site stopped before installing it
    BOOST_TEST(!std::filesystem::exists(path.string() + ".tmp"));
    log.append(slice(all, 10, 12));
    log.sync();
  }
  BOOST_TEST((load() == all));
}

BOOST_FIXTURE_TEST_CASE(a_crash_before_the_install_leaves_the_old_log_whole, LogFixture) {
  const std::vector<LogEntry> all = chain(12);
  LogStore log(dir.path(), "alpha");
  log.append(slice(all, 0, 12));
  log.sync();
  LogStore::StagedRewrite staged =
      LogStore::stage_rewrite(dir.path(), "alpha", 0, 8, all[7].hash, 12);
  // A restart now (the staged file still beside the log) reads the old log.
  BOOST_TEST((load() == all));
}

BOOST_FIXTURE_TEST_CASE(log_of_another_site_is_refused, LogFixture) {
  write_log(2);
  std::filesystem::rename(path, dir.path() / "beta_log.json");
  const std::string msg = storage_error_of([&] { LogStore(dir.path(), "beta"); });
  BOOST_TEST(contains(msg, "beta_log.json: line 1: belongs to site 'alpha', not 'beta'"), msg);
}

BOOST_AUTO_TEST_SUITE_END()

// verify_log_file: the read-only chain check behind paxoskv-verify (and LogStore's refusal).
BOOST_AUTO_TEST_SUITE(verify_log)

BOOST_FIXTURE_TEST_CASE(intact_log_verifies_with_every_entry_and_the_head, LogFixture) {
  const std::vector<LogEntry> all = chain(10);
  write_log(10);
  const std::string before = read_text(path);
  LogFileCheck check = verify_log_file(dir.path(), "alpha");
  BOOST_TEST(!check.chain.broken.has_value());
  BOOST_TEST(!check.torn_tail);
  BOOST_TEST((check.chain.entries == all));
  BOOST_TEST(check.path == path);
  BOOST_TEST(read_text(path) == before);
}

BOOST_FIXTURE_TEST_CASE(one_flipped_byte_of_an_old_value_names_that_slot, LogFixture) {
  const std::vector<LogEntry> all = chain(10);
  write_log(10);
  // Flip the lowest bit of the last byte of slot 3's value: "value-3" becomes "value-2".
  std::string text = read_text(path);
  const std::size_t at = text.find("\"value-3\"");
  BOOST_TEST_REQUIRE(at != std::string::npos);
  const std::size_t byte = at + std::string("\"value-").size();
  text[byte] = static_cast<char>(text[byte] ^ 1);
  write_text(path, text);

  LogFileCheck check = verify_log_file(dir.path(), "alpha");
  BOOST_TEST_REQUIRE(check.chain.broken.has_value());
  const ChainBreak& broken = *check.chain.broken;
  BOOST_TEST(broken.slot == 3u);
  BOOST_TEST(broken.hash_mismatch);
  BOOST_TEST(to_hex(broken.stored) == to_hex(all[3].hash));
  Command altered = all[3].command;
  altered.value = "value-2";
  BOOST_TEST(to_hex(broken.computed) == to_hex(chain_hash(3, altered, all[2].hash)));
  BOOST_TEST((check.chain.entries == slice(all, 0, 3)));  // the verified prefix
  BOOST_TEST(read_text(path) == text);                    // reported, never repaired
  // The site refuses the same file, naming the same slot.
  BOOST_TEST(contains(storage_error_of([&] { LogStore(dir.path(), "alpha"); }),
                      "alpha_log.json: slot 3: hash does not match the chain"));
}

BOOST_FIXTURE_TEST_CASE(malformed_entry_is_a_break_without_hashes, LogFixture) {
  write_log(8);
  edit("{\"slot\":5,", "{\"slot\":6,");
  LogFileCheck check = verify_log_file(dir.path(), "alpha");
  BOOST_TEST_REQUIRE(check.chain.broken.has_value());
  BOOST_TEST(check.chain.broken->slot == 5u);
  BOOST_TEST(!check.chain.broken->hash_mismatch);
  BOOST_TEST(contains(check.chain.broken->what, "has slot 6 where slot 5 was expected"));
}

BOOST_FIXTURE_TEST_CASE(torn_tail_is_reported_and_left_in_place, LogFixture) {
  write_log(11);
  const std::string full = read_document(path);
  const std::string torn = full.substr(0, full.size() - 40);
  write_text(path, torn);
  LogFileCheck check = verify_log_file(dir.path(), "alpha");
  BOOST_TEST(check.torn_tail);
  BOOST_TEST(!check.chain.broken.has_value());
  BOOST_TEST(check.chain.entries.size() == 10u);
  BOOST_TEST(read_text(path) == torn);
}

BOOST_FIXTURE_TEST_CASE(missing_or_garbled_file_throws_and_nothing_is_created, LogFixture) {
  BOOST_TEST(contains(storage_error_of([&] { verify_log_file(dir.path(), "alpha"); }),
                      "alpha_log.json: cannot open"));
  BOOST_TEST(!std::filesystem::exists(path));
  write_log(6);
  edit(",{\"slot\":2,", ",{\"slot\":2,garbage");
  BOOST_TEST(contains(storage_error_of([&] { verify_log_file(dir.path(), "alpha"); }),
                      "alpha_log.json: line 4: not valid JSON (garbage in the middle"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace paxoskv::storage::test
