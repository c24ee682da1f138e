#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <random>
#include <string>
#include <vector>

#include "samples.hpp"

namespace json = boost::json;
using namespace paxoskv;
using namespace paxoskv::test;
using net::DecodeError;

namespace {

void check_refused(const std::string& bytes, const std::string& reason_part = "") {
  BOOST_TEST_CONTEXT(bytes.substr(0, 200)) {
    auto r = safe_decode(bytes, three_sites());
    BOOST_TEST(is_error(r));
    if (!reason_part.empty())
      BOOST_TEST(error_of(r).find(reason_part) != std::string::npos, error_of(r));
  }
}

// Values that are valid for no field of any message (strings excepted for string fields,
// true for boolean fields).
std::vector<json::value> hostile_values() {
  return {json::value("x"),
          json::value(-1),
          json::value(1.5),
          json::value(nullptr),
          json::object{},
          json::value(true),
          json::array{-1},
          json::array{1, 2, 3.5},
          json::array{json::array{1}, 2},
          json::value(1e300),
          json::value(std::uint64_t{1} << 53)};
}

// Replaces or removes each field of `o` in turn and expects every result to be refused;
// `wrap` puts the damaged object back into a whole message.
template <class Wrap>
void check_each_field_damaged(const json::object& o, Wrap wrap) {
  for (const auto& field : o) {
    if (field.key() == "type") continue;
    json::object without = o;
    without.erase(field.key());
    check_refused(wrap(without), "");
    for (const json::value& bad : hostile_values()) {
      if (bad.is_string() && field.value().is_string() && field.key() != "from") continue;
      if (bad.is_bool() && field.value().is_bool()) continue;
      json::object damaged = o;
      damaged[field.key()] = bad;
      check_refused(wrap(damaged), "");
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(codec_hostile)

BOOST_AUTO_TEST_CASE(random_bytes_are_refused_without_throwing) {
  std::mt19937_64 rng(20240611);
  const std::string json_alphabet = "{}[]\":,0123456789-+.eE \\tfalsenuxyz";
  Cluster cluster = three_sites();
  for (int i = 0; i < 20000; ++i) {
    std::string bytes(std::uniform_int_distribution<std::size_t>(0, 300)(rng), '\0');
    bool json_like = i % 2 == 0;
    for (char& c : bytes)
      c = json_like ? json_alphabet[rng() % json_alphabet.size()] : static_cast<char>(rng());
    auto r = safe_decode(bytes, cluster);
    if (!is_error(r)) check_decoded_is_sane(std::get<Message>(r), cluster);
  }
}

BOOST_AUTO_TEST_CASE(mutated_messages_never_throw_and_decode_only_to_sane_messages) {
  std::mt19937_64 rng(7);
  Cluster cluster = three_sites();
  int decoded = 0;
  for (const Sample& s : samples()) {
    for (int i = 0; i < 2000; ++i) {
      std::string bytes = s.wire;
      for (int edits = 1 + static_cast<int>(rng() % 3); edits > 0 && !bytes.empty(); --edits) {
        std::size_t at = rng() % bytes.size();
        switch (rng() % 3) {
          case 0:
            bytes[at] = static_cast<char>(rng());
            break;
          case 1:
            bytes.erase(at, 1);
            break;
          default:
            bytes.insert(at, 1, "0123456789-\"[]{},"[rng() % 17]);
            break;
        }
      }
      auto r = safe_decode(bytes, cluster);
      if (!is_error(r)) {
        ++decoded;
        check_decoded_is_sane(std::get<Message>(r), cluster);
      }
    }
  }
  // Some mutations (a digit changed) stay valid: the sanity checks above did run.
  BOOST_TEST(decoded > 0);
}

BOOST_AUTO_TEST_CASE(every_proper_prefix_is_refused) {
  for (const Sample& s : samples())
    for (std::size_t n = 0; n < s.wire.size(); ++n) check_refused(s.wire.substr(0, n));
}

BOOST_AUTO_TEST_CASE(envelope_problems_are_refused_with_a_reason) {
  check_refused("", "not JSON");
  check_refused("[1,2]", "not a JSON object");
  check_refused("\"prepare\"", "not a JSON object");
  check_refused("{\"type\":\"bogus\",\"from\":\"alpha\"}", "unknown type 'bogus'");
  check_refused("{\"from\":\"alpha\",\"read_id\":1}", "missing field 'type'");
  check_refused("{\"type\":7,\"from\":\"alpha\",\"read_id\":1}", "field 'type'");
  check_refused("{\"type\":\"read_index_request\",\"read_id\":1}", "missing field 'from'");
  check_refused("{\"type\":\"read_index_request\",\"from\":\"delta\",\"read_id\":1}",
                "unknown site 'delta'");
  check_refused("{\"type\":\"read_index_request\",\"from\":\"Alpha\",\"read_id\":1}",
                "unknown site");
  check_refused(std::string("{\"type\":\"nack\",\"from\":\"alpha\",\"ballot\":[1,0]}\xff"),
                "not JSON");
  check_refused(std::string(200, '[') + std::string(200, ']'), "not JSON");
}

BOOST_AUTO_TEST_CASE(numbers_out_of_range_are_refused) {
  auto nack = [](const std::string& ballot) {
    return "{\"type\":\"nack\",\"from\":\"beta\",\"ballot\":" + ballot + "}";
  };
  BOOST_TEST(!is_error(net::decode(nack("[9007199254740991,2]"), three_sites())));
  check_refused(nack("[7,3]"), "site index 3");
  check_refused(nack("[7,4294967296]"), "ballot");
  check_refused(nack("[9007199254740992,0]"), "out of range");
  check_refused(nack("[18446744073709551615,0]"), "out of range");
  check_refused(nack("[18446744073709551616,0]"), "ballot");
  check_refused(nack("[-1,0]"), "ballot");
  check_refused(nack("[1.0,0]"), "ballot");
  auto read = [](const std::string& id) {
    return "{\"type\":\"read_index_request\",\"from\":\"beta\",\"read_id\":" + id + "}";
  };
  check_refused(read("-5"), "non-negative");
  check_refused(read("1e3"), "non-negative");
  check_refused(read("9007199254740992"), "out of range");
  check_refused(read("99999999999999999999999"), "read_id");
}

BOOST_AUTO_TEST_CASE(malformed_recovery_messages_are_refused) {
  auto reply = [](const std::string& fields) {
    return "{\"type\":\"recovery_reply\",\"from\":\"beta\"," + fields + "}";
  };
  BOOST_TEST(!is_error(
      net::decode(reply("\"query_id\":1,\"promised\":[0,0],\"fresh\":true"), three_sites())));
  check_refused(reply("\"query_id\":1,\"promised\":[0,0],\"fresh\":1"), "fresh");
  check_refused(reply("\"query_id\":1,\"promised\":[0,0],\"fresh\":\"true\""), "fresh");
  check_refused(reply("\"query_id\":1,\"promised\":[0,0]"), "missing field 'fresh'");
  check_refused(reply("\"query_id\":1,\"fresh\":false"), "missing field 'promised'");
  check_refused(reply("\"promised\":[0,0],\"fresh\":false"), "missing field 'query_id'");
  check_refused(reply("\"query_id\":1,\"promised\":[2,3],\"fresh\":false"), "site index 3");
  check_refused(reply("\"query_id\":-1,\"promised\":[2,1],\"fresh\":false"), "query_id");
  auto query = [](const std::string& id) {
    return "{\"type\":\"recovery_query\",\"from\":\"gamma\",\"query_id\":" + id + "}";
  };
  BOOST_TEST(!is_error(net::decode(query("9007199254740991"), three_sites())));
  check_refused(query("9007199254740992"), "out of range");
  check_refused(query("1.5"), "query_id");
  check_refused(query("null"), "query_id");
  check_refused("{\"type\":\"recovery_query\",\"from\":\"gamma\"}", "missing field 'query_id'");
}

BOOST_AUTO_TEST_CASE(oversized_datagrams_are_refused) {
  std::string nack = R"({"type":"nack","from":"beta","ballot":[1,0]})";
  std::string at_limit = nack + std::string(limits::max_datagram_bytes - nack.size(), ' ');
  BOOST_TEST(!is_error(net::decode(at_limit, three_sites())));
  check_refused(at_limit + " ", "exceeds");
}

BOOST_AUTO_TEST_CASE(too_many_list_elements_are_refused) {
  auto ack = [](std::size_t n) {
    std::string slots;
    for (std::size_t i = 0; i < n; ++i) slots += (i == 0 ? "" : ",") + std::to_string(i);
    return R"({"type":"ack","from":"alpha","ballot":[1,0],"slots":[)" + slots + "]}";
  };
  BOOST_TEST(!is_error(net::decode(ack(4096), three_sites())));
  check_refused(ack(4097), "more than 4096");
}

BOOST_AUTO_TEST_CASE(bad_commands_in_entries_are_refused) {
  auto accept = [](const std::string& entry) {
    return R"({"type":"accept","from":"alpha","ballot":[1,0],"decided_end":0,"entries":[)" + entry +
           "]}";
  };
  check_refused(accept(R"({"slot":1,"op":"launch"})"), "unknown op 'launch'");
  check_refused(accept(R"({"slot":1,"op":"put","key":"","value":"v","client":1,"seq":1})"),
                "key size");
  std::string big(limits::max_value_bytes + 1, 'v');
  check_refused(
      accept(R"({"slot":1,"op":"put","key":"k","value":")" + big + R"(","client":1,"seq":1})"),
      "value too large");
  check_refused(
      accept(R"({"slot":1,"op":"put","key":"k","value":"v","client":9007199254740992,"seq":1})"),
      "request id");
  check_refused(accept("7"), "entries[0]: not an object");
  check_refused(accept(R"({"slot":1,"op":"no-op"},{"op":"no-op"})"),
                "entries[1]: missing field 'slot'");
}

BOOST_AUTO_TEST_CASE(each_damaged_or_missing_field_is_refused) {
  for (const Sample& s : samples()) {
    const json::object top = json::parse(s.wire).as_object();
    check_each_field_damaged(top, [](const json::object& o) { return json::serialize(o); });
    // The same for the fields of the first element of every list of entries.
    for (const auto& field : top) {
      const json::array* list = field.value().if_array();
      if (list == nullptr || list->empty() || !list->front().is_object()) continue;
      check_each_field_damaged(list->front().as_object(), [&](const json::object& element) {
        json::object whole = top;
        whole[field.key()].as_array().front() = element;
        return json::serialize(whole);
      });
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
