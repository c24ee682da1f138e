// Issue 16 with real processes: the membership is shown and changed through the log, at the
// prompt and with paxoskv-client, bad changes are refused by every site alike, and a new site
// joins with --join, catches up, votes once promoted and restarts from its members file.

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <thread>

#include "harness.hpp"
#include "paxoskv/limits.hpp"

using namespace e2e;

namespace {

std::string member_line(Cluster& c, const std::string& name, const std::string& role) {
  return name + " 127.0.0.1:" + std::to_string(c.port(name)) + " " + role;
}

// Types `command` at `site` until its answer is not "another membership change is in
// progress" (the previous change governs a few round trips after it is decided).
std::string run_change(Cluster& c, const std::string& site, const std::string& command) {
  const Deadline deadline = after(10s);
  for (;;) {
    std::string answer = c.run(site, command);
    if (answer.find("another membership change is in progress") == std::string::npos ||
        Clock::now() >= deadline)
      return answer;
    std::this_thread::sleep_for(50ms);  // a polling interval, not a wait for luck
  }
}

// paxoskv-client with this cluster's hosts file: its output and exit code.
std::pair<std::string, int> client(Cluster& c, const std::string& args) {
  return run_client("--hosts " + c.hosts_file().string() + " " + args);
}

// The same until its answer is not "another membership change is in progress".
std::pair<std::string, int> client_change(Cluster& c, const std::string& args) {
  const Deadline deadline = after(10s);
  for (;;) {
    auto answer = client(c, args);
    if (answer.first.find("another membership change is in progress") == std::string::npos ||
        Clock::now() >= deadline)
      return answer;
    std::this_thread::sleep_for(50ms);  // a polling interval, not a wait for luck
  }
}

// Types `command` at `site` until it completes or is refused for good: the leader refuses a
// promotion until the learner has been heard from and has caught up.
std::string run_until_done(Cluster& c, const std::string& site, const std::string& command) {
  const Deadline deadline = after(20s);
  for (;;) {
    std::string answer = c.run(site, command);
    const bool transient =
        answer.find("another membership change is in progress") != std::string::npos ||
        answer.find("has not been heard from") != std::string::npos ||
        answer.find(" is behind ") != std::string::npos ||
        answer.find("timed out") != std::string::npos;
    if (!transient || Clock::now() >= deadline) return answer;
    std::this_thread::sleep_for(100ms);  // a polling interval, not a wait for luck
  }
}

// Asks `site` `command` until it answers `expected`, or the deadline; returns the last answer.
std::string wait_for_answer(Cluster& c, const std::string& site, const std::string& command,
                            const std::string& expected, Deadline deadline) {
  std::string answer;
  while ((answer = c.run(site, command)) != expected && Clock::now() < deadline)
    std::this_thread::sleep_for(100ms);  // a polling interval, not a wait for luck
  return answer;
}

// A site started by hand next to the cluster's, for starts that must fail.
struct FailedStart {
  int exit_code = -1;
  std::string stderr_text;
};
FailedStart start_alone(Cluster& c, const std::string& name, std::vector<std::string> args,
                        Clock::duration limit = 20s) {
  const auto err = c.dir() / (name + ".stderr");
  std::filesystem::remove(err);
  SiteProcess site(name, "", c.data_dir(), err, std::move(args));
  site.start();
  site.close_stdin();
  BOOST_TEST_REQUIRE(site.wait_exit(after(limit)), name << " did not stop");
  return {site.exit_code(), read_file(err)};
}

// The slot of the first line "SLOT <entry>" of `site`'s `print log`.
std::optional<std::uint64_t> slot_of(Cluster& c, const std::string& site,
                                     const std::string& entry) {
  auto log = c.print_log(site);
  for (const std::string& line : log.value_or(Lines{}))
    if (auto space = line.find(' '); space != std::string::npos && line.substr(space + 1) == entry)
      return std::stoull(line.substr(0, space));
  return std::nullopt;
}

// One past the last slot of `site`'s `print log` (0 when empty).
std::uint64_t decided_end(Cluster& c, const std::string& site) {
  auto log = c.print_log(site);
  if (!log || log->empty()) return 0;
  auto last = parse_log_line(log->back());
  return last ? last->slot + 1 : 0;
}

std::string text_of(const Lines& lines) {
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  return text;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(membership)

BOOST_AUTO_TEST_CASE(paxoskv_client_changes_and_shows_the_members_as_the_shell_does) {
  Cluster c;
  c.start_all();
  const std::string all_three =
      text_of({member_line(c, "alpha", "voter"), member_line(c, "beta", "voter"),
               member_line(c, "gamma", "voter"), "end of members"});
  for (const std::string site : {"alpha", "beta", "gamma"})
    BOOST_TEST((client(c, "--site " + site + " print members") == std::pair{all_three, 0}));

  // delta is added but never started, so it is never heard from.
  const std::string delta_port = std::to_string(free_udp_ports(1)[0]);
  BOOST_TEST((client_change(c, "member add delta 127.0.0.1 " + delta_port) ==
              std::pair<std::string, int>{"member add delta completed\n", 0}));
  BOOST_TEST(
      (client_change(c, "--site gamma member add delta 127.0.0.1 1 voter") ==
       std::pair<std::string, int>{"unable to execute member add: name delta is in use\n", 1}));
  BOOST_TEST((client_change(c, "member promote delta") ==
              std::pair<std::string, int>{"unable to execute member promote: delta has not been "
                                          "heard from within an election timeout\n",
                                          1}));
  BOOST_TEST((
      client_change(c, "leader transfer delta") ==
      std::pair<std::string, int>{"unable to execute leader transfer: delta is not a voter\n", 1}));
  BOOST_TEST((client_change(c, "--site beta leader transfer beta") ==
              std::pair<std::string, int>{"leader transfer beta completed\n", 0}));

  // Every site shows delta, to paxoskv-client as at its own prompt.
  const std::string with_delta =
      text_of({member_line(c, "alpha", "voter"), member_line(c, "beta", "voter"),
               member_line(c, "gamma", "voter"), "delta 127.0.0.1:" + delta_port + " learner",
               "end of members"});
  for (const std::string site : {"alpha", "beta", "gamma"}) {
    const Deadline deadline = after(10s);
    std::pair<std::string, int> seen;
    while ((seen = client(c, "--site " + site + " print members")).first != with_delta &&
           Clock::now() < deadline)
      std::this_thread::sleep_for(50ms);
    BOOST_TEST((seen == std::pair{with_delta, 0}), site);
    auto shell = c.print_members(site);
    BOOST_TEST((shell && text_of(*shell) + "end of members\n" == with_delta), site);
  }
  BOOST_TEST((client_change(c, "member remove delta") ==
              std::pair<std::string, int>{"member remove delta completed\n", 0}));

  // Bad usage is told before anything is sent.
  auto [usage, code] = client(c, "member add delta 127.0.0.1");
  BOOST_TEST(code == 2);
  BOOST_TEST(usage.find("paxoskv-client: member add needs NAME HOST PORT (usage: member add NAME "
                        "HOST PORT [voter|learner] | member remove NAME | member promote NAME)") ==
             0u);
  BOOST_TEST(client(c, "print log").second == 2);
  BOOST_TEST(c.quit_all());
}

BOOST_AUTO_TEST_CASE(members_change_through_the_log_and_bad_changes_are_refused) {
  Cluster c;
  c.start_all();
  auto members = c.print_members("alpha");
  BOOST_REQUIRE(members);
  BOOST_TEST((*members == Lines{member_line(c, "alpha", "voter"), member_line(c, "beta", "voter"),
                                member_line(c, "gamma", "voter")}));

  BOOST_TEST(c.run("beta", "member add delta 127.0.0.1 1") == "member add delta completed");
  BOOST_TEST(run_change(c, "gamma", "member add delta 127.0.0.1 2") ==
             "unable to execute member add: name delta is in use");
  BOOST_TEST(
      run_change(c, "alpha", "member add epsilon 127.0.0.1 " + std::to_string(c.port("beta"))) ==
      "unable to execute member add: 127.0.0.1:" + std::to_string(c.port("beta")) +
          " is in use by beta");
  BOOST_TEST(run_change(c, "alpha", "member promote alpha") ==
             "unable to execute member promote: alpha is already a voter");
  BOOST_TEST(run_change(c, "alpha", "member remove omega") ==
             "unable to execute member remove: no member omega");

  // gamma leaves; then it stops for good, and alpha and beta are a quorum of two.
  BOOST_TEST(run_change(c, "gamma", "member remove gamma") == "member remove gamma completed");
  const Lines expected{member_line(c, "alpha", "voter"), member_line(c, "beta", "voter"),
                       "delta 127.0.0.1:1 learner"};
  for (const std::string site : {"alpha", "beta"}) {
    const Deadline deadline = after(10s);
    std::optional<Lines> seen;
    while ((seen = c.print_members(site)) && *seen != expected && Clock::now() < deadline)
      std::this_thread::sleep_for(50ms);
    BOOST_TEST((seen && *seen == expected), site << " shows the new members");
  }
  c.site("gamma").kill9();
  BOOST_TEST(run_change(c, "alpha", "put k v") == "put k completed");
  BOOST_TEST(c.run("beta", "get k") == "get k returned v");

  // The changes are in the log, as commands.
  auto log = c.print_log("alpha");
  BOOST_REQUIRE(log);
  int changes = 0;
  for (const std::string& line : *log)
    if (auto entry = parse_log_line(line); entry && entry->op == "member") ++changes;
  // Two applied and four refused, and any refused while the previous change was in progress.
  BOOST_TEST(changes >= 6);
  for (const std::string site : {"alpha", "beta"})
    BOOST_TEST(c.site(site).close_and_wait(after(20s)), site << " shuts down cleanly");
}

BOOST_AUTO_TEST_CASE(a_site_joins_with_join_catches_up_votes_and_restarts_from_its_members_file) {
  Cluster c;
  c.start_all();
  BOOST_TEST(c.run("alpha", "put k v") == "put k completed");
  const std::string delta_port = std::to_string(c.add_joining_site("delta", "alpha"));
  BOOST_TEST(run_change(c, "alpha", "member add delta 127.0.0.1 " + delta_port) ==
             "member add delta completed");
  c.start("delta");
  BOOST_TEST(wait_for_answer(c, "delta", "get k", "get k returned v", after(30s)) ==
             "get k returned v");
  BOOST_TEST(std::filesystem::exists(c.data_dir() / "delta_members.json"));
  // The shell of a site that joined names the sites of the latest configuration.
  BOOST_TEST(c.run("delta", "faillink gamma") == "link to gamma failed");
  BOOST_TEST(c.run("delta", "fixlink gamma") == "link to gamma fixed");
  BOOST_TEST(c.run("delta", "faillink delta").find("'delta' is this site") != std::string::npos);
  BOOST_TEST(c.run("alpha", "faillink delta") == "link to delta failed");
  BOOST_TEST(c.run("alpha", "fixlink delta") == "link to delta fixed");
  BOOST_TEST(c.run("delta", "print status").rfind("site=delta leader=", 0) == 0u);

  BOOST_TEST(run_until_done(c, "alpha", "member promote delta") ==
             "member promote delta completed");
  // The promotion governs the slots from its own plus the delay on, and the leader fills the
  // slots below with no-ops. Once beta has decided those, every new write is in a slot where
  // delta is a voter.
  const std::optional<std::uint64_t> promoted = slot_of(c, "beta", "member delta promote");
  BOOST_TEST_REQUIRE(promoted.has_value());
  const std::uint64_t governs = *promoted + paxoskv::limits::member_change_delay;
  const Deadline filled = after(20s);
  while (decided_end(c, "beta") < governs && Clock::now() < filled)
    std::this_thread::sleep_for(100ms);  // a polling interval, not a wait for luck
  // Four voters: with alpha gone, beta, gamma and delta are the only quorum, so a write that
  // completes has delta's vote.
  c.site("alpha").kill9();
  BOOST_TEST(run_until_done(c, "beta", "put k2 w") == "put k2 completed");
  const std::optional<std::uint64_t> written = slot_of(c, "beta", "put k2 w");
  BOOST_TEST_REQUIRE(written.has_value());
  BOOST_TEST(*written >= governs, "put k2 is in slot " << *written << ", below " << governs);
  BOOST_TEST(c.run("gamma", "get k2") == "get k2 returned w");

  // delta restarts from delta_members.json: its --join names alpha, which is down.
  c.site("delta").kill9();
  c.restart("delta");
  BOOST_TEST(wait_for_answer(c, "delta", "get k2", "get k2 returned w", after(30s)) ==
             "get k2 returned w");
  BOOST_TEST(read_file(c.site("delta").stderr_file()).find("learned when delta joined") !=
             std::string::npos);

  c.restart("alpha");
  const Lines expected{member_line(c, "alpha", "voter"), member_line(c, "beta", "voter"),
                       member_line(c, "gamma", "voter"), member_line(c, "delta", "voter")};
  for (const std::string site : {"alpha", "beta", "gamma", "delta"}) {
    const Deadline deadline = after(20s);
    std::optional<Lines> seen;
    while ((seen = c.print_members(site)) && *seen != expected && Clock::now() < deadline)
      std::this_thread::sleep_for(100ms);  // a polling interval, not a wait for luck
    BOOST_TEST((seen && *seen == expected), site << " shows the four voters");
  }
  BOOST_TEST(c.wait_converged(after(20s)));
  BOOST_TEST(c.quit_all());
}

BOOST_AUTO_TEST_CASE(a_site_that_cannot_join_says_why_and_stops) {
  Cluster c;
  c.start_all();
  const std::string alpha = "127.0.0.1:" + std::to_string(c.port("alpha"));

  FailedStart stranger = start_alone(c, "epsilon", {"--join", alpha});
  BOOST_TEST(stranger.exit_code == 1);
  BOOST_TEST(stranger.stderr_text.find("epsilon is not a member of the cluster at " + alpha +
                                       ": add it first with member add epsilon HOST PORT") !=
                 std::string::npos,
             stranger.stderr_text);
  BOOST_TEST(!std::filesystem::exists(c.data_dir() / "epsilon_members.json"));

  FailedStart both = start_alone(c, "epsilon", {"--join", alpha, "--hosts", "hosts.txt"});
  BOOST_TEST(both.exit_code == 2);
  BOOST_TEST(both.stderr_text.find("--join and --hosts exclude each other") != std::string::npos);

  write_file(c.data_dir() / "epsilon_members.json", R"({"initial":[{"name":"alpha")");
  FailedStart corrupt = start_alone(c, "epsilon", {"--join", alpha});
  BOOST_TEST(corrupt.exit_code == 1);
  BOOST_TEST(corrupt.stderr_text.find((c.data_dir() / "epsilon_members.json").string() +
                                      ": not JSON") != std::string::npos,
             corrupt.stderr_text);
  BOOST_TEST(read_file(c.data_dir() / "epsilon_members.json") == R"({"initial":[{"name":"alpha")");
  std::filesystem::remove(c.data_dir() / "epsilon_members.json");

  // Nobody at that port: the site gives up after its 10 s of attempts.
  const std::string nobody = "127.0.0.1:" + std::to_string(free_udp_ports(1)[0]);
  const auto started = Clock::now();
  FailedStart alone = start_alone(c, "epsilon", {"--join", nobody}, 30s);
  BOOST_TEST(alone.exit_code == 1);
  BOOST_TEST(
      alone.stderr_text.find("cannot reach the cluster at " + nobody +
                             ": timed out (no reply after 20 attempts)") != std::string::npos,
      alone.stderr_text);
  BOOST_TEST(seconds_since(started) >= 9.0);
  BOOST_TEST(c.quit_all());
}

BOOST_AUTO_TEST_SUITE_END()
