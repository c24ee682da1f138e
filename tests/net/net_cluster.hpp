#pragma once

// Real paxoskv-site processes, each in its own network namespace of a Topology, on its own
// address (the hosts file is written here). Their shells are on pipes, as in the e2e tests,
// so the harness can ask each one for its status and chain.
//
// The hosts file may name only the first sites of the topology: the others are spare, with a
// name and an address from the start (so that clients can list them) but no process until a
// schedule adds them with `member add` and starts them with --join. A site removed from the
// cluster is retired: stopped for good, never restarted by a heal.

#include <cstddef>
#include <cstdint>
#include <functional>
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
  // The hosts file names the first `initial_sites` sites of the topology (all of them if it
  // has fewer); the rest are spare. With an `http_port`, every site also serves HTTP on it, at
  // its own address (`--http PORT --http-bind ADDRESS`).
  NetCluster(const Topology& topology, std::vector<std::string> extra_args = {},
             std::size_t initial_sites = SIZE_MAX, std::uint16_t http_port = 0);
  ~NetCluster();  // SIGKILLs (by pid) every site still running, before the network goes
  NetCluster(const NetCluster&) = delete;
  NetCluster& operator=(const NetCluster&) = delete;

  // Every site of the topology, spare ones included.
  std::size_t size() const { return sites_.size(); }
  std::size_t initial_sites() const { return initial_sites_; }
  const std::string& name(std::size_t site) const { return names_.at(site); }
  const std::filesystem::path& hosts_file() const { return hosts_file_; }
  const std::filesystem::path& dir() const { return tmp_.path(); }
  e2e::SiteProcess& site(std::size_t i) { return *sites_.at(i); }
  // A hosts file at dir()/FILE naming the given sites, for clients (sites never read it).
  std::filesystem::path write_hosts_file(const std::string& file,
                                         const std::vector<std::size_t>& sites) const;

  // Makes spare `site` a site that joins through `contact` (`--join ADDRESS:PORT`) when it is
  // started; again with another contact as long as it has not run.
  void join_through(std::size_t site, std::size_t contact);
  // Has a process to run: an initial site, or a spare one given a contact.
  bool has_process(std::size_t site) const { return sites_.at(site) != nullptr; }
  // SIGKILLs the site (by pid) and marks it stopped for good.
  void retire(std::size_t site);
  bool retired(std::size_t site) const { return retired_.at(site); }
  // Should be running once faults are healed: has a process and is not retired.
  bool wanted(std::size_t site) const { return has_process(site) && !retired(site); }

  void start_all(e2e::Clock::duration timeout = std::chrono::seconds(20));
  // Starts a site that is not running and waits until its shell answers.
  void start(std::size_t site, e2e::Clock::duration timeout = std::chrono::seconds(20));
  // The same, but false instead of a throw when it does not answer (a join that was refused).
  bool try_start(std::size_t site, e2e::Clock::duration timeout = std::chrono::seconds(20));
  void kill9(std::size_t site);
  // SIGKILL to every running site first, then reaps them: they all die within a moment.
  void kill9_all();
  void pause(std::size_t site);   // SIGSTOP
  void resume(std::size_t site);  // SIGCONT
  bool paused(std::size_t site) const { return paused_.at(site); }
  bool running(std::size_t site) { return has_process(site) && sites_.at(site)->is_running(); }

  // Answers of a running, not paused site; nullopt if it does not answer in time.
  std::optional<SiteStatus> status(std::size_t site, e2e::Clock::duration timeout);
  std::optional<std::string> chain_head(std::size_t site, e2e::Clock::duration timeout);
  std::optional<e2e::Lines> print_log(std::size_t site, e2e::Clock::duration timeout);
  // `print members`: "NAME HOST:PORT ROLE" lines, without "end of members".
  std::optional<e2e::Lines> print_members(std::size_t site, e2e::Clock::duration timeout);
  // Types `command` at the site's shell and returns the first line that `is_answer` accepts
  // (lines before it are stale answers to earlier questions), or nullopt at the deadline.
  std::optional<std::string> ask(std::size_t site, const std::string& command,
                                 const std::function<bool(const std::string&)>& is_answer,
                                 e2e::Clock::duration timeout);

  std::string diagnostics();

 private:
  std::optional<std::string> ask(std::size_t site, const std::string& command,
                                 const std::string& answer_prefix, e2e::Clock::duration timeout);
  // args_, with the site's HTTP options if it serves HTTP.
  std::vector<std::string> site_args(std::size_t site) const;
  std::optional<e2e::Lines> print_until(std::size_t site, const std::string& command,
                                        const std::string& terminator,
                                        e2e::Clock::duration timeout);

  const Topology& topology_;
  e2e::TempDir tmp_;
  std::filesystem::path hosts_file_;
  std::filesystem::path data_dir_;
  std::vector<std::string> args_;  // for every site
  std::uint16_t http_port_ = 0;
  std::size_t initial_sites_ = 0;
  std::vector<std::string> names_;
  std::vector<std::unique_ptr<e2e::SiteProcess>> sites_;  // null: spare, not given a contact
  std::vector<bool> paused_;
  std::vector<bool> retired_;
};

}  // namespace net_test
