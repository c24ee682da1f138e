#include <boost/test/unit_test.hpp>
#include <set>
#include <string>
#include <vector>

#include "samples.hpp"

using namespace paxoskv;
using namespace paxoskv::test;
using net::DecodeError;

BOOST_AUTO_TEST_SUITE(codec)

BOOST_AUTO_TEST_CASE(samples_cover_every_message_type) {
  std::set<std::size_t> kinds;
  for (const Sample& s : samples()) kinds.insert(s.message.body.index());
  BOOST_TEST(kinds.size() == std::variant_size_v<MessageBody>);
}

BOOST_AUTO_TEST_CASE(type_names_are_the_wire_names) {
  std::vector<std::string> names;
  for (const Sample& s : samples()) names.push_back(type_name(s.message.body));
  std::vector<std::string> expected{"prepare",
                                    "promise",
                                    "accept",
                                    "ack",
                                    "nack",
                                    "commit",
                                    "heartbeat",
                                    "heartbeat_reply",
                                    "catchup_request",
                                    "catchup_reply",
                                    "forward",
                                    "read_index_request",
                                    "read_index_reply",
                                    "recovery_query",
                                    "recovery_reply"};
  BOOST_TEST(names == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(encode_gives_the_documented_wire_form) {
  Cluster cluster = three_sites();
  for (const Sample& s : samples()) BOOST_TEST(net::encode(s.message, cluster) == s.wire);
}

BOOST_AUTO_TEST_CASE(decode_then_encode_round_trips_every_type) {
  Cluster cluster = three_sites();
  for (const Sample& s : samples()) {
    BOOST_TEST_CONTEXT(s.wire) {
      auto r = safe_decode(s.wire, cluster);
      BOOST_REQUIRE_MESSAGE(!is_error(r), error_of(r));
      const Message& m = std::get<Message>(r);
      BOOST_TEST(m.from == s.message.from);
      BOOST_TEST(m.body.index() == s.message.body.index());
      BOOST_TEST(net::encode(m, cluster) == s.wire);
    }
  }
}

BOOST_AUTO_TEST_CASE(decoded_entries_equal_the_originals) {
  Cluster cluster = three_sites();
  std::vector<Sample> all = samples();
  auto accept = std::get<Accept>(std::get<Message>(net::decode(all[2].wire, cluster)).body);
  BOOST_TEST((accept.entries == std::get<Accept>(all[2].message.body).entries));
  BOOST_TEST(accept.entries[1].command.value == "x\"y\n");
  auto promise = std::get<Promise>(std::get<Message>(net::decode(all[1].wire, cluster)).body);
  BOOST_TEST((promise.accepted == std::get<Promise>(all[1].message.body).accepted));
  auto forward = std::get<Forward>(std::get<Message>(net::decode(all[10].wire, cluster)).body);
  BOOST_TEST((forward.command == std::get<Forward>(all[10].message.body).command));
}

BOOST_AUTO_TEST_CASE(describe_gives_one_short_trace_line) {
  std::vector<Sample> all = samples();
  BOOST_TEST(net::describe(all[0].message.body) == "prepare(ballot=7.2, from=4)");
  BOOST_TEST(net::describe(all[2].message.body) ==
             "accept(ballot=3.1, decided_end=11, slots=12..15)");
  BOOST_TEST(net::describe(all[3].message.body) == "ack(ballot=3.1, slots=12,13,14,20)");
  BOOST_TEST(net::describe(Commit{5, {}}) == "commit(decided_end=5, slots=none)");
  BOOST_TEST(net::describe(all[10].message.body) ==
             "forward(op=put, key=key, client=9007199254740991, seq=1)");
  BOOST_TEST(net::describe(Forward{Command{Op::put, "a\nb", "", {1, 1}}}) ==
             "forward(op=put, key=a?b, client=1, seq=1)");
  for (const Sample& s : all) {
    std::string line = net::describe(s.message.body);
    BOOST_TEST(line.find(std::string(type_name(s.message.body)) + "(") == 0u);
    BOOST_TEST(line.back() == ')');
    BOOST_TEST(line.find('\n') == std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(a_sender_that_is_no_member_is_told_apart_from_damage) {
  Cluster cluster = three_sites();
  const std::string from_beta = R"({"type":"read_index_request","from":"beta","read_id":1})";
  const std::string from_delta = R"({"type":"read_index_request","from":"delta","read_id":1})";
  auto unknown_sender = [&](const std::string& wire) {
    auto r = safe_decode(wire, cluster);
    const DecodeError* e = std::get_if<DecodeError>(&r);
    return e != nullptr && e->unknown_sender;
  };
  BOOST_TEST(unknown_sender(from_delta));
  BOOST_TEST(!is_error(safe_decode(from_beta, cluster)));
  // A removed site keeps its id but is no member: its name is no longer found.
  cluster.set_role(1, Role::removed);
  BOOST_TEST(unknown_sender(from_beta));
  BOOST_TEST(error_of(safe_decode(from_beta, cluster)) == "unknown site 'beta'");
  // Damage is not an unknown sender, even from a member.
  BOOST_TEST(!unknown_sender(R"({"type":"read_index_request","from":"alpha","read_id":-1})"));
  BOOST_TEST(!unknown_sender(R"({"type":"nack","from":"alpha","ballot":[1,7]})"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(codec_transfer)

// A transfer's prepare carries `"transfer":true`; every other prepare leaves it out, so sites
// of an older version read both.
BOOST_AUTO_TEST_CASE(a_transfer_prepare_carries_its_flag_and_others_leave_it_out) {
  const Cluster cluster = test::three_sites();
  const std::string wire = net::encode(Message{1, Prepare{{8, 1}, 4, true}}, cluster);
  BOOST_TEST(wire ==
             R"({"type":"prepare","from":"beta","ballot":[8,1],"from_slot":4,"transfer":true})");
  auto back = test::safe_decode(wire, cluster);
  BOOST_REQUIRE(!test::is_error(back));
  BOOST_TEST(std::get<Prepare>(std::get<Message>(back).body).transfer);
  auto plain = test::safe_decode(net::encode(Message{1, Prepare{{8, 1}, 4}}, cluster), cluster);
  BOOST_REQUIRE(!test::is_error(plain));
  BOOST_TEST(!std::get<Prepare>(std::get<Message>(plain).body).transfer);
  auto bad = test::safe_decode(
      R"({"type":"prepare","from":"beta","ballot":[8,1],"from_slot":4,"transfer":1})", cluster);
  BOOST_REQUIRE(test::is_error(bad));
  BOOST_TEST(test::error_of(bad) == "prepare: field 'transfer' is not true or false");
}

BOOST_AUTO_TEST_SUITE_END()
