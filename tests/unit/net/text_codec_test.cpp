// The text path of the encoders (core/json_text.hpp, encode() of accepts, acks, commits and
// the client protocol) must give the bytes boost::json::serialize gives, for any content.

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/json_form.hpp"
#include "core/json_text.hpp"
#include "net/client_protocol.hpp"
#include "samples.hpp"

using namespace paxoskv;
using namespace paxoskv::test;

namespace {

// Every byte value, quotes and backslashes, valid multi-byte UTF-8, and random bytes.
std::vector<std::string> hostile_strings() {
  std::vector<std::string> out{
      "",        "plain", "\"",          "\\",
      "a\"b\\c", "\x7f",  "caf\xc3\xa9", "\xe2\x82\xac and \xf0\x9f\x98\x80",
      "/slash/"};
  std::string all;
  for (int c = 1; c < 0x80; ++c) all += static_cast<char>(c);
  out.push_back(all);
  for (int c = 0; c < 0x20; ++c) out.push_back(std::string(1, static_cast<char>(c)) + "x");
  std::mt19937 rng(11);
  for (int i = 0; i < 200; ++i) {
    std::string s;
    for (std::size_t n = rng() % 40; n > 0; --n) s += static_cast<char>(rng() % 0x80);
    out.push_back(s);
  }
  return out;
}

Command command_of(std::size_t i, const std::string& text) {
  switch (i % 5) {
    case 0:
      return Command{Op::put, "k" + text, text, RequestId{i + 1, 2 * i + 1}};
    case 1:
      return Command{Op::append, text.empty() ? "k" : text, text,
                     RequestId{limits::max_client_id, 1}};
    case 2:
      return Command{Op::del, "key", "", RequestId{3, i}};
    case 3:
      return Command{Op::tag, "t", text, RequestId{i, 9}};
    default:
      return Command::noop();
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(text_codec)

BOOST_AUTO_TEST_CASE(strings_and_commands_match_boost_serialize) {
  std::size_t i = 0;
  for (const std::string& s : hostile_strings()) {
    std::string text;
    json_text::append_string(text, s);
    BOOST_TEST(text == boost::json::serialize(boost::json::value(boost::json::string(s))));
    Command c = command_of(i++, s);
    boost::json::object o;
    json_form::put_command(o, c);
    std::string fields = "{";
    json_text::append_command_fields(fields, c);
    fields += '}';
    BOOST_TEST(fields == boost::json::serialize(o));
  }
  for (std::uint64_t n : {std::uint64_t{0}, std::uint64_t{9}, std::uint64_t{10},
                          limits::max_client_id, ~std::uint64_t{0}}) {
    std::string text;
    json_text::append_u64(text, n);
    BOOST_TEST(text == boost::json::serialize(boost::json::value(n)));
    text.clear();
    json_text::append_ballot(text, Ballot{n, 2});
    BOOST_TEST(text == boost::json::serialize(json_form::ballot_to_json(Ballot{n, 2})));
  }
}

BOOST_AUTO_TEST_CASE(every_message_matches_the_generic_encoder) {
  Cluster cluster = three_sites();
  for (const Sample& s : samples()) {
    BOOST_TEST(net::encode(s.message, cluster) == net::detail::encode_generic(s.message, cluster));
    BOOST_TEST(net::encode(s.message, cluster) == s.wire);
  }
  // Accepts, acks and commits with hostile contents, empty lists and long lists.
  std::vector<std::string> strings = hostile_strings();
  std::vector<SlotCommand> entries;
  std::vector<Slot> slots;
  for (std::size_t i = 0; i < strings.size(); ++i) {
    entries.push_back(SlotCommand{1000 + i, command_of(i, strings[i])});
    slots.push_back(1000 + i * 3);
  }
  std::vector<Message> messages;
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{7}, entries.size()}) {
    std::vector<SlotCommand> some(entries.begin(), entries.begin() + static_cast<long>(n));
    std::vector<Slot> some_slots(slots.begin(), slots.begin() + static_cast<long>(n));
    messages.push_back(Message{1, Accept{{limits::max_client_id, 1}, 999, some}});
    messages.push_back(Message{0, Commit{n, some}});
    messages.push_back(Message{2, Ack{{5, 0}, some_slots}});
  }
  for (const Message& m : messages) {
    std::string wire = net::encode(m, cluster);
    BOOST_TEST(wire == net::detail::encode_generic(m, cluster));
    // And it decodes to what was encoded.
    auto decoded = net::decode(wire, cluster);
    BOOST_TEST_REQUIRE(!is_error(decoded), error_of(decoded));
    BOOST_TEST(net::encode(std::get<Message>(decoded), cluster) == wire);
  }
}

BOOST_AUTO_TEST_CASE(client_protocol_matches_the_generic_encoder) {
  std::size_t i = 0;
  for (const std::string& s : hostile_strings()) {
    ++i;
    net::ClientRequest request{i, i * 7, static_cast<net::ClientOp>(i % 5), "k" + s, s, ""};
    BOOST_TEST(net::encode(request) == net::detail::encode_generic(request));
    auto decoded = net::decode_client_request(net::encode(request));
    BOOST_TEST_REQUIRE(std::holds_alternative<net::ClientRequest>(decoded));
    BOOST_TEST(std::get<net::ClientRequest>(decoded).value == s);
    for (bool ok : {true, false}) {
      net::ClientReply reply{i,           i + 1,
                             ok,          i % 2 ? std::optional<std::string>(s) : std::nullopt,
                             ok ? "" : s, i % 3 ? "beta" : ""};
      BOOST_TEST(net::encode(reply) == net::detail::encode_generic(reply));
      auto back = net::decode_client_reply(net::encode(reply));
      BOOST_TEST_REQUIRE(std::holds_alternative<net::ClientReply>(back));
      BOOST_TEST((std::get<net::ClientReply>(back).value == reply.value));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
