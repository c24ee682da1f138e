#include "faults.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <stdexcept>

#include "command.hpp"
#include "support/built_binary.hpp"

extern char** environ;

namespace net_test {

namespace {

const char* const kCutChain = "PKVNET-CUT";
const char* const kLossChain = "PKVNET-LOSS";
const char* const kProxyPort = "9999";

// Reads from `fd` until `done(text)` holds, EOF, or the deadline; returns what was read.
std::string read_until(int fd, e2e::Deadline deadline,
                       const std::function<bool(const std::string&)>& done) {
  std::string text;
  char buffer[1024];
  while (!done(text)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - e2e::Clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    int rc = ::poll(&p, 1, static_cast<int>(left.count()));
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) break;
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  return text;
}

}  // namespace

Faults::Faults(const Topology& topology, NetCluster& cluster)
    : topology_(topology), cluster_(cluster) {
  for (std::size_t i = 0; i < topology_.size(); ++i) {
    const std::string ns = Topology::site_namespace(i);
    for (const char* chain : {kCutChain, kLossChain}) {
      topology_.iptables(ns, {"-N", chain});
      topology_.iptables(ns, {"-A", "INPUT", "-j", chain});
    }
  }
}

Faults::~Faults() {
  try {
    if (proxy_pid_ > 0) stop_proxy();
  } catch (const std::exception& e) {
    std::cerr << "net harness: stopping the proxy: " << e.what() << "\n";
  }
}

void Faults::set_loss(double probability) {
  for (std::size_t i = 0; i < topology_.size(); ++i) {
    const std::string ns = Topology::site_namespace(i);
    topology_.iptables(ns, {"-F", kLossChain});
    if (probability > 0)
      topology_.iptables(ns, {"-A", kLossChain, "-p", "udp", "-m", "statistic", "--mode", "random",
                              "--probability", std::to_string(probability), "-j", "DROP"});
  }
  if (probability > 0) count("loss rules (p=" + std::to_string(probability).substr(0, 4) + ")");
}

void Faults::drop_from(std::size_t from, std::size_t to) {
  topology_.iptables(Topology::site_namespace(to),
                     {"-A", kCutChain, "-s", Topology::site_address(from), "-j", "DROP"});
}

void Faults::cut_one_way(std::size_t from, std::size_t to) {
  drop_from(from, to);
  count("one-way cuts");
}

void Faults::partition(const std::vector<std::size_t>& side) {
  std::vector<bool> in_side(topology_.size(), false);
  for (std::size_t s : side) in_side.at(s) = true;
  for (std::size_t a = 0; a < topology_.size(); ++a)
    for (std::size_t b = 0; b < topology_.size(); ++b)
      if (in_side[a] && !in_side[b]) {
        drop_from(a, b);
        drop_from(b, a);
      }
  count(side.size() == 1 ? "isolations" : "partitions");
}

void Faults::heal_links() {
  for (std::size_t i = 0; i < topology_.size(); ++i)
    topology_.iptables(Topology::site_namespace(i), {"-F", kCutChain});
}

void Faults::start_proxy(const ProxyFaults& faults) {
  if (proxy_pid_ > 0) throw std::logic_error("the proxy is already running");
  int in_pipe[2], out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
  std::vector<std::string> args = topology_.launcher(Topology::router_namespace());
  for (std::string word :
       {paxoskv::test::built_binary("paxoskv-faultproxy"), std::string("--port"),
        std::string(kProxyPort), std::string("--duplicate"), std::to_string(faults.duplicate),
        std::string("--delay-min-ms"), std::to_string(faults.delay_min_ms),
        std::string("--delay-max-ms"), std::to_string(faults.delay_max_ms), std::string("--seed"),
        std::to_string(faults.seed)})
    args.push_back(word);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  int rc = ::posix_spawn(&proxy_pid_, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  if (rc != 0) {
    ::close(in_pipe[1]);
    ::close(out_pipe[0]);
    proxy_pid_ = -1;
    throw std::runtime_error(std::string("cannot start the fault proxy: ") + std::strerror(rc));
  }
  proxy_in_ = in_pipe[1];
  proxy_out_ = out_pipe[0];
  std::string greeting = read_until(proxy_out_, e2e::after(std::chrono::seconds(10)),
                                    [](const std::string& t) { return t.find('\n') != t.npos; });
  if (greeting.find("listening on port") == std::string::npos) {
    stop_proxy();
    throw std::runtime_error("the fault proxy did not start: " + greeting);
  }
  // Only datagrams from one site to another: client traffic comes from and goes to the root
  // link's subnet.
  topology_.iptables(Topology::router_namespace(),
                     {"-t", "mangle", "-A", "PREROUTING", "-i", "s+", "-p", "udp", "!", "-d",
                      Topology::root_subnet(), "-j", "TPROXY", "--on-port", kProxyPort, "--on-ip",
                      "127.0.0.1", "--tproxy-mark", "0x1/0x1"});
  count("proxy runs");
}

std::string Faults::stop_proxy() {
  if (proxy_pid_ <= 0) return proxy_stats_;
  topology_.iptables(Topology::router_namespace(), {"-t", "mangle", "-F", "PREROUTING"});
  ::close(proxy_in_);  // end of stdin: the proxy prints its counts and exits
  proxy_in_ = -1;
  std::string text = read_until(proxy_out_, e2e::after(std::chrono::seconds(10)),
                                [](const std::string& t) { return t.find('\n') != t.npos; });
  ::close(proxy_out_);
  proxy_out_ = -1;
  int status = 0;
  pid_t rc = ::waitpid(proxy_pid_, &status, WNOHANG);
  if (rc == 0) {
    ::kill(proxy_pid_, SIGKILL);  // our own child, by its pid
    ::waitpid(proxy_pid_, &status, 0);
  }
  proxy_pid_ = -1;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  proxy_stats_ = text;
  return proxy_stats_;
}

void Faults::kill9(std::size_t site) {
  cluster_.kill9(site);
  count("kill -9");
}

void Faults::kill9_all() {
  cluster_.kill9_all();
  count("kill -9 of all sites");
}

void Faults::restart(std::size_t site) {
  cluster_.start(site);
  count("restarts");
}

void Faults::pause(std::size_t site) {
  cluster_.pause(site);
  count("SIGSTOP pauses");
}

void Faults::resume(std::size_t site) {
  cluster_.resume(site);
}

void Faults::heal() {
  heal_links();
  set_loss(0);
  stop_proxy();
  for (std::size_t i = 0; i < cluster_.size(); ++i) {
    if (cluster_.paused(i)) cluster_.resume(i);
    if (cluster_.wanted(i) && !cluster_.running(i)) restart(i);
  }
}

std::string Faults::describe_counts() const {
  std::string text;
  for (const auto& [kind, n] : counts_)
    text += (text.empty() ? "" : ", ") + kind + " " + std::to_string(n);
  if (!proxy_stats_.empty()) text += "; proxy: " + proxy_stats_;
  return text.empty() ? "none" : text;
}

}  // namespace net_test
