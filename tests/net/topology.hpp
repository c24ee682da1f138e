#pragma once

// The network of the real-process fault tests: one network namespace per site, all of them
// linked to one router namespace, which is also linked to the root namespace where the test
// and its clients run.
//
//   root namespace (test, clients)             10.77.0.2 on pkvnet-root
//        |  veth
//   pkvnet-r (router, forwarding on)           10.77.0.1 on root0, 10.77.(i+1).1 on s<i>
//        |  veth s<i> <-> eth0, one per site
//   pkvnet-s<i> (site i, its paxoskv-site)     10.77.(i+1).2 on eth0, default route via router
//
// Every site sits on its own /24, so every datagram between two sites is routed through the
// router namespace. That is where the fault proxy intercepts it (see faults.hpp): a bridge
// would switch the frames without the IP layer seeing them. Loss and cuts are iptables rules
// inside the site namespaces. The root namespace gets one veth and one route, both removed
// with the router namespace; it gets no iptables rule.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace net_test {

// Everything this harness creates carries this prefix, so that a run can remove what a
// crashed earlier run left behind without touching anything else.
inline constexpr const char* kPrefix = "pkvnet-";

struct Tools {
  std::string ip;        // iproute2
  std::string iptables;  // a variant that works inside a namespace on this kernel
  std::string sysctl;
};

// Finds the tools and checks on a throw-away namespace that namespaces, veths and iptables
// rules (statistic, TPROXY) work here. Returns why not, or the tools.
struct Probe {
  std::optional<Tools> tools;
  std::string why_not;
};
Probe probe_environment();

// Removes every namespace and root-namespace link whose name starts with kPrefix. A namespace
// that still has processes is removed all the same (they are not ours to kill: they are named
// in the returned warnings).
std::vector<std::string> remove_leftovers(const Tools& tools);

class Topology {
 public:
  // Removes leftovers, then builds the network for `sites` sites. On any failure it removes
  // what it built and throws.
  Topology(Tools tools, std::size_t sites);
  ~Topology();
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;

  const Tools& tools() const { return tools_; }
  std::size_t size() const { return sites_; }
  static std::string site_namespace(std::size_t site);
  static std::string router_namespace();
  static std::string site_address(std::size_t site);
  static std::string root_address() { return "10.77.0.2"; }
  // All site subnets together; the root link's 10.77.0.0/24 is inside it too.
  static std::string all_sites_prefix() { return "10.77.0.0/16"; }
  static std::string root_subnet() { return "10.77.0.0/24"; }

  // The words that run a program inside a namespace (the program must follow).
  std::vector<std::string> launcher(const std::string& ns) const;
  // Runs a command inside a namespace; throws when it fails.
  std::string exec_in(const std::string& ns, const std::vector<std::string>& command) const;
  std::string iptables(const std::string& ns, const std::vector<std::string>& args) const;

 private:
  void build();
  void tear_down() noexcept;

  Tools tools_;
  std::size_t sites_;
};

}  // namespace net_test
