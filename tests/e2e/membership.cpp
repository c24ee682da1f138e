// Issue 16, first steps with real processes: the membership is shown, changed through the log,
// and bad changes are refused by every site alike. (A new site cannot join yet: the learner
// added here is never started.)

#include <boost/test/unit_test.hpp>
#include <thread>

#include "harness.hpp"

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

BOOST_AUTO_TEST_SUITE_END()
