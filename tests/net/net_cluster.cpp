#include "net_cluster.hpp"

#include <signal.h>

#include <algorithm>
#include <iostream>
#include <sstream>
#include <stdexcept>

namespace net_test {

namespace {

const char* const kNames[] = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta"};

}  // namespace

NetCluster::NetCluster(const Topology& topology, std::vector<std::string> extra_args,
                       std::size_t initial_sites, std::uint16_t http_port)
    : topology_(topology),
      http_port_(http_port),
      initial_sites_(std::min(initial_sites, topology.size())) {
  if (topology.size() > std::size(kNames)) throw std::invalid_argument("too many sites");
  for (std::size_t i = 0; i < topology.size(); ++i) names_.push_back(kNames[i]);
  std::vector<std::size_t> initial(initial_sites_);
  for (std::size_t i = 0; i < initial_sites_; ++i) initial[i] = i;
  hosts_file_ = write_hosts_file("hosts.txt", initial);
  data_dir_ = tmp_.path() / "data";
  std::filesystem::create_directories(data_dir_);
  args_ = {"--log-level", "warning"};
  args_.insert(args_.end(), extra_args.begin(), extra_args.end());
  sites_.resize(topology.size());
  for (std::size_t i = 0; i < initial_sites_; ++i) {
    sites_[i] = std::make_unique<e2e::SiteProcess>(
        names_[i], hosts_file_, data_dir_, tmp_.path() / (names_[i] + ".err"), site_args(i));
    sites_[i]->set_launcher(topology.launcher(Topology::site_namespace(i)));
  }
  paused_.assign(sites_.size(), false);
  retired_.assign(sites_.size(), false);
}

std::filesystem::path NetCluster::write_hosts_file(const std::string& file,
                                                   const std::vector<std::size_t>& sites) const {
  std::string hosts = "# name   host   port (written by the net harness)\n";
  for (std::size_t i : sites)
    hosts +=
        names_.at(i) + " " + Topology::site_address(i) + " " + std::to_string(kSitePort) + "\n";
  std::filesystem::path path = tmp_.path() / file;
  e2e::write_file(path, hosts);
  return path;
}

void NetCluster::join_through(std::size_t site, std::size_t contact) {
  if (site < initial_sites_) throw std::logic_error(names_.at(site) + " is in the hosts file");
  if (running(site)) throw std::logic_error(names_[site] + " is already running");
  std::vector<std::string> args = {
      "--join", Topology::site_address(contact) + ":" + std::to_string(kSitePort)};
  const std::vector<std::string> own = site_args(site);
  args.insert(args.end(), own.begin(), own.end());
  // Without a hosts file: the site learns the cluster from its contact (README, "Adding a
  // site"), and a restart reads what it learned from its data directory.
  sites_[site] =
      std::make_unique<e2e::SiteProcess>(names_[site], std::filesystem::path(), data_dir_,
                                         tmp_.path() / (names_[site] + ".err"), args);
  sites_[site]->set_launcher(topology_.launcher(Topology::site_namespace(site)));
}

std::vector<std::string> NetCluster::site_args(std::size_t site) const {
  std::vector<std::string> args = args_;
  if (http_port_ != 0)
    for (std::string word : {std::string("--http"), std::to_string(http_port_),
                             std::string("--http-bind"), Topology::site_address(site)})
      args.push_back(std::move(word));
  return args;
}

void NetCluster::retire(std::size_t site) {
  kill9(site);
  retired_.at(site) = true;
}

NetCluster::~NetCluster() {
  bool ok = false;
  try {
    ok = e2e::current_test_ok();
  } catch (...) {
  }
  if (!ok) std::cerr << diagnostics();
  for (auto& site : sites_)
    if (site) site->kill9();  // a stopped process dies of SIGKILL too
}

void NetCluster::start_all(e2e::Clock::duration timeout) {
  for (std::size_t i = 0; i < initial_sites_; ++i) sites_[i]->start();
  for (std::size_t i = 0; i < initial_sites_; ++i)
    if (!status(i, timeout))
      throw std::runtime_error("site " + names_[i] + " did not start:\n" +
                               sites_[i]->diagnostics());
}

void NetCluster::start(std::size_t site, e2e::Clock::duration timeout) {
  if (!try_start(site, timeout))
    throw std::runtime_error("site " + names_[site] + " did not restart:\n" +
                             sites_[site]->diagnostics());
}

bool NetCluster::try_start(std::size_t site, e2e::Clock::duration timeout) {
  if (!wanted(site)) throw std::logic_error(names_.at(site) + " is spare or retired");
  sites_[site]->start();
  paused_[site] = false;
  return status(site, timeout).has_value();
}

void NetCluster::kill9(std::size_t site) {
  if (sites_.at(site)) sites_[site]->kill9();
  paused_.at(site) = false;
}

void NetCluster::kill9_all() {
  for (auto& site : sites_)
    if (site) site->signal_kill();
  for (std::size_t i = 0; i < sites_.size(); ++i) kill9(i);
}

void NetCluster::pause(std::size_t site) {
  if (!running(site)) return;
  ::kill(sites_[site]->pid(), SIGSTOP);  // our own child, by its pid
  paused_[site] = true;
}

void NetCluster::resume(std::size_t site) {
  if (!paused_.at(site)) return;
  if (running(site)) ::kill(sites_[site]->pid(), SIGCONT);
  paused_[site] = false;
}

std::optional<std::string> NetCluster::ask(std::size_t site, const std::string& command,
                                           const std::function<bool(const std::string&)>& is_answer,
                                           e2e::Clock::duration timeout) {
  if (paused_.at(site) || !running(site)) return std::nullopt;
  e2e::SiteProcess& process = *sites_[site];
  // Answers to an earlier question that timed out are stale.
  while (process.take_line()) {
  }
  if (!process.send_line(command)) return std::nullopt;
  return process.wait_for_line(is_answer, e2e::after(timeout));
}

std::optional<std::string> NetCluster::ask(std::size_t site, const std::string& command,
                                           const std::string& answer_prefix,
                                           e2e::Clock::duration timeout) {
  return ask(
      site, command, [&](const std::string& line) { return line.rfind(answer_prefix, 0) == 0; },
      timeout);
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
  return print_until(site, "print log", "end of log", timeout);
}

std::optional<e2e::Lines> NetCluster::print_members(std::size_t site,
                                                    e2e::Clock::duration timeout) {
  return print_until(site, "print members", "end of members", timeout);
}

std::optional<e2e::Lines> NetCluster::print_until(std::size_t site, const std::string& command,
                                                  const std::string& terminator,
                                                  e2e::Clock::duration timeout) {
  if (paused_.at(site) || !running(site)) return std::nullopt;
  e2e::SiteProcess& process = *sites_[site];
  while (process.take_line()) {
  }
  if (!process.send_line(command)) return std::nullopt;
  e2e::Lines lines;
  auto deadline = e2e::after(timeout);
  while (auto line = process.next_line(deadline)) {
    if (*line == terminator) return lines;
    lines.push_back(*line);
  }
  return std::nullopt;
}

std::string NetCluster::diagnostics() {
  std::string text;
  for (auto& site : sites_)
    if (site) text += site->diagnostics(20);
  return text;
}

}  // namespace net_test
