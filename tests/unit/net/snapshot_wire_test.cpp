#include <boost/test/unit_test.hpp>
#include <string>

#include "net/base64.hpp"
#include "samples.hpp"

using namespace paxoskv;
using namespace paxoskv::test;

namespace {

std::string error_of(const std::string& wire) {
  auto r = net::decode(wire, three_sites());
  BOOST_REQUIRE(std::holds_alternative<DecodeError>(r));
  return std::get<DecodeError>(r).what;
}

std::string reply_with(const std::string& snapshot) {
  return R"({"type":"catchup_reply","from":"alpha","decided_end":50,"entries":[],"snapshot":)" +
         snapshot + "}";
}

const std::string kDigest(64, 'a');

}  // namespace

BOOST_AUTO_TEST_SUITE(snapshot_wire)

BOOST_AUTO_TEST_CASE(base64_round_trips_any_bytes_and_refuses_non_canonical_text) {
  for (std::string bytes : {std::string(""), std::string("f"), std::string("fo"),
                            std::string("foo"), std::string("\xff\x00\xc3", 3)}) {
    std::optional<std::string> back = net::base64_decode(net::base64_encode(bytes));
    BOOST_REQUIRE(back);
    BOOST_TEST(*back == bytes);
  }
  BOOST_TEST(net::base64_encode("foob") == "Zm9vYg==");
  BOOST_TEST(!net::base64_decode("Zm9vYg="));   // bad length
  BOOST_TEST(!net::base64_decode("Zm9vYh=="));  // non-zero padding bits
  BOOST_TEST(!net::base64_decode("Zm9v!g=="));  // bad character
  BOOST_TEST(!net::base64_decode("Zg==Zm9v"));  // padding in the middle
}

BOOST_AUTO_TEST_CASE(catchup_messages_carry_snapshot_pieces_and_cursors) {
  Cluster cluster = three_sites();
  SnapshotChunk chunk{40, {}, 100, 10, std::string("\xe2\x82", 2) + "{\"k\":1}"};
  chunk.digest.fill(0xab);
  Message reply{0, CatchupReply{50, {}, chunk}};
  std::string wire = net::encode(reply, cluster);
  BOOST_TEST(wire.find(R"("snapshot":{"base":40,"digest":"abab)") != std::string::npos);
  auto back = net::decode(wire, cluster);
  BOOST_REQUIRE(std::holds_alternative<Message>(back));
  const auto& r = std::get<CatchupReply>(std::get<Message>(back).body);
  BOOST_REQUIRE(r.snapshot);
  BOOST_TEST((*r.snapshot == chunk));

  Message request{2, CatchupRequest{3, SnapshotCursor{40, chunk.digest, 17}}};
  auto req = net::decode(net::encode(request, cluster), cluster);
  BOOST_REQUIRE(std::holds_alternative<Message>(req));
  const auto& q = std::get<CatchupRequest>(std::get<Message>(req).body);
  BOOST_REQUIRE(q.snapshot);
  BOOST_TEST((*q.snapshot == *std::get<CatchupRequest>(request.body).snapshot));
  // Without a transfer the old wire form is unchanged.
  BOOST_TEST(net::encode(Message{2, CatchupRequest{3}}, cluster) ==
             R"({"type":"catchup_request","from":"gamma","from_slot":3})");
}

BOOST_AUTO_TEST_CASE(malformed_snapshot_fields_are_refused_with_a_reason) {
  BOOST_TEST(error_of(reply_with("[]")) == "catchup_reply: field 'snapshot' is not an object");
  BOOST_TEST(error_of(reply_with(R"({"base":1,"digest":"xy","size":3,"offset":0,"data":""})")) ==
             "catchup_reply: snapshot: field 'digest' is not 64 hex digits");
  BOOST_TEST(error_of(reply_with(R"({"base":1,"digest":")" + kDigest +
                                 R"(","size":3,"offset":0,"data":"@@@@"})")) ==
             "catchup_reply: snapshot: field 'data' is not base64");
  BOOST_TEST(error_of(reply_with(R"({"base":1,"digest":")" + kDigest +
                                 R"(","size":2,"offset":0,"data":"Zm9v"})")) ==
             "catchup_reply: snapshot: the piece does not lie within the snapshot's size");
  BOOST_TEST(error_of(reply_with(R"({"base":1,"digest":")" + kDigest +
                                 R"(","size":2,"offset":5,"data":""})")) ==
             "catchup_reply: snapshot: the piece does not lie within the snapshot's size");
  BOOST_TEST(error_of(reply_with(R"({"base":1,"digest":")" + kDigest + R"(","offset":0})")) ==
             "catchup_reply: snapshot: missing field 'size'");
  BOOST_TEST(error_of(R"({"type":"catchup_request","from":"gamma","from_slot":3,)"
                      R"("snapshot":{"base":1,"digest":")" +
                      kDigest + R"("}})") == "catchup_request: snapshot: missing field 'offset'");
  std::string big(limits::snapshot_chunk_bytes + 3, 'x');
  BOOST_TEST(error_of(reply_with(R"({"base":1,"digest":")" + kDigest +
                                 R"(","size":99999999,"offset":0,"data":")" +
                                 net::base64_encode(big) + "\"}")) ==
             "catchup_reply: snapshot: field 'data' is larger than a snapshot piece");
}

BOOST_AUTO_TEST_SUITE_END()
