// libFuzzer target: parse_hosts on arbitrary file contents. It must never throw; a refusal is
// "hosts.txt:LINE: what" with LINE within the file; an accepted file gives a cluster that
// holds what SPEC §2 requires (a voter, unique names of [A-Za-z0-9_-]+, ports 1-65535).

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <set>
#include <string>
#include <variant>

#include "fuzz_support.hpp"
#include "net/hosts_file.hpp"

namespace {

using paxoskv::fuzz::fuzz_check;

void check_error(const paxoskv::HostsError& error, const std::string& contents) {
  const std::string prefix = "hosts.txt:";
  const std::string& text = error.text;
  fuzz_check(text.compare(0, prefix.size(), prefix) == 0, "error starts with the file name");
  std::size_t colon = text.find(':', prefix.size());
  fuzz_check(colon != std::string::npos && colon > prefix.size(), "error has a line number");
  std::string digits = text.substr(prefix.size(), colon - prefix.size());
  fuzz_check(std::all_of(digits.begin(), digits.end(),
                         [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }),
             "line number is decimal");
  fuzz_check(digits.size() < 10, "line number is sane");
  std::size_t lines = std::count(contents.begin(), contents.end(), '\n') + 1;
  fuzz_check(std::stoul(digits) <= lines, "line number is within the file");
  fuzz_check(text.size() > colon + 2, "error says what is wrong");
}

void check_cluster(const paxoskv::Cluster& cluster) {
  fuzz_check(cluster.voter_count() >= 1, "an accepted file has a voter");
  std::set<std::string> names;
  for (const paxoskv::SiteInfo& site : cluster.sites()) {
    fuzz_check(
        !site.name.empty() && std::all_of(site.name.begin(), site.name.end(),
                                          [](char c) {
                                            return std::isalnum(static_cast<unsigned char>(c)) ||
                                                   c == '_' || c == '-';
                                          }),
        "site names are [A-Za-z0-9_-]+");
    fuzz_check(names.insert(site.name).second, "site names are unique");
    fuzz_check(!site.host.empty(), "host is present");
    fuzz_check(site.port >= 1, "port is 1-65535");
    fuzz_check(cluster.find(site.name).has_value(), "every site can be found by name");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string contents(paxoskv::fuzz::as_text(data, size));
  std::variant<paxoskv::Cluster, paxoskv::HostsError> parsed;
  try {
    parsed = paxoskv::parse_hosts(contents, "hosts.txt");
  } catch (...) {
    fuzz_check(false, "parse_hosts threw");
  }
  if (const auto* error = std::get_if<paxoskv::HostsError>(&parsed))
    check_error(*error, contents);
  else
    check_cluster(std::get<paxoskv::Cluster>(parsed));
  return 0;
}
