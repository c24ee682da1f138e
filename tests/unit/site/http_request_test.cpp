#include <boost/test/unit_test.hpp>
#include <string>

#include "site/http_request.hpp"

using namespace paxoskv::site;

namespace {

DecodedTarget decoded(std::string_view target) {
  auto result = decode_target(target);
  if (auto* problem = std::get_if<std::string>(&result)) BOOST_FAIL(target << ": " << *problem);
  return std::get<DecodedTarget>(std::move(result));
}

std::string problem(std::string_view target) {
  auto result = decode_target(target);
  BOOST_REQUIRE_MESSAGE(std::holds_alternative<std::string>(result), target << " decoded");
  return std::get<std::string>(result);
}

using Query = std::vector<std::pair<std::string, std::string>>;

}  // namespace

BOOST_AUTO_TEST_SUITE(http_request)

BOOST_AUTO_TEST_CASE(percent_escapes_decode_to_any_byte) {
  BOOST_TEST(*percent_decode("a%20b", false) == "a b");
  BOOST_TEST(*percent_decode("%2F%2f%41%7e", false) == "//A~");
  BOOST_TEST(*percent_decode("%00%FF", false) == std::string("\0\xff", 2));
  BOOST_TEST(*percent_decode("%E2%82%AC", false) == "\xe2\x82\xac");  // UTF-8 of the euro sign
  BOOST_TEST(*percent_decode("", false) == "");
  // A decoded '%' is not decoded again.
  BOOST_TEST(*percent_decode("%2541", false) == "%41");
}

BOOST_AUTO_TEST_CASE(plus_is_a_space_only_in_the_query) {
  BOOST_TEST(*percent_decode("a+b", false) == "a+b");
  BOOST_TEST(*percent_decode("a+b", true) == "a b");
  BOOST_TEST(*percent_decode("a%2Bb", true) == "a+b");
  DecodedTarget target = decoded("/v1/kv/a+b?prefix=c+d%2B");
  BOOST_TEST(target.path == "/v1/kv/a+b");
  BOOST_TEST((target.query == Query{{"prefix", "c d+"}}));
}

BOOST_AUTO_TEST_CASE(bad_escapes_do_not_decode) {
  for (std::string_view bad : {"%", "%4", "a%", "%zz", "%4g", "%g4", "x%2"})
    BOOST_TEST(!percent_decode(bad, false).has_value(), bad);
  BOOST_TEST(problem("/v1/kv/%zz") == "bad percent-encoding in the path");
  BOOST_TEST(problem("/v1/kv/a%2") == "bad percent-encoding in the path");
  BOOST_TEST(problem("/v1/kv?prefix=%") == "bad percent-encoding in the query");
  BOOST_TEST(problem("/v1/kv?%x=1") == "bad percent-encoding in the query");
}

BOOST_AUTO_TEST_CASE(the_target_must_be_a_path) {
  BOOST_TEST(problem("") == "the request target must be a path starting with '/'");
  BOOST_TEST(problem("v1/kv") == "the request target must be a path starting with '/'");
  BOOST_TEST(problem("http://host/v1/kv") == "the request target must be a path starting with '/'");
  BOOST_TEST(problem("*") == "the request target must be a path starting with '/'");
}

BOOST_AUTO_TEST_CASE(path_stops_at_the_first_question_mark) {
  DecodedTarget target = decoded("/v1/kv/a%3Fb?x=%3F?");
  BOOST_TEST(target.path == "/v1/kv/a?b");  // an encoded '?' is part of the key
  BOOST_TEST((target.query == Query{{"x", "??"}}));
  BOOST_TEST(decoded("/").path == "/");
  BOOST_TEST(decoded("/?").query.empty());
}

BOOST_AUTO_TEST_CASE(query_keeps_order_and_repeats_and_empty_values) {
  DecodedTarget target = decoded("/v1/kv?b=2&a=1&&b=3&flag&empty=&=v&k=a=b");
  BOOST_TEST((target.query == Query{{"b", "2"},
                                    {"a", "1"},
                                    {"b", "3"},
                                    {"flag", ""},
                                    {"empty", ""},
                                    {"", "v"},
                                    {"k", "a=b"}}));
  HttpRequest request;
  request.query = target.query;
  BOOST_REQUIRE(request.query_value("b") != nullptr);
  BOOST_TEST(*request.query_value("b") == "2");  // the first one
  BOOST_TEST(*request.query_value("flag") == "");
  BOOST_TEST(request.query_value("c") == nullptr);
  BOOST_TEST(request.query_value("B") == nullptr);  // names are case-sensitive
}

BOOST_AUTO_TEST_CASE(query_names_and_values_are_decoded) {
  DecodedTarget target = decoded("/v1/watch?pre%66ix=a%26b%3Dc&since=1%30");
  BOOST_TEST((target.query == Query{{"prefix", "a&b=c"}, {"since", "10"}}));
}

BOOST_AUTO_TEST_SUITE_END()
