#include <boost/test/unit_test.hpp>
#include <string>

#include "paxoskv/limits.hpp"
#include "site/shell_command.hpp"

using namespace paxoskv;
using namespace paxoskv::site;

namespace {

Cluster three_sites() {
  return Cluster({{"alpha", "127.0.0.1", 5001, Role::voter},
                  {"beta", "127.0.0.1", 5002, Role::voter},
                  {"gamma", "127.0.0.1", 5003, Role::voter}});
}

ShellCommand parse(std::string_view line) {
  return parse_command(line, three_sites(), 0);
}

template <typename T>
T parse_as(std::string_view line) {
  ShellCommand command = parse(line);
  BOOST_TEST_INFO("line: " << line);
  BOOST_REQUIRE(std::holds_alternative<T>(command));
  return std::get<T>(command);
}

std::string refusal(std::string_view line) {
  return parse_as<Refusal>(line).line;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(shell_command)

BOOST_AUTO_TEST_CASE(put_keeps_inner_spaces_of_the_value) {
  auto put = parse_as<WriteCommand>("put k hello   big  world");
  BOOST_TEST((put.op == Op::put));
  BOOST_TEST(put.key == "k");
  BOOST_TEST(put.value == "hello   big  world");
}

BOOST_AUTO_TEST_CASE(separators_before_key_and_value_are_skipped) {
  auto put = parse_as<WriteCommand>("  put \t k \t  v w\r");
  BOOST_TEST(put.key == "k");
  BOOST_TEST(put.value == "v w");
}

BOOST_AUTO_TEST_CASE(append_tag_and_delete) {
  auto append = parse_as<WriteCommand>("append k more text");
  BOOST_TEST((append.op == Op::append));
  BOOST_TEST(append.value == "more text");
  auto tag = parse_as<WriteCommand>("tag k first");
  BOOST_TEST((tag.op == Op::tag));
  BOOST_TEST(tag.value == "first");
  auto del = parse_as<WriteCommand>("delete k");
  BOOST_TEST((del.op == Op::del));
  BOOST_TEST(del.key == "k");
  BOOST_TEST(del.value.empty());
}

BOOST_AUTO_TEST_CASE(cas_takes_one_word_expected_and_the_rest_as_new) {
  auto cas = parse_as<WriteCommand>("cas k old new  value");
  BOOST_TEST((cas.op == Op::put));
  BOOST_TEST(cas.key == "k");
  BOOST_TEST(cas.value == "new  value");
  BOOST_TEST((cas.pre == Precondition{Precondition::Kind::value, "old", 0}));
  BOOST_TEST(refusal("cas k old") ==
             "invalid command: cas needs KEY, EXPECTED and NEW (usage: cas KEY EXPECTED NEW...)");
  BOOST_TEST(refusal("cas k " + std::string(5000, 'a') + " " + std::string(5000, 'b')) ==
             "unable to execute cas: value too large (limit 8192 bytes)");
}

BOOST_AUTO_TEST_CASE(get_and_print) {
  BOOST_TEST(parse_as<GetCommand>("get k").key == "k");
  BOOST_TEST((parse_as<PrintCommand>("print log").target == PrintTarget::log));
  BOOST_TEST((parse_as<PrintCommand>("print kv").target == PrintTarget::kv));
  BOOST_TEST((parse_as<PrintCommand>("print chain").target == PrintTarget::chain));
  BOOST_TEST((parse_as<PrintCommand>("print status").target == PrintTarget::status));
}

BOOST_AUTO_TEST_CASE(sleep_links_and_bare_commands) {
  BOOST_TEST(parse_as<SleepCommand>("sleep 250").ms == 250u);
  auto fail = parse_as<LinkCommand>("faillink beta");
  BOOST_TEST(fail.site == 1u);
  BOOST_TEST(fail.name == "beta");
  BOOST_TEST(fail.failed);
  auto fix = parse_as<LinkCommand>("fixlink gamma");
  BOOST_TEST(fix.site == 2u);
  BOOST_TEST(!fix.failed);
  parse_as<CrashCommand>("crash");
  parse_as<HelpCommand>("help");
  parse_as<QuitCommand>("quit");
  parse_as<EmptyLine>("");
  parse_as<EmptyLine>("   \t \r");
}

BOOST_AUTO_TEST_CASE(unknown_and_malformed_commands_are_invalid) {
  BOOST_TEST(refusal("putt k v") ==
             "invalid command: 'putt' is not a command (type help for the list)");
  BOOST_TEST(refusal("put k") ==
             "invalid command: put needs KEY and VALUE (usage: put KEY VALUE...)");
  BOOST_TEST(refusal("put") ==
             "invalid command: put needs KEY and VALUE (usage: put KEY VALUE...)");
  BOOST_TEST(refusal("append k  ") ==
             "invalid command: append needs KEY and VALUE (usage: append KEY VALUE...)");
  BOOST_TEST(refusal("tag") ==
             "invalid command: tag needs KEY and VALUE (usage: tag KEY VALUE...)");
  BOOST_TEST(refusal("delete") == "invalid command: delete needs KEY (usage: delete KEY)");
  BOOST_TEST(refusal("delete k v") == "invalid command: delete takes only KEY (usage: delete KEY)");
  BOOST_TEST(refusal("get") == "invalid command: get needs KEY (usage: get KEY)");
  BOOST_TEST(refusal("get a b") == "invalid command: get takes only KEY (usage: get KEY)");
  BOOST_TEST(
      refusal("print") ==
      "invalid command: print needs what to print (usage: print log|kv|chain|status|members)");
  BOOST_TEST(refusal("print logs") ==
             "invalid command: cannot print 'logs' (usage: print log|kv|chain|status|members)");
  BOOST_TEST(refusal("quit now") == "invalid command: quit takes no arguments (usage: quit)");
  BOOST_TEST(refusal("PUT k v") ==
             "invalid command: 'PUT' is not a command (type help for the list)");
}

BOOST_AUTO_TEST_CASE(sleep_needs_a_bounded_whole_number) {
  BOOST_TEST(refusal("sleep") == "invalid command: sleep needs MS (usage: sleep MS)");
  BOOST_TEST(refusal("sleep 1.5") ==
             "invalid command: '1.5' is not a whole number of milliseconds (usage: sleep MS)");
  BOOST_TEST(refusal("sleep -3") ==
             "invalid command: '-3' is not a whole number of milliseconds (usage: sleep MS)");
  BOOST_TEST(refusal("sleep 3600001") ==
             "invalid command: sleep is limited to 3600000 ms (usage: sleep MS)");
  BOOST_TEST(refusal("sleep 99999999999999999999999") ==
             "invalid command: sleep is limited to 3600000 ms (usage: sleep MS)");
  BOOST_TEST(parse_as<SleepCommand>("sleep 3600000").ms == max_sleep_ms);
}

BOOST_AUTO_TEST_CASE(links_name_another_known_site) {
  BOOST_TEST(refusal("faillink") == "invalid command: faillink needs SITE (usage: faillink SITE)");
  BOOST_TEST(refusal("faillink delta") ==
             "invalid command: no site named 'delta' (sites: alpha, beta, gamma) "
             "(usage: faillink SITE)");
  BOOST_TEST(refusal("fixlink alpha") ==
             "invalid command: 'alpha' is this site (usage: fixlink SITE)");
}

BOOST_AUTO_TEST_CASE(sizes_are_checked_before_submitting) {
  std::string key_at_limit(limits::max_key_bytes, 'k');
  std::string value_at_limit(limits::max_value_bytes, 'v');
  parse_as<WriteCommand>("put " + key_at_limit + " " + value_at_limit);
  BOOST_TEST(refusal("put " + key_at_limit + "k v") ==
             "unable to execute put: key too large (limit 256 bytes)");
  BOOST_TEST(refusal("append k " + value_at_limit + "v") ==
             "unable to execute append: value too large (limit 8192 bytes)");
  BOOST_TEST(refusal("get " + key_at_limit + "k") ==
             "unable to execute get: key too large (limit 256 bytes)");
  BOOST_TEST(refusal("delete " + key_at_limit + "k") ==
             "unable to execute delete: key too large (limit 256 bytes)");
}

BOOST_AUTO_TEST_CASE(keys_and_values_must_be_utf8) {
  BOOST_TEST(parse_as<WriteCommand>("put clé übervalue ✓ 😀").value == "übervalue ✓ 😀");
  BOOST_TEST(refusal("put k \xff") == "unable to execute put: value is not valid UTF-8");
  BOOST_TEST(refusal("tag \xc3 v") == "unable to execute tag: key is not valid UTF-8");
}

BOOST_AUTO_TEST_CASE(utf8_validation) {
  BOOST_TEST(is_valid_utf8(""));
  BOOST_TEST(is_valid_utf8("plain ascii"));
  BOOST_TEST(is_valid_utf8("\xc3\xa9"));           // é
  BOOST_TEST(is_valid_utf8("\xf0\x9f\x98\x80"));   // U+1F600
  BOOST_TEST(!is_valid_utf8("\xc0\xaf"));          // overlong '/'
  BOOST_TEST(!is_valid_utf8("\xed\xa0\x80"));      // surrogate U+D800
  BOOST_TEST(!is_valid_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  BOOST_TEST(!is_valid_utf8("\xe2\x82"));          // truncated
  BOOST_TEST(!is_valid_utf8("\x80"));              // lone continuation byte
}

BOOST_AUTO_TEST_CASE(member_changes_and_print_members) {
  auto add = parse_as<MemberCommand>("member add delta 10.0.0.4 5004");
  BOOST_TEST((add.change == MemberChange{MemberAction::add, "delta", "10.0.0.4", 5004}));
  BOOST_TEST(
      (parse_as<MemberCommand>("member add delta 10.0.0.4 5004 learner").change == add.change));
  BOOST_TEST((parse_as<MemberCommand>("member remove beta").change ==
              MemberChange{MemberAction::remove, "beta", "", 0}));
  BOOST_TEST((parse_as<MemberCommand>("member promote delta").change ==
              MemberChange{MemberAction::promote, "delta", "", 0}));
  BOOST_TEST((parse_as<MemberCommand>("member add delta 10.0.0.4 5004 voter").change ==
              MemberChange{MemberAction::add, "delta", "10.0.0.4", 5004, true}));
  BOOST_TEST((parse_as<MemberCommand>("leader transfer beta").change ==
              MemberChange{MemberAction::transfer, "beta", "", 0}));
  BOOST_TEST((parse_as<PrintCommand>("print members").target == PrintTarget::members));
}

BOOST_AUTO_TEST_CASE(malformed_member_changes_are_refused_with_usage) {
  const std::string usage =
      " (usage: member add NAME HOST PORT [voter|learner] | member remove NAME | member promote "
      "NAME)";
  BOOST_TEST(refusal("member") == "invalid command: member needs add, remove or promote" + usage);
  BOOST_TEST(refusal("member rename a b") ==
             "invalid command: 'rename' is not add, remove or promote" + usage);
  BOOST_TEST(refusal("member add delta 10.0.0.4") ==
             "invalid command: member add needs NAME HOST PORT" + usage);
  BOOST_TEST(refusal("member add delta 10.0.0.4 70000") ==
             "invalid command: '70000' is not a port (1 to 65535)" + usage);
  BOOST_TEST(refusal("member add delta 10.0.0.4 5004 boss") ==
             "invalid command: role 'boss' is neither voter nor learner" + usage);
  BOOST_TEST(refusal("member add d/e 10.0.0.4 5004") ==
             "invalid command: bad site name 'd/e': use only letters, digits, '_' and '-'" + usage);
  BOOST_TEST(refusal("member add delta [::1] 5004") ==
             "invalid command: bad host '[::1]': expected an IP address or a host name (write "
             "IPv6 addresses without brackets)" +
                 usage);
  BOOST_TEST(refusal("member remove") == "invalid command: member remove needs NAME" + usage);
  BOOST_TEST(refusal("member promote a b") ==
             "invalid command: member promote takes only NAME" + usage);
  const std::string leader_usage = " (usage: leader transfer NAME)";
  BOOST_TEST(refusal("leader") == "invalid command: leader needs transfer NAME" + leader_usage);
  BOOST_TEST(refusal("leader move beta") ==
             "invalid command: 'move' is not transfer" + leader_usage);
  BOOST_TEST(refusal("leader transfer") ==
             "invalid command: leader transfer needs NAME" + leader_usage);
  BOOST_TEST(refusal("leader transfer beta gamma") ==
             "invalid command: leader transfer takes only NAME" + leader_usage);
}

BOOST_AUTO_TEST_CASE(every_command_has_a_usage) {
  for (const char* name : {"put", "append", "get", "delete", "tag", "print", "sleep", "faillink",
                           "fixlink", "crash", "help", "quit", "member", "leader"}) {
    bool found = false;
    for (const CommandUsage& usage : command_usages()) found = found || usage.name == name;
    BOOST_TEST(found, name);
  }
}

BOOST_AUTO_TEST_SUITE_END()
