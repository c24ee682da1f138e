#pragma once

// Real paxoskv-site processes, each in its own network namespace of a Topology, on its own
// address (the hosts file is written here). Their shells are on pipes, as in the e2e tests,
// so the harness can ask each one for its status and chain.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../e2e/harness.hpp"
#include "topology.hpp"

namespace net_test {

inline constexpr std::uint16_t kSitePort = 7000;

struct SiteStatus {
  std::string leader;  // as this site believes; "" if none
  std::uint64_t ballot_round = 0;
  std::uint64_t decided = 0;
  std::uint64_t dropped = 0;  // datagrams refused: malformed or from an unknown endpoint
};

class NetCluster {
 public:
  NetCluster(const Topology& topology, std::vector<std::string> extra_args = {});
  ~NetCluster();  // SIGKILLs (by pid) every site still running, before the network goes
  NetCluster(const NetCluster&) = delete;
  NetCluster& operator=(const NetCluster&) = delete;

  std::size_t size() const { return sites_.size(); }
  const std::string& name(std::size_t site) const { return names_.at(site); }
  const std::filesystem::path& hosts_file() const { return hosts_file_; }
  const std::filesystem::path& dir() const { return tmp_.path(); }
  e2e::SiteProcess& site(std::size_t i) { return *sites_.at(i); }

  void start_all(e2e::Clock::duration timeout = std::chrono::seconds(20));
  // Starts a site that is not running and waits until its shell answers.
  void start(std::size_t site, e2e::Clock::duration timeout = std::chrono::seconds(20));
  void kill9(std::size_t site);
  // SIGKILL to every running site first, then reaps them: they all die within a moment.
  void kill9_all();
  void pause(std::size_t site);   // SIGSTOP
  void resume(std::size_t site);  // SIGCONT
  bool paused(std::size_t site) const { return paused_.at(site); }
  bool running(std::size_t site) { return sites_.at(site)->is_running(); }

  // Answers of a running, not paused site; nullopt if it does not answer in time.
  std::optional<SiteStatus> status(std::size_t site, e2e::Clock::duration timeout);
  std::optional<std::string> chain_head(std::size_t site, e2e::Clock::duration timeout);
  std::optional<e2e::Lines> print_log(std::size_t site, e2e::Clock::duration timeout);

  std::string diagnostics();

 private:
  std::optional<std::string> ask(std::size_t site, const std::string& command,
                                 const std::string& answer_prefix, e2e::Clock::duration timeout);

  e2e::TempDir tmp_;
  std::filesystem::path hosts_file_;
  std::vector<std::string> names_;
  std::vector<std::unique_ptr<e2e::SiteProcess>> sites_;
  std::vector<bool> paused_;
};

}  // namespace net_test
