#include <unistd.h>
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "net/hosts_file.hpp"

using namespace paxoskv;

namespace {

std::string error_text(const std::string& contents, const std::string& file = "hosts.txt") {
  auto r = parse_hosts(contents, file);
  const HostsError* e = std::get_if<HostsError>(&r);
  return e == nullptr ? "(parsed)" : e->text;
}

Cluster parsed(const std::string& contents) {
  auto r = parse_hosts(contents, "hosts.txt");
  const HostsError* e = std::get_if<HostsError>(&r);
  BOOST_REQUIRE_MESSAGE(e == nullptr, (e ? e->text : ""));
  return std::get<Cluster>(r);
}

const std::string kGood = "alpha 127.0.0.1 5001\nbeta 127.0.0.1 5002\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(hosts_file)

BOOST_AUTO_TEST_CASE(parses_sites_with_comments_blank_lines_and_roles) {
  Cluster c = parsed(
      "# name   host        port   [role]\n"
      "\n"
      "alpha    127.0.0.1   5001\n"
      "   \t\n"
      "beta\t::1\t5002 voter   # the second site\n"
      "gamma-3  db_host.example.com 65535 learner\r\n"
      "delta_4  localhost   1#no space before the comment\n"
      "# trailing comment");
  BOOST_REQUIRE_EQUAL(c.size(), 4u);
  BOOST_TEST(c.site(0).name == "alpha");
  BOOST_TEST(c.site(0).host == "127.0.0.1");
  BOOST_TEST(c.site(0).port == 5001);
  BOOST_TEST((c.site(0).role == Role::voter));
  BOOST_TEST(c.site(1).host == "::1");
  BOOST_TEST((c.site(1).role == Role::voter));
  BOOST_TEST(c.site(2).name == "gamma-3");
  BOOST_TEST(c.site(2).host == "db_host.example.com");
  BOOST_TEST(c.site(2).port == 65535);
  BOOST_TEST((c.site(2).role == Role::learner));
  BOOST_TEST(c.site(3).port == 1);
  BOOST_TEST(c.voter_count() == 3u);
  BOOST_TEST(c.find("delta_4").value() == 3u);
}

BOOST_AUTO_TEST_CASE(file_without_final_newline_parses) {
  BOOST_TEST(parsed("alpha 127.0.0.1 5001").size() == 1u);
}

BOOST_AUTO_TEST_CASE(line_errors_name_the_file_and_line) {
  BOOST_TEST(error_text(kGood + "al$pha 127.0.0.1 5003\n") ==
             "hosts.txt:3: bad site name 'al$pha': use only letters, digits, '_' and '-'");
  BOOST_TEST(error_text("# c\nalpha\n") ==
             "hosts.txt:2: missing host and port after 'alpha': expected 'name host port [role]'");
  BOOST_TEST(error_text("alpha 127.0.0.1\n") ==
             "hosts.txt:1: missing port after '127.0.0.1': expected 'name host port [role]'");
  BOOST_TEST(error_text("alpha 127.0.0.1 5001 voter extra more\n") ==
             "hosts.txt:1: too many fields (6, from 'extra'): expected 'name host port [role]'");
  BOOST_TEST(error_text(kGood + "gamma 127.0.0.1 leader\n") ==
             "hosts.txt:3: bad port 'leader': expected a number from 1 to 65535");
  BOOST_TEST(error_text(kGood + "gamma 127.0.0.1 5003 leader\n") ==
             "hosts.txt:3: unknown role 'leader': expected 'voter' or 'learner'");
  BOOST_TEST(error_text(kGood + "gamma bad/host 5003\n") ==
             "hosts.txt:3: bad host 'bad/host': expected an IP address or a host name");
  BOOST_TEST(error_text("alpha [::1] 5003\n").find("without brackets") != std::string::npos);
  BOOST_TEST(error_text(std::string(65, 'n') + " h 1\n").find("longer than 64") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_ports_are_refused) {
  for (const char* port :
       {"0", "65536", "99999999999999999999", "-1", "+1", "0x10", "50.1", "5e3"}) {
    BOOST_TEST_CONTEXT(port) {
      BOOST_TEST(error_text(kGood + "gamma 127.0.0.1 " + port + "\n") ==
                 "hosts.txt:3: bad port '" + std::string(port) +
                     "': expected a number from 1 to 65535");
    }
  }
}

BOOST_AUTO_TEST_CASE(duplicates_name_the_first_line) {
  BOOST_TEST(
      error_text("alpha 127.0.0.1 5001\n\n# x\nbeta 127.0.0.1 5002\nbeta 127.0.0.1 5003\n") ==
      "hosts.txt:5: duplicate site name 'beta' (also on line 4)");
  BOOST_TEST(error_text("alpha 127.0.0.1 5001\nbeta 127.0.0.1 5002\ngamma 127.0.0.1 5001\n") ==
             "hosts.txt:3: duplicate endpoint 127.0.0.1:5001 (also used by 'alpha' on line 1)");
  BOOST_TEST(error_text("alpha ::1 5001\nbeta ::1 5001 learner\n") ==
             "hosts.txt:2: duplicate endpoint [::1]:5001 (also used by 'alpha' on line 1)");
  BOOST_TEST(error_text("alpha Host.Example 5001\nbeta host.example 5001\n") ==
             "hosts.txt:2: duplicate endpoint host.example:5001 (also used by 'alpha' on line 1)");
}

BOOST_AUTO_TEST_CASE(whole_file_problems_are_reported_at_the_last_line) {
  BOOST_TEST(error_text("") ==
             "hosts.txt:1: no sites: expected 'name host port [role]' on each line");
  BOOST_TEST(error_text("# only\n\n# comments\n").find("hosts.txt:3: no sites") == 0u);
  BOOST_TEST(error_text("# only\n\n# comments").find("hosts.txt:3: no sites") == 0u);
  BOOST_TEST(error_text("alpha h 1 learner\nbeta h 2 learner\n\n", "conf/h.txt") ==
             "conf/h.txt:3: no voters: at least one site must have role 'voter'");
}

BOOST_AUTO_TEST_CASE(load_reads_a_file_and_reports_unreadable_ones) {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("paxoskv_hosts_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "hosts.txt").string();
  std::ofstream(path) << kGood << "alpha 127.0.0.1 5009\n";
  auto loaded = load_hosts(path);
  BOOST_REQUIRE(std::holds_alternative<HostsError>(loaded));
  BOOST_TEST(std::get<HostsError>(loaded).text ==
             path + ":3: duplicate site name 'alpha' (also on line 1)");
  std::ofstream(path) << kGood;
  loaded = load_hosts(path);
  BOOST_REQUIRE(std::holds_alternative<Cluster>(loaded));
  BOOST_TEST(std::get<Cluster>(loaded).size() == 2u);

  auto missing = load_hosts((dir / "absent.txt").string());
  BOOST_REQUIRE(std::holds_alternative<HostsError>(missing));
  BOOST_TEST(std::get<HostsError>(missing).text ==
             (dir / "absent.txt").string() + ":0: cannot read: No such file or directory");
  auto directory = load_hosts(dir.string());
  BOOST_REQUIRE(std::holds_alternative<HostsError>(directory));
  BOOST_TEST(std::get<HostsError>(directory).text.find(":0: cannot read") != std::string::npos);
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
