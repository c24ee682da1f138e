#pragma once

// Sample messages of every type and decode helpers shared by the codec and transport tests.

#include <boost/test/unit_test.hpp>
#include <string>
#include <variant>
#include <vector>

#include "net/codec.hpp"
#include "paxoskv/limits.hpp"

namespace paxoskv::test {

using net::DecodeError;

inline Cluster three_sites() {
  return Cluster({{"alpha", "127.0.0.1", 5001, Role::voter},
                  {"beta", "127.0.0.1", 5002, Role::voter},
                  {"gamma", "127.0.0.1", 5003, Role::learner}});
}

inline Command put(std::string key, std::string value, std::uint64_t client, std::uint64_t seq) {
  return Command{Op::put, std::move(key), std::move(value), RequestId{client, seq}};
}

struct Sample {
  Message message;
  std::string wire;  // its exact encoding
};

// Samples are added one by one: GCC 12 warns falsely (maybe-uninitialized) about a braced
// list of variants.
inline void add(std::vector<Sample>& out, SiteId from, MessageBody body, std::string wire) {
  out.push_back(Sample{Message{from, std::move(body)}, std::move(wire)});
}

inline std::vector<Sample> samples() {
  Command append{Op::append, "k2", "x\"y\n", RequestId{8, 1}};
  Command del{Op::del, "k", "", RequestId{9, 2}};
  Command tag{Op::tag, "t", "1", RequestId{5, 6}};
  std::vector<Sample> out;
  add(out, 2, Prepare{{7, 2}, 4},
      R"({"type":"prepare","from":"gamma","ballot":[7,2],"from_slot":4})");
  add(out, 0, Promise{{7, 2}, 3, {{4, {6, 1}, put("k", "v", 7, 9)}, {5, {6, 0}, Command::noop()}}},
      R"({"type":"promise","from":"alpha","ballot":[7,2],"decided_end":3,"accepted":[)"
      R"({"slot":4,"ballot":[6,1],"op":"put","key":"k","value":"v","client":7,"seq":9},)"
      R"({"slot":5,"ballot":[6,0],"op":"no-op"}]})");
  add(out, 1,
      Accept{{3, 1},
             11,
             {{12, put("k", "v w", 7, 3)}, {13, append}, {14, del}, {15, Command::noop()}}},
      R"({"type":"accept","from":"beta","ballot":[3,1],"decided_end":11,"entries":[)"
      R"({"slot":12,"op":"put","key":"k","value":"v w","client":7,"seq":3},)"
      R"({"slot":13,"op":"append","key":"k2","value":"x\"y\n","client":8,"seq":1},)"
      R"({"slot":14,"op":"delete","key":"k","value":"","client":9,"seq":2},)"
      R"({"slot":15,"op":"no-op"}]})");
  add(out, 0, Ack{{3, 1}, {12, 13, 14, 20}},
      R"({"type":"ack","from":"alpha","ballot":[3,1],"slots":[12,13,14,20]})");
  add(out, 1, Nack{{9, 0}}, R"({"type":"nack","from":"beta","ballot":[9,0]})");
  add(out, 1, Commit{16, {{14, tag}, {15, Command::noop()}}},
      R"({"type":"commit","from":"beta","decided_end":16,"entries":[)"
      R"({"slot":14,"op":"tag","key":"t","value":"1","client":5,"seq":6},)"
      R"({"slot":15,"op":"no-op"}]})");
  add(out, 1, Heartbeat{{3, 1}, 16, 42},
      R"({"type":"heartbeat","from":"beta","ballot":[3,1],"decided_end":16,"probe":42})");
  add(out, 2, HeartbeatReply{{3, 1}, 42, 15, {3, 1}},
      R"({"type":"heartbeat_reply","from":"gamma","promised":[3,1],"probe":42,"decided_end":15,)"
      R"("ballot":[3,1]})");
  add(out, 2, CatchupRequest{10}, R"({"type":"catchup_request","from":"gamma","from_slot":10})");
  add(out, 0, CatchupReply{12, {{10, put("a", "b", 1, 2)}, {11, Command::noop()}}},
      R"({"type":"catchup_reply","from":"alpha","decided_end":12,"entries":[)"
      R"({"slot":10,"op":"put","key":"a","value":"b","client":1,"seq":2},)"
      R"({"slot":11,"op":"no-op"}]})");
  add(out, 2, Forward{put("key", "val ue", limits::max_client_id, 1)},
      R"({"type":"forward","from":"gamma","op":"put","key":"key","value":"val ue",)"
      R"("client":9007199254740991,"seq":1})");
  add(out, 0, ReadIndexRequest{77}, R"({"type":"read_index_request","from":"alpha","read_id":77})");
  add(out, 1, ReadIndexReply{77, 16},
      R"({"type":"read_index_reply","from":"beta","read_id":77,"read_end":16})");
  add(out, 0, RecoveryQuery{31}, R"({"type":"recovery_query","from":"alpha","query_id":31})");
  add(out, 1, RecoveryReply{31, {4, 1}, false},
      R"({"type":"recovery_reply","from":"beta","query_id":31,"promised":[4,1],"fresh":false})");
  return out;
}

inline bool is_error(const std::variant<Message, DecodeError>& r) {
  return std::holds_alternative<DecodeError>(r);
}

inline std::string error_of(const std::variant<Message, DecodeError>& r) {
  const DecodeError* e = std::get_if<DecodeError>(&r);
  return e == nullptr ? "(decoded)" : e->what;
}

// Decoding must never throw; every refusal must say why.
inline std::variant<Message, DecodeError> safe_decode(std::string_view bytes,
                                                      const Cluster& cluster) {
  std::variant<Message, DecodeError> r = DecodeError{"threw"};
  BOOST_REQUIRE_NO_THROW(r = net::decode(bytes, cluster));
  if (is_error(r)) BOOST_CHECK(!error_of(r).empty());
  return r;
}

// What a decoded message must satisfy whatever the input was.
inline void check_decoded_is_sane(const Message& m, const Cluster& cluster) {
  BOOST_CHECK_LT(m.from, cluster.size());
  std::string again = net::encode(m, cluster);
  BOOST_CHECK_LE(again.size(), limits::max_datagram_bytes);
  BOOST_CHECK(!is_error(net::decode(again, cluster)));
}

}  // namespace paxoskv::test
