#include "topology.hpp"

#include <unistd.h>

#include <iostream>
#include <sstream>
#include <stdexcept>

#include "command.hpp"

namespace net_test {

namespace {

const char* const kProbeNamespace = "pkvnet-probe";
const char* const kRootLink = "pkvnet-root";

std::vector<std::string> list_namespaces(const std::string& ip) {
  CommandResult result = run_command({ip, "netns", "list"});
  std::vector<std::string> names;
  std::istringstream lines(result.output);
  std::string line;
  while (std::getline(lines, line)) {
    std::string name = line.substr(0, line.find(' '));
    if (name.rfind(kPrefix, 0) == 0) names.push_back(name);
  }
  return names;
}

// An iptables variant works if it can list a table and add the two kinds of rule the harness
// needs, inside a fresh namespace.
bool iptables_works(const std::string& ip, const std::string& iptables, std::string* why) {
  std::vector<std::vector<std::string>> checks = {
      {"-w", "-A", "INPUT", "-p", "udp", "-m", "statistic", "--mode", "random", "--probability",
       "0.5", "-j", "DROP"},
      {"-w", "-t", "mangle", "-A", "PREROUTING", "-p", "udp", "-j", "TPROXY", "--on-port", "9",
       "--on-ip", "127.0.0.1", "--tproxy-mark", "0x1/0x1"},
  };
  for (const auto& args : checks) {
    std::vector<std::string> argv = {ip, "netns", "exec", kProbeNamespace, iptables};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandResult result = run_command(argv);
    if (!result.ok()) {
      *why += "`" + join_words(argv) + "` failed: " + result.output;
      return false;
    }
  }
  return true;
}

}  // namespace

Probe probe_environment() {
  Probe probe;
  auto ip = find_tool("ip");
  if (!ip) return {std::nullopt, "no `ip` (iproute2) found"};
  auto sysctl = find_tool("sysctl");
  if (!sysctl) return {std::nullopt, "no `sysctl` (procps) found"};
  if (::geteuid() != 0) return {std::nullopt, "not running as root (network namespaces need it)"};
  run_command({*ip, "netns", "delete", kProbeNamespace});
  CommandResult made = run_command({*ip, "netns", "add", kProbeNamespace});
  if (!made.ok()) return {std::nullopt, "cannot create a network namespace: " + made.output};
  std::string why;
  std::optional<std::string> chosen;
  for (const char* name : {"iptables", "iptables-legacy"}) {
    auto path = find_tool(name);
    if (!path) {
      why += std::string("no `") + name + "`; ";
      continue;
    }
    if (iptables_works(*ip, *path, &why)) {
      chosen = path;
      break;
    }
  }
  run_command({*ip, "netns", "delete", kProbeNamespace});
  if (!chosen) return {std::nullopt, "no usable iptables (apt-get install iptables): " + why};
  probe.tools = Tools{*ip, *chosen, *sysctl};
  return probe;
}

std::vector<std::string> remove_leftovers(const Tools& tools) {
  std::vector<std::string> warnings;
  for (const std::string& ns : list_namespaces(tools.ip)) {
    CommandResult pids = run_command({tools.ip, "netns", "pids", ns});
    if (!pids.output.empty())
      warnings.push_back("namespace " + ns +
                         " still has processes (not ours to kill): " + pids.output);
    CommandResult removed = run_command({tools.ip, "netns", "delete", ns});
    if (!removed.ok()) warnings.push_back("cannot delete namespace " + ns + ": " + removed.output);
  }
  // The root end of the router link goes with the router namespace, unless that was lost.
  if (run_command({tools.ip, "link", "show", kRootLink}).ok())
    run_command({tools.ip, "link", "delete", kRootLink});
  return warnings;
}

Topology::Topology(Tools tools, std::size_t sites) : tools_(std::move(tools)), sites_(sites) {
  for (const std::string& warning : remove_leftovers(tools_))
    std::cerr << "net harness: " << warning << "\n";
  try {
    build();
  } catch (...) {
    tear_down();
    throw;
  }
}

Topology::~Topology() {
  tear_down();
}

std::string Topology::site_namespace(std::size_t site) {
  return std::string(kPrefix) + "s" + std::to_string(site);
}

std::string Topology::router_namespace() {
  return std::string(kPrefix) + "r";
}

std::string Topology::site_address(std::size_t site) {
  return "10.77." + std::to_string(site + 1) + ".2";
}

std::vector<std::string> Topology::launcher(const std::string& ns) const {
  return {tools_.ip, "netns", "exec", ns};
}

std::string Topology::exec_in(const std::string& ns,
                              const std::vector<std::string>& command) const {
  std::vector<std::string> argv = launcher(ns);
  argv.insert(argv.end(), command.begin(), command.end());
  return run_checked(argv);
}

std::string Topology::iptables(const std::string& ns, const std::vector<std::string>& args) const {
  std::vector<std::string> command = {tools_.iptables, "-w"};
  command.insert(command.end(), args.begin(), args.end());
  return exec_in(ns, command);
}

void Topology::build() {
  const std::string& ip = tools_.ip;
  const std::string router = router_namespace();
  run_checked({ip, "netns", "add", router});
  exec_in(router, {ip, "link", "set", "dev", "lo", "up"});
  exec_in(router, {tools_.sysctl, "-qw", "net.ipv4.ip_forward=1"});
  // Datagrams the fault proxy takes over (TPROXY marks them) are delivered locally.
  exec_in(router, {ip, "rule", "add", "fwmark", "0x1/0x1", "lookup", "100"});
  exec_in(router, {ip, "route", "add", "local", "0.0.0.0/0", "dev", "lo", "table", "100"});

  run_checked(
      {ip, "link", "add", kRootLink, "type", "veth", "peer", "name", "root0", "netns", router});
  exec_in(router, {ip, "addr", "add", "10.77.0.1/24", "dev", "root0"});
  exec_in(router, {ip, "link", "set", "dev", "root0", "up"});
  run_checked({ip, "addr", "add", root_address() + "/24", "dev", kRootLink});
  run_checked({ip, "link", "set", "dev", kRootLink, "up"});
  run_checked({ip, "route", "add", all_sites_prefix(), "via", "10.77.0.1", "dev", kRootLink});

  for (std::size_t i = 0; i < sites_; ++i) {
    const std::string ns = site_namespace(i);
    const std::string router_side = "s" + std::to_string(i);
    const std::string subnet = "10.77." + std::to_string(i + 1);
    run_checked({ip, "netns", "add", ns});
    exec_in(ns, {ip, "link", "set", "dev", "lo", "up"});
    exec_in(router,
            {ip, "link", "add", router_side, "type", "veth", "peer", "name", "eth0", "netns", ns});
    exec_in(router, {ip, "addr", "add", subnet + ".1/24", "dev", router_side});
    exec_in(router, {ip, "link", "set", "dev", router_side, "up"});
    exec_in(ns, {ip, "addr", "add", site_address(i) + "/24", "dev", "eth0"});
    exec_in(ns, {ip, "link", "set", "dev", "eth0", "up"});
    exec_in(ns, {ip, "route", "add", "default", "via", subnet + ".1"});
  }
}

void Topology::tear_down() noexcept {
  try {
    for (std::size_t i = 0; i < sites_; ++i)
      run_command({tools_.ip, "netns", "delete", site_namespace(i)});
    run_command({tools_.ip, "netns", "delete", router_namespace()});
    if (run_command({tools_.ip, "link", "show", kRootLink}).ok())
      run_command({tools_.ip, "link", "delete", kRootLink});
  } catch (const std::exception& e) {
    std::cerr << "net harness: teardown failed: " << e.what() << "\n";
  }
}

}  // namespace net_test
