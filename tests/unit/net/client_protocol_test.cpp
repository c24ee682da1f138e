#include "net/client_protocol.hpp"

#include "paxoskv/member_change.hpp"

#include <boost/test/unit_test.hpp>

using namespace paxoskv;
using namespace paxoskv::net;

BOOST_AUTO_TEST_SUITE(client_protocol)

BOOST_AUTO_TEST_CASE(request_round_trip_and_command) {
  ClientRequest r{(std::uint64_t{1} << 53) - 1, 7, ClientOp::append, "k", "v w", ""};
  std::string wire = encode(r);
  BOOST_TEST(looks_like_client_request(wire));
  auto decoded = decode_client_request(wire);
  BOOST_TEST_REQUIRE(std::holds_alternative<ClientRequest>(decoded));
  const ClientRequest& d = std::get<ClientRequest>(decoded);
  BOOST_TEST(d.client == r.client);
  BOOST_TEST(d.seq == 7u);
  BOOST_TEST((d.op == ClientOp::append));
  BOOST_TEST(d.key == "k");
  BOOST_TEST(d.value == "v w");
  BOOST_TEST((d.command() == Command{Op::append, "k", "v w", RequestId{r.client, 7}}));
  BOOST_TEST(!d.is_read());
}

BOOST_AUTO_TEST_CASE(get_without_value_and_delete_op_name) {
  auto get =
      decode_client_request(R"({"type":"client_request","client":1,"seq":1,"op":"get","key":"k"})");
  BOOST_TEST_REQUIRE(std::holds_alternative<ClientRequest>(get));
  BOOST_TEST(std::get<ClientRequest>(get).is_read());
  auto del = decode_client_request(
      R"({"type":"client_request","client":1,"seq":2,"op":"delete","key":"k","value":""})");
  BOOST_TEST_REQUIRE(std::holds_alternative<ClientRequest>(del));
  BOOST_TEST((std::get<ClientRequest>(del).command().op == Op::del));
}

BOOST_AUTO_TEST_CASE(malformed_requests_are_refused) {
  const char* bad[] = {
      "",
      "not json",
      "[]",
      R"({"type":"client_reply","client":1,"seq":1,"op":"get","key":"k"})",
      R"({"type":"client_request","client":0,"seq":1,"op":"get","key":"k"})",
      R"({"type":"client_request","client":9007199254740992,"seq":1,"op":"get","key":"k"})",
      R"({"type":"client_request","client":1,"seq":-1,"op":"get","key":"k"})",
      R"({"type":"client_request","client":1,"seq":1,"op":"no-op","key":"k"})",
      R"({"type":"client_request","client":1,"seq":1,"op":"put","key":""})",
      R"({"type":"client_request","client":1,"seq":1,"op":"put","key":"k","value":5})",
      R"({"type":"client_request","client":"1","seq":1,"op":"put","key":"k"})",
  };
  for (const char* text : bad)
    BOOST_TEST(std::holds_alternative<DecodeError>(decode_client_request(text)), text);
  std::string huge =
      R"({"type":"client_request","client":1,"seq":1,"op":"put","key":"k","value":")" +
      std::string(8193, 'x') + "\"}";
  BOOST_TEST(std::holds_alternative<DecodeError>(decode_client_request(huge)));
}

BOOST_AUTO_TEST_CASE(member_requests_carry_the_change_as_the_log_holds_it) {
  for (const char* value : {"add 127.0.0.1 5004", "add db.example 5004 voter", "add ::1 1",
                            "remove", "promote", "transfer"}) {
    ClientRequest r{3, 9, ClientOp::member, "delta", value, ""};
    const std::string wire = encode(r);
    BOOST_TEST(wire.find(R"("op":"member","key":"delta")") != std::string::npos);
    for (auto decoded : {decode_client_request(wire), detail::decode_generic_request(wire)}) {
      BOOST_TEST_REQUIRE(std::holds_alternative<ClientRequest>(decoded), value);
      const ClientRequest& d = std::get<ClientRequest>(decoded);
      BOOST_TEST((d.op == ClientOp::member));
      BOOST_TEST(!d.is_read());
      BOOST_TEST((d.command() == Command{Op::member, "delta", value, RequestId{3, 9}}));
      BOOST_TEST(std::holds_alternative<MemberChange>(member_change_of(d.command())));
    }
  }
  const MemberChange add{MemberAction::add, "delta", "127.0.0.1", 5004, true};
  ClientRequest r{3, 10, ClientOp::member, "delta", member_command(add, {}).value, ""};
  auto decoded = decode_client_request(encode(r));
  BOOST_TEST_REQUIRE(std::holds_alternative<ClientRequest>(decoded));
  BOOST_TEST((
      std::get<MemberChange>(member_change_of(std::get<ClientRequest>(decoded).command())) == add));
}

BOOST_AUTO_TEST_CASE(malformed_member_changes_are_refused_naming_what_is_wrong) {
  const std::pair<std::string, std::string> bad[] = {
      {"add 127.0.0.1", "bad member change: 'add' takes a host, a port and optionally 'voter'"},
      {"add 127.0.0.1 5004 learner",
       "bad member change: 'add' takes a host, a port and optionally 'voter'"},
      {"add 127.0.0.1 70000", "bad member change: bad port '70000'"},
      {"add [::1] 5004",
       "bad member change: bad host '[::1]': expected an IP address or a host "
       "name (write IPv6 addresses without brackets)"},
      {"remove now", "bad member change: unexpected words after 'remove'"},
      {"frobnicate", "bad member change: unknown membership change 'frobnicate'"},
      {"", "bad member change: unknown membership change ''"},
      {"refuse because I say so", "bad member change: unknown membership change 'refuse'"},
  };
  for (const auto& [value, reason] : bad) {
    const std::string wire = encode(ClientRequest{1, 1, ClientOp::member, "delta", value, ""});
    for (auto decoded : {decode_client_request(wire), detail::decode_generic_request(wire)}) {
      BOOST_TEST_REQUIRE(std::holds_alternative<DecodeError>(decoded), value);
      BOOST_TEST(std::get<DecodeError>(decoded).what == reason);
    }
  }
  auto bad_name =
      decode_client_request(encode(ClientRequest{1, 1, ClientOp::member, "a b", "remove", ""}));
  BOOST_TEST_REQUIRE(std::holds_alternative<DecodeError>(bad_name));
  BOOST_TEST(std::get<DecodeError>(bad_name).what.rfind("bad member change: bad site name 'a b'",
                                                        0) == 0u);
}

// Issue 17: a cas carries the expected value in a field of its own, and becomes a put on the
// condition of that value.
BOOST_AUTO_TEST_CASE(a_cas_request_carries_its_expected_value) {
  const ClientRequest cas{4, 3, ClientOp::cas, "k", "new", "old"};
  const std::string wire = encode(cas);
  BOOST_TEST(wire == R"({"type":"client_request","client":4,"seq":3,"op":"cas","key":"k",)"
                     R"("value":"new","expected":"old"})");
  BOOST_TEST(wire == detail::encode_generic(cas));
  for (auto decoded : {decode_client_request(wire), detail::decode_generic_request(wire)}) {
    BOOST_TEST_REQUIRE(std::holds_alternative<ClientRequest>(decoded));
    const ClientRequest& r = std::get<ClientRequest>(decoded);
    BOOST_TEST(r.expected == "old");
    BOOST_TEST((r.command().pre == Precondition{Precondition::Kind::value, "old", 0}));
    BOOST_TEST((r.command().op == Op::put));
  }
  auto missing = decode_client_request(
      R"({"type":"client_request","client":4,"seq":3,"op":"cas","key":"k","value":"new"})");
  BOOST_TEST_REQUIRE(std::holds_alternative<DecodeError>(missing));
  BOOST_TEST(std::get<DecodeError>(missing).what == "missing field 'expected'");
  auto stray = decode_client_request(R"({"type":"client_request","client":4,"seq":3,"op":"put",)"
                                     R"("key":"k","value":"new","expected":"old"})");
  BOOST_TEST_REQUIRE(std::holds_alternative<DecodeError>(stray));
  BOOST_TEST(std::get<DecodeError>(stray).what == "only a cas request has 'expected'");
  auto big = decode_client_request(encode(
      ClientRequest{4, 3, ClientOp::cas, "k", std::string(5000, 'n'), std::string(5000, 'o')}));
  BOOST_TEST_REQUIRE(std::holds_alternative<DecodeError>(big));
  BOOST_TEST(std::get<DecodeError>(big).what == "value too large (limit 8192 bytes)");
}

BOOST_AUTO_TEST_CASE(members_requests_take_no_key_or_value) {
  const std::string wire = encode(ClientRequest{4, 2, ClientOp::members, "", "", ""});
  BOOST_TEST(wire ==
             R"({"type":"client_request","client":4,"seq":2,"op":"members","key":"","value":""})");
  for (auto decoded :
       {decode_client_request(wire), detail::decode_generic_request(wire),
        decode_client_request(R"({"type":"client_request","client":4,"seq":2,"op":"members"})")}) {
    BOOST_TEST_REQUIRE(std::holds_alternative<ClientRequest>(decoded));
    BOOST_TEST((std::get<ClientRequest>(decoded).op == ClientOp::members));
    BOOST_TEST(!std::get<ClientRequest>(decoded).is_read());
  }
  for (const ClientRequest& bad : {ClientRequest{4, 2, ClientOp::members, "k", "", ""},
                                   ClientRequest{4, 2, ClientOp::members, "", "v", ""}}) {
    auto decoded = decode_client_request(encode(bad));
    BOOST_TEST_REQUIRE(std::holds_alternative<DecodeError>(decoded));
    BOOST_TEST(std::get<DecodeError>(decoded).what == "a members request takes no key or value");
  }
}

BOOST_AUTO_TEST_CASE(reply_round_trip_with_null_and_value) {
  ClientReply ok{5, 6, true, std::string("v"), "", "beta"};
  auto d = decode_client_reply(encode(ok));
  BOOST_TEST_REQUIRE(std::holds_alternative<ClientReply>(d));
  BOOST_TEST(std::get<ClientReply>(d).ok);
  BOOST_TEST((std::get<ClientReply>(d).value == std::optional<std::string>("v")));
  BOOST_TEST(std::get<ClientReply>(d).leader == "beta");
  ClientReply failed{5, 7, false, std::nullopt, "key exists", ""};
  std::string wire = encode(failed);
  BOOST_TEST(wire.find("\"value\":null") != std::string::npos);
  auto f = decode_client_reply(wire);
  BOOST_TEST_REQUIRE(std::holds_alternative<ClientReply>(f));
  BOOST_TEST(!std::get<ClientReply>(f).ok);
  BOOST_TEST(!std::get<ClientReply>(f).value.has_value());
  BOOST_TEST(std::get<ClientReply>(f).error == "key exists");
  BOOST_TEST(std::holds_alternative<DecodeError>(
      decode_client_reply(encode(ClientRequest{1, 1, ClientOp::get, "k", "", ""}))));
}

BOOST_AUTO_TEST_SUITE_END()
