// Acceptance item 7 of issue 2: hostile datagrams, malformed hosts files and damaged log
// files. Bad input from the network is dropped; bad configuration and corrupt files are
// refused with a message that says where; a torn log tail is repaired.

#include <algorithm>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <random>
#include <regex>

#include "harness.hpp"

using namespace e2e;
namespace fs = std::filesystem;

namespace {

// Datagrams a site must drop: they do not parse, are oversized, have an unknown type or bad
// fields, or claim to come from a site of the cluster but come from a foreign port.
std::vector<std::string> hostile_datagrams(std::mt19937& rng, std::uint64_t slot_hint) {
  std::vector<std::string> out;
  for (int i = 0; i < 3; ++i) {
    std::string bytes(1 + rng() % 1400, '\0');
    for (auto& b : bytes) b = static_cast<char>(rng() & 0xff);
    out.push_back(bytes);
  }
  out.push_back("");
  out.push_back(R"({"type":"accept","from":"alpha","ballot":[3,)");
  out.push_back(R"({"type":"commit","from":"beta","decided_end":1,"entries":[{"slot":0,"op":"pu)");
  out.push_back(R"({"type":"gossip","from":"alpha","rumour":"the leader is gone"})");
  out.push_back(R"({"type":"prepare","from":"gamma","ballot":"very high"})");
  out.push_back(R"({"type":"prepare","from":"nobody","ballot":[1,0]})");
  out.push_back(R"([1,2,3])");
  out.push_back(R"("just a string")");
  out.push_back("null");
  out.push_back(R"({"from":"alpha"})");
  // About 64 KB: above the datagram limit of a site, below the UDP maximum.
  out.push_back(R"({"type":"commit","from":"beta","decided_end":1,"pad":")" +
                std::string(64000, 'x') + R"("})");
  // Forged messages that would plant key "evil" if a site trusted their `from`. The slots
  // cover those already decided and the next ones.
  for (std::uint64_t slot : {std::uint64_t{0}, slot_hint, slot_hint + 1, slot_hint + 5}) {
    std::string s = std::to_string(slot);
    std::string d = std::to_string(slot + 1);
    out.push_back(R"({"type":"commit","from":"beta","decided_end":)" + d +
                  R"(,"entries":[{"slot":)" + s +
                  R"(,"op":"put","key":"evil","value":"x","client":1,"seq":1}]})");
    out.push_back(R"({"type":"accept","from":"alpha","ballot":[99999,0],"decided_end":)" + s +
                  R"(,"entries":[{"slot":)" + s +
                  R"(,"op":"put","key":"evil","value":"y","client":2,"seq":1}]})");
  }
  // Well-formed messages of a site that would take over leadership or make a site fetch
  // slots that do not exist, if their `from` were believed.
  out.push_back(R"({"type":"prepare","from":"gamma","ballot":[99999,2],"from_slot":0})");
  out.push_back(
      R"({"type":"heartbeat","from":"alpha","ballot":[99999,0],"decided_end":100000,"probe":1})");
  out.push_back(R"({"type":"catchup_request","from":"beta","from_slot":0,"decided_end":0})");
  return out;
}

// True if `a` is a prefix of `b` (or equal).
bool is_prefix(const Lines& a, const Lines& b) {
  return a.size() <= b.size() && std::equal(a.begin(), a.end(), b.begin());
}

bool mentions_evil(const Lines& lines) {
  for (const auto& line : lines)
    if (line.find("evil") != std::string::npos) return true;
  return false;
}

// Starts SITE with a hosts file of the given text; it must exit with code 2 and name the line
// (any line if `line` is negative).
void expect_hosts_error(const std::string& hosts_text, const std::string& site, int line,
                        const std::string& must_mention = "") {
  TempDir tmp;
  write_file(tmp.path() / "hosts.txt", hosts_text);
  fs::create_directories(tmp.path() / "data");
  SiteProcess p(site, tmp.path() / "hosts.txt", tmp.path() / "data", tmp.path() / "stderr.txt");
  p.start();
  // A site that wrongly accepted the file would wait for commands; end of input makes it quit
  // (with code 0), so a wrong acceptance fails fast.
  p.close_stdin();
  BOOST_TEST_REQUIRE(p.wait_exit(after(15s)), "the site is still running with a bad hosts file");
  const std::string err = read_file(p.stderr_file());
  BOOST_TEST(p.describe_exit() == "exit code 2", "stderr:\n" << err);
  const std::string line_text = line < 0 ? "[0-9]+" : std::to_string(line);
  const std::regex where("(^|[/\\s])hosts\\.txt:" + line_text + ": \\S");
  BOOST_TEST(std::regex_search(err, where), "stderr does not contain `hosts.txt:" << line_text
                                                                                  << ": ...`:\n"
                                                                                  << err);
  if (!must_mention.empty())
    BOOST_TEST(err.find(must_mention) != std::string::npos, "stderr does not mention "
                                                                << must_mention << ":\n"
                                                                << err);
  BOOST_TEST(!p.take_line().has_value(), "the refused site printed on stdout");
}

std::string hosts_header() {
  return "# name   host        port   [role]\n";
}

struct LogFileLines {
  std::vector<std::string> lines;  // without the trailing newline of each
  std::size_t first_entry = 1;     // index of the first entry line
  std::size_t end_entries = 0;     // index one past the last entry line ("]}")
};

// Splits SITE_log.json into its lines and checks the documented layout: a header line, one
// entry per line, then the closing "]}".
LogFileLines split_log_file(const fs::path& path) {
  LogFileLines out;
  std::string text = read_document(path);
  BOOST_TEST_REQUIRE((!text.empty() && text.back() == '\n'), path << " does not end in newline");
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    out.lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  BOOST_TEST_REQUIRE(out.lines.size() >= 3u, path << " has fewer than 3 lines");
  BOOST_TEST_REQUIRE(out.lines.back() == "]}", path << " does not end with a line `]}`");
  BOOST_TEST_REQUIRE(out.lines.front().find("\"entries\":[") != std::string::npos,
                     path << ": unexpected header line " << out.lines.front());
  out.end_entries = out.lines.size() - 1;
  for (std::size_t i = out.first_entry; i < out.end_entries; ++i)
    BOOST_TEST_REQUIRE(out.lines[i].find("\"slot\":") != std::string::npos,
                       path << " line " << i + 1 << " is not one entry: " << out.lines[i]);
  return out;
}

// A cluster that decided a few writes and then shut down cleanly; returns the final log.
Lines write_some_and_stop(Cluster& c, int writes) {
  c.start_all();
  for (int i = 0; i < writes; ++i) {
    std::string key = "t" + std::to_string(i);
    BOOST_TEST_REQUIRE(c.run(c.names()[i % 3], "put " + key + " value-" + std::to_string(i)) ==
                       "put " + key + " completed");
  }
  std::map<std::string, Lines> logs;
  auto all_there = [&](const Lines& log, const Lines&) {
    return log_has(log, "put", "t" + std::to_string(writes - 1),
                   "value-" + std::to_string(writes - 1));
  };
  BOOST_TEST_REQUIRE(c.wait_converged(after(20s), &logs, nullptr, {}, all_there),
                     "sites did not converge before the stop");
  BOOST_TEST_REQUIRE(c.quit_all(), "a site did not exit cleanly after quit");
  return logs["gamma"];
}

}  // namespace

BOOST_AUTO_TEST_SUITE(hostile_input)

BOOST_AUTO_TEST_CASE(garbage_datagrams_while_serving_writes) {
  Cluster c;
  c.start_all();
  BOOST_TEST_REQUIRE(c.run("alpha", "put warm 0") == "put warm completed");

  std::mt19937 rng(20240601);
  std::uint64_t slot_hint = 1;
  std::size_t sent = 0;
  auto last_attack = Clock::now() - 1s;
  auto attack = [&] {
    // A round every 50 ms: hostile, but not a flood that would only measure buffer sizes.
    if (Clock::now() - last_attack < 50ms) return;
    last_attack = Clock::now();
    for (const auto& name : c.names())
      for (const auto& datagram : hostile_datagrams(rng, slot_hint)) {
        send_datagram(c.port(name), datagram);
        ++sent;
      }
    slot_hint += 2;
  };

  std::map<std::string, std::vector<Scripted>> script;
  for (const auto& name : c.names())
    for (int i = 0; i < 40; ++i) {
      std::string key = "h" + name.substr(0, 1) + std::to_string(i);
      script[name].push_back(
          Scripted{"put " + key + " " + std::to_string(i), "put " + key + " completed"});
    }
  attack();  // before, during (every 50 ms while answers are awaited) and after the writes
  bool completed = run_all_at_once(c, script, after(60s), attack);
  attack();
  BOOST_TEST_MESSAGE("sent " << sent << " hostile datagrams");
  BOOST_TEST(completed, "writes did not all complete under hostile datagrams");
  for (const auto& name : c.names())
    BOOST_TEST(c.site(name).is_running(), name << " died: " << c.site(name).describe_exit());

  // Still serving, and nothing forged was ever applied anywhere.
  BOOST_TEST(c.run("beta", "put after attack") == "put after completed");
  std::map<std::string, Lines> logs;
  std::map<std::string, Lines> kvs;
  auto has_after = [](const Lines& log, const Lines&) {
    return log_has(log, "put", "after", "attack");
  };
  BOOST_TEST(c.wait_converged(after(20s), &logs, &kvs, {}, has_after));
  for (const auto& name : c.names()) {
    BOOST_TEST(!mentions_evil(logs[name]), name << "'s log has a forged entry");
    BOOST_TEST(!mentions_evil(kvs[name]), name << "'s map has a forged key");
    BOOST_TEST(c.run(name, "get evil") == "get evil returned null");
    BOOST_TEST(c.run(name, "get hg39") == "get hg39 returned 39");
  }
}

BOOST_AUTO_TEST_CASE(hosts_duplicate_name) {
  auto ports = free_udp_ports(3);
  expect_hosts_error(hosts_header() + "alpha 127.0.0.1 " + std::to_string(ports[0]) +
                         "\n\nbeta 127.0.0.1 " + std::to_string(ports[1]) + "\nalpha 127.0.0.1 " +
                         std::to_string(ports[2]) + "\n",
                     "beta", 5);
}

BOOST_AUTO_TEST_CASE(hosts_duplicate_endpoint) {
  auto ports = free_udp_ports(2);
  expect_hosts_error(hosts_header() + "alpha 127.0.0.1 " + std::to_string(ports[0]) +
                         "\nbeta 127.0.0.1 " + std::to_string(ports[1]) + "\n# a comment\n" +
                         "gamma 127.0.0.1 " + std::to_string(ports[0]) + "\n",
                     "alpha", 5);
}

BOOST_AUTO_TEST_CASE(hosts_bad_port) {
  auto ports = free_udp_ports(2);
  for (const std::string bad : {"70000", "abc", "0", "-1"}) {
    BOOST_TEST_CONTEXT("port " << bad) {
      expect_hosts_error(hosts_header() + "alpha 127.0.0.1 " + std::to_string(ports[0]) +
                             "\nbeta 127.0.0.1 " + std::to_string(ports[1]) + "\ngamma 127.0.0.1 " +
                             bad + "\n",
                         "alpha", 4);
    }
  }
}

BOOST_AUTO_TEST_CASE(hosts_no_voters) {
  // A problem of the whole file is reported at its last line.
  auto ports = free_udp_ports(2);
  expect_hosts_error(hosts_header() + "alpha 127.0.0.1 " + std::to_string(ports[0]) +
                         " learner\nbeta 127.0.0.1 " + std::to_string(ports[1]) + " learner\n",
                     "alpha", 3);
}

BOOST_AUTO_TEST_CASE(hosts_unknown_site_on_command_line) {
  auto ports = free_udp_ports(3);
  std::string hosts = hosts_header();
  const std::vector<std::string> names = {"alpha", "beta", "gamma"};
  for (std::size_t i = 0; i < 3; ++i)
    hosts += names[i] + " 127.0.0.1 " + std::to_string(ports[i]) + "\n";
  // No line of the file is wrong, so any line number will do, but the name must be in it.
  expect_hosts_error(hosts, "delta", -1, "delta");
}

// Two tears of the last append: (1) the entry is whole but the closing "]}" is missing: the
// file is repaired and nothing is lost; (2) only half of the last entry is there. gamma stopped
// cleanly, so its state file records its log fsynced to the end (README, "What a power cut
// leaves is cut"): no crash can have torn that entry, and losing it is damage, refused with a
// message naming the file. (A tear above the recorded point, which only a power cut leaves, is
// cut: the simulator's power cuts and tests/sim/power_cut_recovery_test.cpp cover it.) gamma
// starts alone each time, so whatever its log shows comes from its own file.
BOOST_AUTO_TEST_CASE(torn_log_tail_is_repaired_unless_it_was_fsynced) {
  Cluster c;
  const Lines full_log = write_some_and_stop(c, 6);
  const fs::path path = c.log_file("gamma");
  const std::string intact = read_file(path);
  LogFileLines file = split_log_file(path);
  const std::size_t entries = file.end_entries - file.first_entry;
  BOOST_TEST_REQUIRE(entries == full_log.size(), "gamma_log.json holds "
                                                     << entries << " entries, `print log` showed "
                                                     << full_log.size());
  std::string lines_before_last;
  for (std::size_t i = 0; i + 1 < file.end_entries; ++i) lines_before_last += file.lines[i] + "\n";
  const std::string& last = file.lines[file.end_entries - 1];

  // (1) The closing brackets missing: repaired, every entry kept.
  write_file(path, lines_before_last + last + "\n");
  c.start("gamma");
  std::optional<Lines> log = c.print_log("gamma");
  BOOST_TEST_REQUIRE(log.has_value(), "gamma did not start on a log without its closing");
  BOOST_TEST((*log == full_log), "gamma's log changed:" << join_lines(*log));
  BOOST_TEST_REQUIRE(c.quit_all());
  boost::system::error_code ec;
  boost::json::parse(read_file(path), ec);
  BOOST_TEST(!ec, "gamma_log.json is not valid JSON after the repair: " << ec.message());

  // (2) Half of the last entry, which the state file says was fsynced: refused.
  const std::string torn = lines_before_last + last.substr(0, last.size() / 2);
  write_file(path, torn);
  SiteProcess& gamma = c.site("gamma");
  const std::size_t stderr_before = read_file(gamma.stderr_file()).size();
  gamma.start();
  BOOST_TEST_REQUIRE(gamma.wait_exit(after(15s)), "gamma runs on a log that lost an entry");
  BOOST_TEST(!(gamma.exited_normally() && gamma.exit_code() == 0), gamma.describe_exit());
  const std::string err = read_file(gamma.stderr_file()).substr(stderr_before);
  BOOST_TEST(err.find(path.string()) != std::string::npos, "stderr names no file: " << err);
  BOOST_TEST(err.find("records as fsynced") != std::string::npos, "stderr: " << err);
  BOOST_TEST(read_file(path) == torn, "the refused file was changed");

  // Put back, it starts and the cluster converges on the log it had.
  write_file(path, intact);
  c.start_all();
  std::map<std::string, Lines> logs;
  BOOST_TEST(c.wait_converged(after(20s), &logs), "sites did not converge after the restore");
  BOOST_TEST(is_prefix(full_log, logs["gamma"]), "gamma's log:" << join_lines(logs["gamma"]));
  BOOST_TEST_REQUIRE(c.quit_all());
}

BOOST_AUTO_TEST_CASE(garbage_in_the_middle_of_the_log_is_refused) {
  Cluster c;
  write_some_and_stop(c, 6);
  const fs::path path = c.log_file("gamma");
  LogFileLines file = split_log_file(path);
  const std::size_t entries = file.end_entries - file.first_entry;
  BOOST_TEST_REQUIRE(entries >= 3u);
  file.lines[file.first_entry + entries / 2] = "###garbage###";
  std::string damaged;
  for (const auto& line : file.lines) damaged += line + "\n";
  write_file(path, damaged);

  SiteProcess& gamma = c.site("gamma");
  gamma.start();
  BOOST_TEST_REQUIRE(gamma.wait_exit(after(15s)), "gamma runs on a log with garbage inside");
  BOOST_TEST(!(gamma.exited_normally() && gamma.exit_code() == 0),
             "gamma exited with code 0 on a corrupt log");
  const std::string err = read_file(gamma.stderr_file());
  BOOST_TEST(err.find("gamma_log.json") != std::string::npos,
             "the message does not name the file:\n"
                 << err);
  // Refused, not silently reset or repaired.
  BOOST_TEST(read_file(path) == damaged, "gamma_log.json was changed");
}

BOOST_AUTO_TEST_SUITE_END()
