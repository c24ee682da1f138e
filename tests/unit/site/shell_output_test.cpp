#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "client/member_text.hpp"
#include "site/shell_output.hpp"

using namespace paxoskv;
using namespace paxoskv::site;
using Lines = std::vector<std::string>;

namespace {

Cluster three_sites() {
  return Cluster({{"alpha", "127.0.0.1", 5001, Role::voter},
                  {"beta", "127.0.0.1", 5002, Role::voter},
                  {"gamma", "127.0.0.1", 5003, Role::voter}});
}

// A log built with the real chain, so `print chain` is checked against chain_hash.
std::vector<LogEntry> sample_log() {
  std::vector<Command> commands{
      {Op::put, "k", "a b", {7, 1}},
      {Op::append, "k", "c", {7, 2}},
      {Op::tag, "t", "first", {7, 3}},
      {Op::del, "k", "", {7, 4}},
      Command::noop(),
  };
  std::vector<LogEntry> log;
  Hash previous = genesis_hash;
  for (Slot slot = 0; slot < commands.size(); ++slot) {
    previous = chain_hash(slot, commands[slot], previous);
    log.push_back({slot, commands[slot], previous});
  }
  return log;
}

Completion success() {
  Completion completion;
  completion.ok = true;
  return completion;
}

Completion failure(std::string reason) {
  Completion completion;
  completion.reason = std::move(reason);
  return completion;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(shell_output)

BOOST_AUTO_TEST_CASE(log_lines) {
  Lines expected{"0 put k a b", "1 append k c", "2 tag t first",
                 "3 delete k",  "4 no-op",      "end of log"};
  BOOST_TEST(format_log(sample_log()) == expected, boost::test_tools::per_element());
  BOOST_TEST(format_log({}) == Lines{"end of log"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(kv_lines_are_sorted_by_key) {
  KvMap kv{{"zeta", "last one"}, {"alpha", "1"}, {"mid", "x"}};
  Lines expected{"alpha 1", "mid x", "zeta last one", "end of kv"};
  BOOST_TEST(format_kv(kv) == expected, boost::test_tools::per_element());
  BOOST_TEST(format_kv({}) == Lines{"end of kv"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(chain_lines_end_with_the_head) {
  auto log = sample_log();
  Lines lines = format_chain(log);
  BOOST_REQUIRE_EQUAL(lines.size(), log.size() + 1);
  BOOST_TEST(lines[0] == "0 " + to_hex(log[0].hash));
  BOOST_TEST(lines[4] == "4 " + to_hex(log[4].hash));
  BOOST_TEST(lines[0].size() == 2 + 64);
  BOOST_TEST(lines.back() == "head " + to_hex(log.back().hash));
  Hash start = chain_hash(9, Command::noop(), genesis_hash);
  BOOST_TEST(format_chain({}, start) == Lines{"head " + to_hex(start)},
             boost::test_tools::per_element());
  BOOST_TEST(format_chain({}) == Lines{"head " + std::string(64, '0')},
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(status_line) {
  ReplicaStatus status;
  status.self = 0;
  status.leader = 1;
  status.ballot = Ballot{3, 1};
  status.decided_end = 12;
  status.applied_end = 11;
  status.compacted_end = 4;
  status.snapshots_installed = 1;
  status.peers_up = {1, 2};
  net::DropCounters drops;
  drops.malformed = 2;
  drops.unknown_sender = 1;
  drops.auth_failed = 4;
  BOOST_TEST(format_status(three_sites(), status, drops) ==
             "site=alpha leader=beta ballot=3.1 decided=12 applied=11 compacted=4 "
             "peers_up=beta,gamma dropped=7 unknown_sender=1 auth_failed=4 snapshots_installed=1 "
             "recovering=no");
}

BOOST_AUTO_TEST_CASE(status_line_without_leader_or_peers) {
  ReplicaStatus status;
  status.self = 2;
  status.recovering = true;
  BOOST_TEST(format_status(three_sites(), status, {}) ==
             "site=gamma leader=none ballot=0.0 decided=0 applied=0 compacted=0 peers_up=none "
             "dropped=0 unknown_sender=0 auth_failed=0 snapshots_installed=0 recovering=yes");
}

BOOST_AUTO_TEST_CASE(members_and_member_results) {
  Cluster c({{"alpha", "127.0.0.1", 5001, Role::voter},
             {"beta", "::1", 5002, Role::removed},
             {"gamma", "host.example", 5003, Role::learner}});
  BOOST_TEST((client::format_members(c) ==
              std::vector<std::string>{"alpha 127.0.0.1:5001 voter",
                                       "gamma host.example:5003 learner", "end of members"}));
  c.set_role(1, Role::voter);
  BOOST_TEST(client::format_members(c)[1] == "beta [::1]:5002 voter");
  const MemberChange add{MemberAction::add, "delta", "127.0.0.1", 5004};
  BOOST_TEST(client::format_member_result(add, success()) == "member add delta completed");
  Completion refused;
  refused.reason = "name delta is in use";
  BOOST_TEST(client::format_member_result(add, refused) ==
             "unable to execute member add: name delta is in use");
  BOOST_TEST(client::format_member_result({MemberAction::promote, "delta", "", 0}, success()) ==
             "member promote delta completed");
}

BOOST_AUTO_TEST_CASE(write_results) {
  BOOST_TEST(format_write_result(op_name(Op::put), "k", success()) == "put k completed");
  BOOST_TEST(format_write_result(op_name(Op::append), "k", success()) == "append k completed");
  BOOST_TEST(format_write_result(op_name(Op::del), "k", success()) == "delete k completed");
  BOOST_TEST(format_write_result(op_name(Op::tag), "k", success()) == "tag k completed");
  BOOST_TEST(format_write_result(op_name(Op::tag), "k", failure("key exists")) ==
             "unable to execute tag: key exists");
  BOOST_TEST(
      format_write_result(op_name(Op::put), "k",
                          failure("timed out, outcome unknown (no quorum after 3 attempts)")) ==
      "unable to execute put: timed out, outcome unknown (no quorum after 3 attempts)");
  const Precondition expected{Precondition::Kind::value, "old", 0};
  BOOST_TEST(format_write_result(command_name(Op::put, expected), "k", success()) ==
             "cas k completed");
  BOOST_TEST(format_write_result(command_name(Op::put, expected), "k", failure("value differs")) ==
             "unable to execute cas: value differs");
}

BOOST_AUTO_TEST_CASE(get_results) {
  Completion found = success();
  found.is_read = true;
  found.value = "two words";
  BOOST_TEST(format_get_result("k", found) == "get k returned two words");
  Completion absent = success();
  absent.is_read = true;
  BOOST_TEST(format_get_result("k", absent) == "get k returned null");
  BOOST_TEST(format_get_result("k", failure("no leader")) == "unable to execute get: no leader");
}

BOOST_AUTO_TEST_CASE(link_lines) {
  BOOST_TEST(format_link("beta", true) == "link to beta failed");
  BOOST_TEST(format_link("beta", false) == "link to beta fixed");
}

BOOST_AUTO_TEST_CASE(help_lists_every_usage) {
  Lines help = format_help();
  for (const std::string usage : {"put KEY VALUE...", "get KEY", "print log|kv|chain|status",
                                  "faillink SITE", "sleep MS", "quit"}) {
    bool found = false;
    for (const std::string& line : help) found = found || line.find(usage) != std::string::npos;
    BOOST_TEST(found, usage);
  }
}

BOOST_AUTO_TEST_SUITE_END()
