#include <boost/test/unit_test.hpp>

#include "storage/log_store.hpp"
#include "storage/snapshot_file.hpp"
#include "test_support.hpp"

using namespace paxoskv;
using namespace paxoskv::storage;
using namespace paxoskv::storage::test;

namespace {

std::vector<LogEntry> chain_of(Slot n) {
  std::vector<LogEntry> out;
  Hash previous = genesis_hash;
  for (Slot s = 0; s < n; ++s) {
    Command c{Op::put, "k" + std::to_string(s % 3), std::to_string(s), RequestId{7, s + 1}};
    Hash h = chain_hash(s, c, previous);
    out.push_back(LogEntry{s, c, h});
    previous = h;
  }
  return out;
}

std::vector<LogEntry> slice(const std::vector<LogEntry>& all, Slot from, Slot to) {
  return {all.begin() + static_cast<std::ptrdiff_t>(from),
          all.begin() + static_cast<std::ptrdiff_t>(to)};
}

std::shared_ptr<const SnapshotImage> snapshot_at(const std::vector<LogEntry>& all, Slot base) {
  Snapshot s;
  s.base = base;
  s.base_hash = base == 0 ? genesis_hash : all[base - 1].hash;
  s.kv = {{"k0", "x"}};
  s.clients = {{7, base, true, ""}};
  return make_snapshot_image(s);
}

// A log of slots [0, n) appended and synced, as a running site leaves it.
void write_log(const TempDir& dir, const std::vector<LogEntry>& entries) {
  LogStore store(dir.path(), "alpha");
  store.append(entries);
  store.sync();
}

struct Opened {
  Slot start = 0;
  Slot end = 0;
  std::vector<LogEntry> log;
};

// What the site does at start: open the log, read the snapshot, reconcile them.
Opened recover(const TempDir& dir) {
  LogStore store(dir.path(), "alpha");
  std::vector<LogEntry> log = store.take_loaded();
  auto snapshot = read_snapshot_file(dir.path(), "alpha");
  reconcile_log_with_snapshot(store, log, snapshot.get(), dir.path(), "alpha");
  return Opened{store.start(), store.end(), std::move(log)};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(snapshot_file)

BOOST_AUTO_TEST_CASE(a_snapshot_file_is_the_image_and_reads_back) {
  TempDir dir;
  BOOST_TEST(read_snapshot_file(dir.path(), "alpha") == nullptr);
  auto all = chain_of(10);
  auto image = snapshot_at(all, 10);
  write_snapshot_file(dir.path(), "alpha", *image);
  parse_file(dir.path() / "alpha_snapshot.json");
  auto back = read_snapshot_file(dir.path(), "alpha");
  BOOST_REQUIRE(back);
  BOOST_TEST(back->bytes == image->bytes);
  BOOST_TEST((back->digest == image->digest));
  BOOST_TEST(back->base == 10u);
}

BOOST_AUTO_TEST_CASE(a_corrupt_snapshot_file_is_refused_by_name) {
  TempDir dir;
  write_text(dir.path() / "alpha_snapshot.json", "{\"base\":3}");
  std::string e = storage_error_of([&] { read_snapshot_file(dir.path(), "alpha"); });
  BOOST_TEST(contains(e, "alpha_snapshot.json: missing field 'base_hash'"), e);
}

BOOST_AUTO_TEST_CASE(a_compacted_log_starts_at_its_start_element_and_goes_on) {
  TempDir dir;
  auto all = chain_of(40);
  write_log(dir, slice(all, 0, 30));
  {
    LogStore store(dir.path(), "alpha");
    store.rewrite(25, all[24].hash, slice(all, 25, 30));
    store.append(slice(all, 30, 35));
    store.sync();
  }
  boost::json::value v = parse_file(dir.path() / "alpha_log.json");
  BOOST_TEST(v.at("entries").as_array().at(0).at("start").as_int64() == 25);
  LogStore store(dir.path(), "alpha");
  BOOST_TEST(store.start() == 25u);
  BOOST_TEST(store.end() == 35u);
  BOOST_TEST((store.take_loaded() == slice(all, 25, 35)));
  auto check = verify_log_file(dir.path(), "alpha");
  BOOST_TEST(!check.chain.broken);
  BOOST_TEST(check.chain.start == 25u);
}

BOOST_AUTO_TEST_CASE(a_torn_append_after_a_rewrite_is_repaired) {
  TempDir dir;
  auto all = chain_of(20);
  {
    LogStore store(dir.path(), "alpha");
    store.rewrite(10, all[9].hash, slice(all, 10, 15));
  }
  std::string text = read_text(dir.path() / "alpha_log.json");
  write_text(dir.path() / "alpha_log.json",
             text.substr(0, text.size() - 3) + ",{\"slot\":15,\"op\":\"pu");
  LogStore store(dir.path(), "alpha");
  BOOST_TEST(store.repaired());
  BOOST_TEST(store.start() == 10u);
  BOOST_TEST(store.end() == 15u);
}

// The compaction sequence is: (1) write the snapshot file, (2) rewrite the log from its new
// start, (3) forget acceptor records below the log's end. Each crash point recovers.
BOOST_AUTO_TEST_CASE(crash_after_every_step_of_compaction_recovers) {
  auto all = chain_of(30);
  auto image = snapshot_at(all, 30);
  {  // before (1): the old log alone
    TempDir dir;
    write_log(dir, all);
    Opened o = recover(dir);
    BOOST_TEST(o.start == 0u);
    BOOST_TEST(o.end == 30u);
  }
  {  // between (1) and (2): a snapshot at the log's end next to the whole old log
    TempDir dir;
    write_log(dir, all);
    write_snapshot_file(dir.path(), "alpha", *image);
    Opened o = recover(dir);
    BOOST_TEST(o.start == 0u);
    BOOST_TEST(o.end == 30u);
  }
  {  // between (1) and (2), and the log's unsynced tail lost: the log ends below the base
    TempDir dir;
    write_log(dir, slice(all, 0, 20));
    write_snapshot_file(dir.path(), "alpha", *image);
    Opened o = recover(dir);
    BOOST_TEST(o.start == 30u);
    BOOST_TEST(o.end == 30u);
    BOOST_TEST(o.log.empty());
    // Restarted durably at the base: the next start sees the same.
    Opened again = recover(dir);
    BOOST_TEST(again.start == 30u);
    parse_file(dir.path() / "alpha_log.json");
  }
  {  // after (2)
    TempDir dir;
    write_log(dir, all);
    write_snapshot_file(dir.path(), "alpha", *image);
    {
      LogStore store(dir.path(), "alpha");
      store.rewrite(25, all[24].hash, slice(all, 25, 30));
    }
    Opened o = recover(dir);
    BOOST_TEST(o.start == 25u);
    BOOST_TEST(o.end == 30u);
    BOOST_TEST((o.log == slice(all, 25, 30)));
  }
}

BOOST_AUTO_TEST_CASE(a_log_that_does_not_meet_its_snapshot_is_refused) {
  auto all = chain_of(40);
  {  // the log starts above the snapshot: slots in between are in no file
    TempDir dir;
    {
      LogStore store(dir.path(), "alpha");
      store.rewrite(35, all[34].hash, slice(all, 35, 40));
    }
    write_snapshot_file(dir.path(), "alpha", *snapshot_at(all, 30));
    std::string e = storage_error_of([&] { recover(dir); });
    BOOST_TEST(contains(e, "alpha_log.json: starts at slot 35, above the snapshot's base 30"), e);
  }
  {  // a compacted log without its snapshot
    TempDir dir;
    {
      LogStore store(dir.path(), "alpha");
      store.rewrite(35, all[34].hash, slice(all, 35, 40));
    }
    std::string e = storage_error_of([&] { recover(dir); });
    BOOST_TEST(contains(e, "alpha_log.json: starts at slot 35 but"), e);
    BOOST_TEST(contains(e, "alpha_snapshot.json is missing"), e);
  }
  {  // a snapshot of another history
    TempDir dir;
    write_log(dir, all);
    Snapshot other;
    other.base = 30;
    other.base_hash = all[10].hash;
    write_snapshot_file(dir.path(), "alpha", *make_snapshot_image(other));
    std::string e = storage_error_of([&] { recover(dir); });
    BOOST_TEST(contains(e, "the log and the snapshot disagree"), e);
  }
  {  // a start element that is not one
    TempDir dir;
    write_text(dir.path() / "alpha_log.json",
               "{\"site\":\"alpha\",\"entries\":[\n{\"start\":5,\"start_hash\":\"zz\"}\n]}\n");
    std::string e = storage_error_of([&] { LogStore store(dir.path(), "alpha"); });
    BOOST_TEST(contains(e, "the start element: field 'start_hash' is not 64 hex digits"), e);
  }
}

BOOST_AUTO_TEST_SUITE_END()
