// Acceptance item 3 of issue 2: 3 x 100 interleaved writes on 10 shared keys, typed without
// waiting; every one completes, and every site ends with the same log and the same map.

#include <boost/test/unit_test.hpp>
#include <map>
#include <set>

#include "harness.hpp"

using namespace e2e;

BOOST_AUTO_TEST_SUITE(concurrency)

BOOST_AUTO_TEST_CASE(three_hundred_interleaved_writes_on_shared_keys) {
  constexpr int per_site = 100;
  Cluster c;
  c.start_all();
  const std::vector<std::string> names = c.names();

  // Command i of site s: put or append on key k((7i + 3s) % 10) with a value unique in the
  // whole test, so each command can be found in the log.
  struct Command {
    std::string text;
    std::string expected;
    std::string op;
    std::string key;
    std::string value;
  };
  std::map<std::string, std::vector<Command>> commands;
  for (std::size_t s = 0; s < names.size(); ++s) {
    for (int i = 0; i < per_site; ++i) {
      Command cmd;
      cmd.op = (i % 3 == 0) ? "put" : "append";
      cmd.key = "k" + std::to_string((7 * i + 3 * static_cast<int>(s)) % 10);
      cmd.value = names[s].substr(0, 1) + std::to_string(i) + ".";
      cmd.text = cmd.op + " " + cmd.key + " " + cmd.value;
      cmd.expected = cmd.op + " " + cmd.key + " completed";
      commands[names[s]].push_back(cmd);
    }
  }

  std::map<std::string, std::vector<Scripted>> script;
  for (const auto& [name, list] : commands)
    for (const auto& cmd : list) script[name].push_back(Scripted{cmd.text, cmd.expected});
  const auto start = Clock::now();
  bool all_completed = run_all_at_once(c, script, after(60s));
  BOOST_TEST_MESSAGE("300 writes answered in " << seconds_since(start) << " s");
  BOOST_TEST_REQUIRE(all_completed, "not every write printed its `completed` line within 60 s");

  // Every site converges to one log and one map.
  std::map<std::string, Lines> logs;
  std::map<std::string, Lines> kvs;
  auto has_all_writes = [&](const Lines& log, const Lines&) {
    std::set<std::string> values;
    for (const auto& line : log)
      if (auto e = parse_log_line(line)) values.insert(e->value);
    for (const auto& [name, list] : commands)
      for (const auto& cmd : list)
        if (!values.count(cmd.value)) return false;
    return true;
  };
  bool converged = c.wait_converged(after(30s), &logs, &kvs, {}, has_all_writes);
  BOOST_TEST_REQUIRE(converged, "logs or maps differ, or writes are missing; alpha has "
                                    << logs["alpha"].size() << " slots, beta "
                                    << logs["beta"].size() << ", gamma " << logs["gamma"].size());

  // Each write is in the log with its own op and key, and the commands of one site are
  // decided in the order they were typed (each waited for the previous one).
  std::map<std::string, LogLine> first_seen;
  for (const auto& line : logs["alpha"]) {
    auto entry = parse_log_line(line);
    BOOST_TEST_REQUIRE(entry.has_value(), "unparsable log line: " << line);
    if (entry->op == "no-op") continue;
    first_seen.emplace(entry->value, *entry);
  }
  for (const auto& [name, list] : commands) {
    std::uint64_t previous_slot = 0;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const auto& entry = first_seen.at(list[i].value);
      BOOST_TEST(entry.op == list[i].op, list[i].text);
      BOOST_TEST(entry.key == list[i].key, list[i].text);
      if (i > 0) BOOST_TEST(entry.slot > previous_slot, list[i].text << " decided out of order");
      previous_slot = entry.slot;
    }
  }

  // The map is the log applied in slot order.
  auto replayed = replay_log(logs["alpha"]);
  auto shown = kv_map(kvs["alpha"]);
  BOOST_TEST(shown.size() == 10u, "print kv:" << join_lines(kvs["alpha"]));
  BOOST_TEST((replayed == shown), "print kv differs from the log applied in order");
}

BOOST_AUTO_TEST_SUITE_END()
