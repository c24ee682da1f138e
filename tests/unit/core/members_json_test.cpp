#include "core/members_json.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace paxoskv;

namespace {

KnownMembers sample() {
  KnownMembers m;
  m.initial = Cluster({{"alpha", "127.0.0.1", 5001, Role::voter},
                       {"beta", "127.0.0.1", 5002, Role::voter},
                       {"gamma", "::1", 5003, Role::learner}});
  m.latest = Cluster({{"alpha", "127.0.0.1", 5001, Role::voter},
                      {"beta", "127.0.0.1", 5002, Role::removed},
                      {"gamma", "::1", 5003, Role::voter},
                      {"delta", "db.example", 5004, Role::joining},
                      {"beta", "127.0.0.1", 5005, Role::learner}});
  return m;
}

std::string error_of(const std::string& text) {
  auto decoded = decode_known_members(text);
  BOOST_REQUIRE_MESSAGE(std::holds_alternative<std::string>(decoded), "accepted: " << text);
  return std::get<std::string>(decoded);
}

// The sample's text with `from` replaced by `to` (once).
std::string edited(const std::string& from, const std::string& to) {
  std::string text = encode_known_members(sample());
  const auto at = text.find(from);
  BOOST_REQUIRE_MESSAGE(at != std::string::npos, from);
  return text.replace(at, from.size(), to);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(members_json)

BOOST_AUTO_TEST_CASE(known_members_round_trip_with_removed_sites_keeping_their_ids) {
  const std::string text = encode_known_members(sample());
  BOOST_TEST(text.rfind(R"({"initial":[{"name":"alpha","host":"127.0.0.1","port":5001,)"
                        R"("role":"voter"},)",
                        0) == 0u);
  BOOST_TEST(boost::json::parse(text).is_object());
  auto decoded = decode_known_members(text);
  BOOST_TEST_REQUIRE(std::holds_alternative<KnownMembers>(decoded));
  BOOST_TEST((std::get<KnownMembers>(decoded) == sample()));
  // The removed beta keeps id 1; the beta added later is another site, id 4.
  BOOST_TEST(*std::get<KnownMembers>(decoded).latest.find("beta") == 4u);
}

BOOST_AUTO_TEST_CASE(malformed_documents_are_refused_naming_what_is_wrong) {
  BOOST_TEST(error_of("").rfind("not JSON", 0) == 0u);
  BOOST_TEST(error_of(R"({"initial":[{"name":"a","host":"h","port":1,"role":"voter"}]})") ==
             "field 'latest' is missing");
  BOOST_TEST(error_of(R"({"initial":[],"latest":[]})") ==
             "initial: not an array of sites, or empty");
  BOOST_TEST(error_of(edited(R"("role":"learner")", R"("role":"boss")")) ==
             "initial: site gamma has an unknown role 'boss'");
  BOOST_TEST(error_of(edited("5001", "70000")) == "initial: site alpha has a bad port");
  BOOST_TEST(error_of(edited(R"("name":"alpha")", R"("name":"al pha")"))
                 .find("initial: bad site name 'al pha'") == 0u);
  BOOST_TEST(error_of(edited(R"("host":"db.example")", R"("host":"[::1]")"))
                 .find("latest: site delta: bad host '[::1]'") == 0u);
  BOOST_TEST(error_of(edited(R"("port":5001,"role":"voter"},{"name":"beta","host":"127.0.0.1",)"
                             R"("port":5002,"role":"voter")",
                             R"("port":5001,"role":"learner"},{"name":"beta","host":"127.0.0.1",)"
                             R"("port":5002,"role":"learner")")) ==
             "initial: a configuration without voters");

  KnownMembers shrunk = sample();
  shrunk.latest = Cluster({{"alpha", "127.0.0.1", 5001, Role::voter}});
  BOOST_TEST(error_of(encode_known_members(shrunk)) ==
             "'latest' has 1 sites, fewer than the 3 of 'initial' (ids are never reused)");
  KnownMembers moved = sample();
  moved.latest = Cluster({{"alpha", "127.0.0.1", 5001, Role::voter},
                          {"gamma", "::1", 5003, Role::voter},
                          {"beta", "127.0.0.1", 5002, Role::voter}});
  BOOST_TEST(error_of(encode_known_members(moved)) ==
             "site 1 is beta in 'initial' but gamma in 'latest' (ids are never reused)");
}

BOOST_AUTO_TEST_SUITE_END()
