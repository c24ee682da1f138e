// Acceptance item 2 of issue 2: the shell commands of SPEC §3 across three sites, with the
// exact output lines, and one log on every site.

#include <boost/test/unit_test.hpp>

#include "harness.hpp"

using namespace e2e;

namespace {

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(basic)

BOOST_AUTO_TEST_CASE(put_append_get_on_three_sites_and_identical_logs) {
  Cluster c;
  c.start_all();
  BOOST_TEST(c.run("alpha", "put k a") == "put k completed");
  BOOST_TEST(c.run("beta", "append k b") == "append k completed");
  BOOST_TEST(c.run("gamma", "get k") == "get k returned ab");

  // A site may learn the last commit a moment after the command completed elsewhere.
  auto both_writes = [](const Lines& log, const Lines&) {
    return log_has(log, "put", "k", "a") && log_has(log, "append", "k", "b");
  };
  std::map<std::string, Lines> logs;
  std::map<std::string, Lines> kvs;
  bool converged = c.wait_converged(after(20s), &logs, &kvs, {}, both_writes);
  BOOST_TEST(converged, "print log / print kv differ between sites or miss the writes:"
                            << "\nalpha log:" << join_lines(logs["alpha"])
                            << "\nbeta log:" << join_lines(logs["beta"])
                            << "\ngamma log:" << join_lines(logs["gamma"]));

  // The put is ordered before the append, and every line has the documented shape.
  std::optional<std::uint64_t> put_slot;
  std::optional<std::uint64_t> append_slot;
  std::optional<std::uint64_t> previous;
  for (const auto& line : logs["alpha"]) {
    auto entry = parse_log_line(line);
    BOOST_TEST_REQUIRE(entry.has_value(), "unparsable `print log` line: " << line);
    if (previous) BOOST_TEST(entry->slot == *previous + 1, "slots not contiguous at: " << line);
    previous = entry->slot;
    if (entry->op == "put" && entry->key == "k" && entry->value == "a") put_slot = entry->slot;
    if (entry->op == "append" && entry->key == "k" && entry->value == "b")
      append_slot = entry->slot;
  }
  BOOST_TEST_REQUIRE((put_slot && append_slot));
  BOOST_TEST(*put_slot < *append_slot);
  BOOST_TEST(kv_map(kvs["alpha"])["k"] == "ab");
}

BOOST_AUTO_TEST_CASE(missing_keys_delete_and_values_with_spaces) {
  Cluster c;
  c.start_all();
  BOOST_TEST(c.run("alpha", "get missing") == "get missing returned null");
  BOOST_TEST(c.run("beta", "put sp hello big world") == "put sp completed");
  BOOST_TEST(c.run("gamma", "get sp") == "get sp returned hello big world");
  BOOST_TEST(c.run("gamma", "append fresh x y") == "append fresh completed");
  BOOST_TEST(c.run("alpha", "get fresh") == "get fresh returned x y");
  BOOST_TEST(c.run("alpha", "delete sp") == "delete sp completed");
  BOOST_TEST(c.run("beta", "get sp") == "get sp returned null");
  BOOST_TEST(c.run("gamma", "get sp") == "get sp returned null");

  std::map<std::string, Lines> kvs;
  auto deleted = [](const Lines&, const Lines& kv) {
    auto map = kv_map(kv);
    return map.count("sp") == 0 && map.count("fresh") == 1;
  };
  BOOST_TEST(c.wait_converged(after(20s), nullptr, &kvs, {}, deleted));
  auto map = kv_map(kvs["beta"]);
  BOOST_TEST(map.size() == 1u, "print kv:" << join_lines(kvs["beta"]));
  BOOST_TEST(map["fresh"] == "x y");
}

BOOST_AUTO_TEST_CASE(invalid_commands_are_reported_and_the_site_keeps_going) {
  Cluster c;
  c.start_all();
  SiteProcess& alpha = c.site("alpha");
  int probe = 0;
  for (const std::string bad : {"frobnicate now", "get", "print nothing"}) {
    BOOST_TEST_REQUIRE(alpha.send_line(bad));
    auto answer = alpha.next_line(after(20s));
    BOOST_TEST(answer.has_value(), "no answer to `" << bad << "`");
    BOOST_TEST(starts_with(answer.value_or(""), "invalid command:"),
               "`" << bad << "` answered: " << answer.value_or("(nothing)"));
    // Usage text may follow on more lines; a known command behind it shows where it ends and
    // that the site still executes commands.
    std::string get = "get probe" + std::to_string(++probe);
    BOOST_TEST_REQUIRE(alpha.send_line(get));
    auto result = alpha.wait_for_line(get + " returned null", after(20s));
    BOOST_TEST(result.has_value(), "alpha did not answer `" << get << "` after `" << bad << "`");
  }
  BOOST_TEST(c.run("alpha", "put after 1") == "put after completed");
  BOOST_TEST(c.site("alpha").is_running());
  BOOST_TEST(c.run("beta", "get after") == "get after returned 1");
}

BOOST_AUTO_TEST_CASE(quit_and_end_of_input_exit_cleanly) {
  Cluster c;
  c.start_all();
  BOOST_TEST(c.run("beta", "put q 1") == "put q completed");
  c.site("alpha").send_line("quit");
  BOOST_TEST(c.site("alpha").wait_exit(after(20s)), "alpha still running after `quit`");
  BOOST_TEST(c.site("alpha").describe_exit() == "exit code 0");
  c.site("beta").close_stdin();
  BOOST_TEST(c.site("beta").wait_exit(after(20s)), "beta still running after end of input");
  BOOST_TEST(c.site("beta").describe_exit() == "exit code 0");
  c.site("gamma").send_line("crash");
  BOOST_TEST(c.site("gamma").wait_exit(after(20s)), "gamma still running after `crash`");
}

BOOST_AUTO_TEST_SUITE_END()
