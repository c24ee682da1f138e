#include "net_cluster.hpp"

#include <signal.h>

#include <iostream>
#include <sstream>
#include <stdexcept>

namespace net_test {

namespace {

const char* const kNames[] = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta"};

}  // namespace

NetCluster::NetCluster(const Topology& topology, std::vector<std::string> extra_args) {
  if (topology.size() > std::size(kNames)) throw std::invalid_argument("too many sites");
  hosts_file_ = tmp_.path() / "hosts.txt";
  std::filesystem::path data_dir = tmp_.path() / "data";
  std::filesystem::create_directories(data_dir);
  std::string hosts = "# name   host   port (written by the net harness)\n";
  for (std::size_t i = 0; i < topology.size(); ++i) {
    names_.push_back(kNames[i]);
    hosts += names_[i] + " " + Topology::site_address(i) + " " + std::to_string(kSitePort) + "\n";
  }
  e2e::write_file(hosts_file_, hosts);
  std::vector<std::string> args = {"--log-level", "warning"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  for (std::size_t i = 0; i < topology.size(); ++i) {
    auto site = std::make_unique<e2e::SiteProcess>(names_[i], hosts_file_, data_dir,
                                                   tmp_.path() / (names_[i] + ".err"), args);
    site->set_launcher(topology.launcher(Topology::site_namespace(i)));
    sites_.push_back(std::move(site));
  }
  paused_.assign(sites_.size(), false);
}

NetCluster::~NetCluster() {
  bool ok = false;
  try {
    ok = e2e::current_test_ok();
  } catch (...) {
  }
  if (!ok) std::cerr << diagnostics();
  for (auto& site : sites_) site->kill9();  // a stopped process dies of SIGKILL too
}

void NetCluster::start_all(e2e::Clock::duration timeout) {
  for (std::size_t i = 0; i < sites_.size(); ++i) sites_[i]->start();
  for (std::size_t i = 0; i < sites_.size(); ++i)
    if (!status(i, timeout))
      throw std::runtime_error("site " + names_[i] + " did not start:\n" +
                               sites_[i]->diagnostics());
}

void NetCluster::start(std::size_t site, e2e::Clock::duration timeout) {
  sites_.at(site)->start();
  paused_.at(site) = false;
  if (!status(site, timeout))
    throw std::runtime_error("site " + names_[site] + " did not restart:\n" +
                             sites_[site]->diagnostics());
}

void NetCluster::kill9(std::size_t site) {
  sites_.at(site)->kill9();
  paused_.at(site) = false;
}

void NetCluster::kill9_all() {
  for (auto& site : sites_) site->signal_kill();
  for (std::size_t i = 0; i < sites_.size(); ++i) kill9(i);
}

void NetCluster::pause(std::size_t site) {
  if (!sites_.at(site)->is_running()) return;
  ::kill(sites_[site]->pid(), SIGSTOP);  // our own child, by its pid
  paused_[site] = true;
}

void NetCluster::resume(std::size_t site) {
  if (!paused_.at(site)) return;
  if (sites_[site]->is_running()) ::kill(sites_[site]->pid(), SIGCONT);
  paused_[site] = false;
}

std::optional<std::string> NetCluster::ask(std::size_t site, const std::string& command,
                                           const std::string& answer_prefix,
                                           e2e::Clock::duration timeout) {
  e2e::SiteProcess& process = *sites_.at(site);
  if (paused_[site] || !process.is_running()) return std::nullopt;
  // Answers to an earlier question that timed out are stale.
  while (process.take_line()) {
  }
  if (!process.send_line(command)) return std::nullopt;
  return process.wait_for_line(
      [&](const std::string& line) { return line.rfind(answer_prefix, 0) == 0; },
      e2e::after(timeout));
}

std::optional<SiteStatus> NetCluster::status(std::size_t site, e2e::Clock::duration timeout) {
  auto line = ask(site, "print status", "site=", timeout);
  if (!line) return std::nullopt;
  SiteStatus status;
  std::istringstream words(*line);
  std::string word;
  while (words >> word) {
    auto eq = word.find('=');
    if (eq == std::string::npos) continue;
    std::string key = word.substr(0, eq), value = word.substr(eq + 1);
    if (key == "leader") status.leader = value == "none" || value == "-" ? "" : value;
    if (key == "ballot") status.ballot_round = std::stoull(value.substr(0, value.find('.')));
    if (key == "decided") status.decided = std::stoull(value);
    if (key == "dropped") status.dropped = std::stoull(value);
  }
  return status;
}

std::optional<std::string> NetCluster::chain_head(std::size_t site, e2e::Clock::duration timeout) {
  auto line = ask(site, "print chain", "head ", timeout);
  if (!line) return std::nullopt;
  return line->substr(5);
}

std::optional<e2e::Lines> NetCluster::print_log(std::size_t site, e2e::Clock::duration timeout) {
  e2e::SiteProcess& process = *sites_.at(site);
  if (paused_[site] || !process.is_running()) return std::nullopt;
  while (process.take_line()) {
  }
  if (!process.send_line("print log")) return std::nullopt;
  e2e::Lines lines;
  auto deadline = e2e::after(timeout);
  while (auto line = process.next_line(deadline)) {
    if (*line == "end of log") return lines;
    lines.push_back(*line);
  }
  return std::nullopt;
}

std::string NetCluster::diagnostics() {
  std::string text;
  for (auto& site : sites_) text += site->diagnostics(20);
  return text;
}

}  // namespace net_test
