#include "net/client_protocol.hpp"

#include <boost/test/unit_test.hpp>

using namespace paxoskv;
using namespace paxoskv::net;

BOOST_AUTO_TEST_SUITE(client_protocol)

BOOST_AUTO_TEST_CASE(request_round_trip_and_command) {
  ClientRequest r{(std::uint64_t{1} << 53) - 1, 7, ClientOp::append, "k", "v w"};
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
      decode_client_reply(encode(ClientRequest{1, 1, ClientOp::get, "k", ""}))));
}

BOOST_AUTO_TEST_SUITE_END()
