#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "site/options.hpp"

using namespace paxoskv::site;
namespace trivial = boost::log::trivial;

namespace {

Options parse_ok(const std::vector<std::string>& args) {
  auto parsed = parse_options(args);
  BOOST_REQUIRE(std::holds_alternative<Options>(parsed));
  return std::get<Options>(parsed);
}

std::string parse_error(const std::vector<std::string>& args) {
  auto parsed = parse_options(args);
  BOOST_REQUIRE(std::holds_alternative<UsageError>(parsed));
  return std::get<UsageError>(parsed).what;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(options)

BOOST_AUTO_TEST_CASE(defaults) {
  Options options = parse_ok({"alpha"});
  BOOST_TEST(options.site == "alpha");
  BOOST_TEST(options.hosts_path == "hosts.txt");
  BOOST_TEST(options.data_dir == "data");
  BOOST_TEST((options.log_level == trivial::warning));
  BOOST_TEST(options.shell);
}

BOOST_AUTO_TEST_CASE(every_option_in_any_order) {
  Options options = parse_ok(
      {"--hosts", "h.txt", "--log-level=trace", "beta", "--no-shell", "--data-dir", "/tmp/d"});
  BOOST_TEST(options.site == "beta");
  BOOST_TEST(options.hosts_path == "h.txt");
  BOOST_TEST(options.data_dir == "/tmp/d");
  BOOST_TEST((options.log_level == trivial::trace));
  BOOST_TEST(!options.shell);
}

BOOST_AUTO_TEST_CASE(bad_usage) {
  BOOST_TEST(parse_error({}) == "SITE is missing");
  BOOST_TEST(parse_error({"alpha", "beta"}) == "more than one SITE given ('alpha', 'beta')");
  BOOST_TEST(parse_error({"alpha", "--hosts"}) == "--hosts needs a value");
  BOOST_TEST(parse_error({"alpha", "--log-level", "loud"}) ==
             "unknown log level 'loud' (use trace, debug, info, warning or error)");
  BOOST_TEST(parse_error({"alpha", "--verbose"}) == "unknown option '--verbose'");
  BOOST_TEST(parse_error({"alpha", "--no-shell=yes"}) == "unknown option '--no-shell=yes'");
  BOOST_TEST(parse_error({"alpha", "--data-dir="}) == "--data-dir needs a non-empty value");
}

BOOST_AUTO_TEST_CASE(help) {
  BOOST_TEST(std::holds_alternative<HelpRequested>(parse_options({"alpha", "--help"})));
  BOOST_TEST(usage_text("paxoskv-site").find("usage: paxoskv-site SITE") == 0u);
}

BOOST_AUTO_TEST_CASE(log_levels) {
  BOOST_TEST((parse_log_level("debug") == trivial::debug));
  BOOST_TEST((parse_log_level("error") == trivial::error));
  BOOST_TEST(!parse_log_level("fatal").has_value());
}

BOOST_AUTO_TEST_CASE(unknown_site_names_the_last_line) {
  BOOST_TEST(last_line_number("") == 0u);
  BOOST_TEST(last_line_number("a\nb\n") == 2u);
  BOOST_TEST(last_line_number("a\nb") == 2u);
  BOOST_TEST(unknown_site_message("hosts.txt", 4, "x", {"alpha", "beta", "gamma"}) ==
             "hosts.txt:4: no site named 'x' (sites: alpha, beta, gamma)");
}

BOOST_AUTO_TEST_SUITE_END()
