// The simulated disk is as weak as a real one, and no weaker than its contract: what a process
// wrote survives the process, an fsync survives the power, a rename needs its directory synced,
// and a power cut may keep a later unsynced page and lose an earlier one.

#include "sim/sim_file_system.hpp"

#include <boost/test/unit_test.hpp>

#include "storage/storage_error.hpp"

namespace paxoskv::sim {
namespace {

constexpr std::uint64_t kPage = SimFileSystem::kPageBytes;

struct Disk {
  explicit Disk(std::uint64_t seed = 1) : random(seed), fs(random) { fs.make_dirs("/d"); }
  SimRandom random;
  SimFileSystem fs;
};

// A durable file of `pages` pages of 'a', through the same calls the storage files use.
storage::FileSystem::Handle durable_file(SimFileSystem& fs, const std::filesystem::path& path,
                                         std::uint64_t pages) {
  storage::FileSystem::Handle h = fs.create(path);
  fs.write_at(h, path, std::string(pages * kPage, 'a'), 0);
  fs.sync(h, path);
  fs.sync_dir(path.parent_path());
  return h;
}

BOOST_AUTO_TEST_SUITE(sim_file_system)

BOOST_AUTO_TEST_CASE(a_process_crash_keeps_what_was_written) {
  Disk d;
  auto h = durable_file(d.fs, "/d/f", 1);
  d.fs.write_at(h, "/d/f", "bbbb", 10);
  d.fs.process_crash();
  BOOST_TEST(d.fs.content("/d/f")->substr(10, 4) == "bbbb");
}

BOOST_AUTO_TEST_CASE(a_power_cut_keeps_what_was_fsynced) {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    Disk d(seed);
    auto h = durable_file(d.fs, "/d/f", 3);
    d.fs.write_at(h, "/d/f", std::string(kPage, 'b'), 3 * kPage);  // never synced
    d.fs.power_cut();
    const std::string after = *d.fs.content("/d/f");
    BOOST_TEST(after.substr(0, 3 * kPage) == std::string(3 * kPage, 'a'));
  }
}

BOOST_AUTO_TEST_CASE(a_power_cut_can_lose_an_earlier_page_and_keep_a_later_one) {
  bool earlier_lost_later_kept = false;
  bool all_kept = false;
  for (std::uint64_t seed = 1; seed <= 100; ++seed) {
    Disk d(seed);
    auto h = durable_file(d.fs, "/d/f", 2);
    d.fs.write_at(h, "/d/f", std::string(2 * kPage, 'b'), 0);  // both pages, never synced
    d.fs.power_cut();
    const std::string after = *d.fs.content("/d/f");
    BOOST_TEST_REQUIRE(after.size() == 2 * kPage);
    const bool first = after[0] == 'b', second = after[kPage] == 'b';
    earlier_lost_later_kept |= !first && second;
    all_kept |= first && second;
  }
  BOOST_TEST(earlier_lost_later_kept);
  BOOST_TEST(all_kept);
}

BOOST_AUTO_TEST_CASE(unsynced_growth_reads_back_as_zeros_or_goes) {
  bool zeros = false, shorter = false;
  for (std::uint64_t seed = 1; seed <= 100; ++seed) {
    Disk d(seed);
    auto h = durable_file(d.fs, "/d/f", 1);
    d.fs.write_at(h, "/d/f", std::string(kPage, 'b'), 2 * kPage);  // a hole, then a page
    d.fs.power_cut();
    const std::string after = *d.fs.content("/d/f");
    shorter |= after.size() == kPage;
    if (after.size() == 3 * kPage && after[kPage] == '\0') zeros = true;
    BOOST_TEST(after.substr(0, kPage) == std::string(kPage, 'a'));
  }
  BOOST_TEST(zeros);
  BOOST_TEST(shorter);
}

BOOST_AUTO_TEST_CASE(a_rename_is_durable_only_after_its_directory_is_synced) {
  bool old_name_back = false;
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    Disk d(seed);
    durable_file(d.fs, "/d/f.tmp", 1);
    d.fs.rename("/d/f.tmp", "/d/f");
    d.fs.power_cut();
    old_name_back |= d.fs.exists("/d/f.tmp") && !d.fs.exists("/d/f");
    // Never both names, never neither: the two changes of a rename commit together or in order.
    BOOST_TEST((d.fs.exists("/d/f") || d.fs.exists("/d/f.tmp")));
  }
  BOOST_TEST(old_name_back);
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    Disk d(seed);
    durable_file(d.fs, "/d/f.tmp", 1);
    d.fs.rename("/d/f.tmp", "/d/f");
    d.fs.sync_dir("/d");
    d.fs.power_cut();
    BOOST_TEST(d.fs.exists("/d/f"));
    BOOST_TEST(!d.fs.exists("/d/f.tmp"));
  }
}

BOOST_AUTO_TEST_CASE(an_armed_crash_strikes_at_the_nth_change_and_may_tear_a_write) {
  bool torn = false;
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    Disk d(seed);
    auto h = durable_file(d.fs, "/d/f", 1);
    d.fs.arm_crash(2);
    d.fs.write_at(h, "/d/f", "bb", 0);  // the first change completes
    BOOST_CHECK_THROW(d.fs.write_at(h, "/d/f", std::string(100, 'c'), 0), SimulatedCrash);
    BOOST_TEST(!d.fs.armed());
    d.fs.process_crash();
    const std::string after = *d.fs.content("/d/f");
    torn |= after[0] == 'c' && after[99] != 'c';
  }
  BOOST_TEST(torn);
}

BOOST_AUTO_TEST_CASE(a_wipe_leaves_an_empty_disk) {
  Disk d;
  durable_file(d.fs, "/d/f", 1);
  d.fs.wipe();
  BOOST_TEST(!d.fs.exists("/d/f"));
  BOOST_TEST(!d.fs.exists("/d"));
  BOOST_CHECK_THROW(d.fs.create("/d/g"), storage::StorageError);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace paxoskv::sim
