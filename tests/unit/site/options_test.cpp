#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "site/options.hpp"

using namespace paxoskv::site;
namespace log = paxoskv::log;

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
  BOOST_TEST((options.log_level == log::Level::warning));
  BOOST_TEST(options.shell);
}

BOOST_AUTO_TEST_CASE(every_option_in_any_order) {
  Options options = parse_ok(
      {"--hosts", "h.txt", "--log-level=trace", "beta", "--no-shell", "--data-dir", "/tmp/d"});
  BOOST_TEST(options.site == "beta");
  BOOST_TEST(options.hosts_path == "h.txt");
  BOOST_TEST(options.data_dir == "/tmp/d");
  BOOST_TEST((options.log_level == log::Level::trace));
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

BOOST_AUTO_TEST_CASE(join_takes_host_and_port_instead_of_a_hosts_file) {
  BOOST_TEST(!parse_ok({"delta"}).join.has_value());
  Options options = parse_ok({"delta", "--join", "127.0.0.1:5001", "--data-dir", "d"});
  BOOST_TEST((options.join == JoinTarget{"127.0.0.1", 5001}));
  BOOST_TEST(options.data_dir == "d");
  BOOST_TEST((parse_ok({"--join=db.example:7", "delta"}).join == JoinTarget{"db.example", 7}));
  BOOST_TEST((parse_ok({"delta", "--join", "[::1]:5001"}).join == JoinTarget{"::1", 5001}));
  BOOST_TEST((parse_ok({"delta", "--join", "::1:5001"}).join == JoinTarget{"::1", 5001}));

  BOOST_TEST(parse_error({"delta", "--join", "127.0.0.1"}) ==
             "--join takes HOST:PORT, not '127.0.0.1'");
  BOOST_TEST(parse_error({"delta", "--join", ":5001"}) == "--join takes HOST:PORT, not ':5001'");
  BOOST_TEST(parse_error({"delta", "--join", "127.0.0.1:0"}) ==
             "--join: '0' is not a port (1 to 65535)");
  BOOST_TEST(parse_error({"delta", "--join", "127.0.0.1:"}) ==
             "--join: '' is not a port (1 to 65535)");
  BOOST_TEST(parse_error({"delta", "--join", "a/b:1"}) ==
             "--join: bad host 'a/b': expected an IP address or a host name");
  BOOST_TEST(parse_error({"delta", "--join"}) == "--join needs a value");
  const std::string exclusive =
      "--join and --hosts exclude each other: a site that joins learns the configuration from "
      "the cluster";
  BOOST_TEST(parse_error({"delta", "--hosts", "hosts.txt", "--join", "127.0.0.1:5001"}) ==
             exclusive);
  BOOST_TEST(parse_error({"--join=127.0.0.1:5001", "delta", "--hosts=h.txt"}) == exclusive);
  BOOST_TEST(usage_text("paxoskv-site").find("[--hosts FILE | --join HOST:PORT]") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(secret_file) {
  BOOST_TEST(parse_ok({"alpha"}).secret_path.empty());
  BOOST_TEST(parse_ok({"alpha", "--secret", "key.txt"}).secret_path == "key.txt");
  BOOST_TEST(parse_ok({"--secret=/etc/k", "alpha"}).secret_path == "/etc/k");
  BOOST_TEST(parse_error({"alpha", "--secret"}) == "--secret needs a value");
  BOOST_TEST(parse_error({"alpha", "--secret="}) == "--secret needs a non-empty value");
}

BOOST_AUTO_TEST_CASE(fault_rates_default_to_zero_and_take_probabilities) {
  Options defaults = parse_ok({"alpha"});
  BOOST_TEST(defaults.fail_rate == 0.0);
  BOOST_TEST(defaults.drop_rate == 0.0);
  Options options = parse_ok({"--fail-rate", "0.25", "alpha", "--drop-rate=1"});
  BOOST_TEST(options.fail_rate == 0.25);
  BOOST_TEST(options.drop_rate == 1.0);
  BOOST_TEST(parse_ok({"alpha", "--drop-rate", "0"}).drop_rate == 0.0);
  BOOST_TEST(parse_ok({"alpha", "--fail-rate=1e-1"}).fail_rate == 0.1);
}

BOOST_AUTO_TEST_CASE(fault_rates_outside_zero_to_one_are_usage_errors) {
  BOOST_TEST(parse_error({"alpha", "--fail-rate", "1.5"}) ==
             "--fail-rate takes a probability from 0 to 1, not '1.5'");
  BOOST_TEST(parse_error({"alpha", "--drop-rate=-0.1"}) ==
             "--drop-rate takes a probability from 0 to 1, not '-0.1'");
  for (const std::string bad : {"x", "0.5x", " 0.5", "nan", "inf", "+0.5", "50%", "0,5"})
    BOOST_TEST(parse_error({"alpha", "--fail-rate", bad}) ==
                   "--fail-rate takes a probability from 0 to 1, not '" + bad + "'",
               "value '" << bad << "'");
  BOOST_TEST(parse_error({"alpha", "--drop-rate"}) == "--drop-rate needs a value");
  BOOST_TEST(parse_error({"alpha", "--drop-rate="}) == "--drop-rate needs a non-empty value");
}

BOOST_AUTO_TEST_CASE(usage_mentions_the_fault_flags) {
  const std::string text = usage_text("paxoskv-site");
  BOOST_TEST(text.find("--fail-rate P") != std::string::npos);
  BOOST_TEST(text.find("--drop-rate P") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(http_server_options) {
  Options defaults = parse_ok({"alpha"});
  BOOST_TEST(defaults.http_port == 0);
  BOOST_TEST(defaults.http_bind == "127.0.0.1");
  BOOST_TEST(defaults.http_token_path == "");

  Options options = parse_ok(
      {"alpha", "--http", "8080", "--http-bind", "0.0.0.0", "--http-token=/etc/paxoskv/token"});
  BOOST_TEST(options.http_port == 8080);
  BOOST_TEST(options.http_bind == "0.0.0.0");
  BOOST_TEST(options.http_token_path == "/etc/paxoskv/token");
  BOOST_TEST(parse_ok({"alpha", "--http=1", "--http-bind=::1"}).http_bind == "::1");
  BOOST_TEST(parse_ok({"alpha", "--http=1", "--http-bind", "[::1]"}).http_bind == "::1");
  BOOST_TEST(parse_ok({"alpha", "--http=1", "--http-bind", "127.0.0.2"}).http_bind == "127.0.0.2");
  // Kept in the address's own spelling, as the server will print it.
  BOOST_TEST(parse_ok({"alpha", "--http=1", "--http-bind", "0:0::1"}).http_bind == "::1");
}

BOOST_AUTO_TEST_CASE(http_bind_takes_only_an_ip_address) {
  for (const std::string bad : {"localhost", "127.0.0.256", "127.1", "1.2.3.4:80", "::1::", "[::1",
                                "[127.0.0.1]x", " 127.0.0.1", "example.com"})
    BOOST_TEST(parse_error({"alpha", "--http", "8080", "--http-bind", bad}) ==
                   "--http-bind takes an IPv4 or IPv6 address, not '" + bad + "'",
               "address '" << bad << "'");
  BOOST_TEST(parse_error({"alpha", "--http", "8080", "--http-bind"}) ==
             "--http-bind needs a value");
  BOOST_TEST(parse_error({"alpha", "--http", "8080", "--http-token="}) ==
             "--http-token needs a non-empty value");
}

BOOST_AUTO_TEST_CASE(http_bind_and_token_need_the_server_on) {
  const std::string off = "--http-bind and --http-token need --http PORT (the server is off)";
  BOOST_TEST(parse_error({"alpha", "--http-bind", "::1"}) == off);
  BOOST_TEST(parse_error({"alpha", "--http-token", "t"}) == off);
  BOOST_TEST(parse_error({"alpha", "--http", "0", "--http-token", "t"}) == off);
}

BOOST_AUTO_TEST_CASE(usage_mentions_the_http_flags) {
  const std::string text = usage_text("paxoskv-site");
  BOOST_TEST(text.find("[--http PORT] [--http-bind ADDR] [--http-token FILE]") !=
             std::string::npos);
  BOOST_TEST(text.find("  --http-bind ") != std::string::npos);
  BOOST_TEST(text.find("  --http-token ") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(help) {
  BOOST_TEST(std::holds_alternative<HelpRequested>(parse_options({"alpha", "--help"})));
  BOOST_TEST(usage_text("paxoskv-site").find("usage: paxoskv-site SITE") == 0u);
}

BOOST_AUTO_TEST_CASE(log_levels) {
  BOOST_TEST((log::parse_level("debug") == log::Level::debug));
  BOOST_TEST((log::parse_level("error") == log::Level::error));
  BOOST_TEST(!log::parse_level("fatal").has_value());
}

BOOST_AUTO_TEST_CASE(unknown_site_names_the_last_line) {
  BOOST_TEST(last_line_number("") == 0u);
  BOOST_TEST(last_line_number("a\nb\n") == 2u);
  BOOST_TEST(last_line_number("a\nb") == 2u);
  BOOST_TEST(unknown_site_message("hosts.txt", 4, "x", {"alpha", "beta", "gamma"}) ==
             "hosts.txt:4: no site named 'x' (sites: alpha, beta, gamma)");
}

BOOST_AUTO_TEST_SUITE_END()
