#include "harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/test/framework.hpp>
#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <tuple>

#include "support/built_binary.hpp"

extern char** environ;

namespace e2e {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail_errno(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

// Writing to the stdin of a site that died must be an error code, not a signal that ends the
// test runner.
void ignore_sigpipe_once() {
  static const bool done = [] {
    ::signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)done;
}

int remaining_ms(Deadline deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() <= 0) return 0;
  return static_cast<int>(std::min<long long>(left.count() + 1, 60'000));
}

}  // namespace

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string site_binary() {
  // An override lets a wrapper around the real binary inject faults, to show a test can fail.
  const char* override_path = std::getenv("PAXOSKV_E2E_SITE_BINARY");
  return override_path && *override_path ? override_path
                                         : paxoskv::test::built_binary("paxoskv-site");
}

namespace {

// `count` distinct ports of `type` (SOCK_DGRAM, SOCK_STREAM) free on 127.0.0.1 a moment ago.
std::vector<std::uint16_t> free_ports(int type, std::size_t count) {
  std::vector<int> sockets;
  std::vector<std::uint16_t> ports;
  for (std::size_t i = 0; i < count; ++i) {
    int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
    if (fd < 0) fail_errno("socket");
    sockets.push_back(fd);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fail_errno("bind");
    socklen_t len = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) fail_errno("getsockname");
    ports.push_back(ntohs(addr.sin_port));
  }
  for (int fd : sockets) ::close(fd);
  return ports;
}

}  // namespace

std::vector<std::uint16_t> free_udp_ports(std::size_t count) {
  return free_ports(SOCK_DGRAM, count);
}

std::vector<std::uint16_t> free_tcp_ports(std::size_t count) {
  return free_ports(SOCK_STREAM, count);
}

bool current_test_ok() {
  if (std::uncaught_exceptions() > 0) return false;
  namespace ut = boost::unit_test;
  const ut::test_results& results =
      ut::results_collector.results(ut::framework::current_test_case().p_id);
  return results.p_assertions_failed == 0 && !results.p_aborted;
}

// ---------------------------------------------------------------------------------------------
// Files and directories

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/paxoskv-e2e-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) fail_errno("mkdtemp " + pattern);
  path_ = buffer.data();
}

TempDir::~TempDir() {
  bool ok = false;
  try {
    ok = current_test_ok();
  } catch (...) {
    ok = false;
  }
  const char* keep = std::getenv("PAXOSKV_E2E_KEEP");
  if (ok && keep && *keep) {
    std::cerr << "e2e: PAXOSKV_E2E_KEEP is set; keeping " << path_.string() << "\n";
  } else if (ok) {
    std::error_code ec;
    fs::remove_all(path_, ec);
  } else {
    std::cerr << "e2e: test failed; keeping its directory " << path_.string() << "\n";
  }
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string read_document(const fs::path& path) {
  std::string text = read_file(path);
  text.erase(text.find_last_not_of(' ') + 1);
  return text;
}

void write_file(const fs::path& path, std::string_view contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string tail_of_file(const fs::path& path, std::size_t max_lines) {
  std::ifstream in(path);
  if (!in) return "";
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
    if (lines.size() > max_lines) lines.pop_front();
  }
  std::string out;
  for (const auto& l : lines) out += "    " + l + "\n";
  return out;
}

void write_hosts_file(const fs::path& path, const std::vector<HostLine>& sites) {
  std::string text = "# name   host        port   [role]\n";
  for (const auto& s : sites) {
    text += s.name + " 127.0.0.1 " + std::to_string(s.port);
    if (!s.role.empty()) text += " " + s.role;
    text += "\n";
  }
  write_file(path, text);
}

// ---------------------------------------------------------------------------------------------
// SiteProcess

SiteProcess::SiteProcess(std::string name, fs::path hosts_file, fs::path data_dir,
                         fs::path stderr_file, std::vector<std::string> extra_args)
    : name_(std::move(name)),
      hosts_file_(std::move(hosts_file)),
      data_dir_(std::move(data_dir)),
      stderr_file_(std::move(stderr_file)),
      extra_args_(std::move(extra_args)) {
  ignore_sigpipe_once();
}

SiteProcess::~SiteProcess() {
  if (is_running()) kill9();
  close_fds();
}

void SiteProcess::close_fds() {
  if (in_fd_ >= 0) ::close(in_fd_);
  if (out_fd_ >= 0) ::close(out_fd_);
  in_fd_ = out_fd_ = -1;
}

void SiteProcess::start() {
  if (is_running()) throw std::logic_error("site " + name_ + " is already running");
  close_fds();
  lines_.clear();
  partial_.clear();
  cursor_ = 0;
  eof_ = false;
  ++starts_;

  int in_pipe[2];
  int out_pipe[2];
  // O_CLOEXEC everywhere: a site must not inherit another site's pipe ends, or closing our
  // end would never deliver EOF to that other site.
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) fail_errno("pipe2");
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) fail_errno("pipe2");
  {
    std::ofstream marker(stderr_file_, std::ios::app);
    marker << "=== e2e harness: start #" << starts_ << " of " << name_ << " ===\n";
  }
  int err_fd = ::open(stderr_file_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (err_fd < 0) fail_errno("open " + stderr_file_.string());

  std::vector<std::string> args = {site_binary(), name_, "--data-dir", data_dir_.string()};
  if (!hosts_file_.empty()) args.insert(args.end(), {"--hosts", hosts_file_.string()});
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  args.insert(args.begin(), launcher_.begin(), launcher_.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);  // we ignore SIGPIPE; the site gets the default back
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);

  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  ::close(err_fd);
  if (rc != 0) {
    ::close(in_pipe[1]);
    ::close(out_pipe[0]);
    errno = rc;
    fail_errno("posix_spawn " + args[0]);
  }
  pid_ = pid;
  reaped_ = false;
  status_ = 0;
  in_fd_ = in_pipe[1];
  out_fd_ = out_pipe[0];
  ::fcntl(out_fd_, F_SETFL, ::fcntl(out_fd_, F_GETFL) | O_NONBLOCK);
}

bool SiteProcess::send_line(std::string_view text) {
  if (in_fd_ < 0) return false;
  std::string data(text);
  data += '\n';
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(in_fd_, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;  // EPIPE: the site is gone
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

void SiteProcess::close_stdin() {
  if (in_fd_ >= 0) ::close(in_fd_);
  in_fd_ = -1;
}

bool SiteProcess::read_available() {
  bool new_line = false;
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(out_fd_, buffer, sizeof buffer);
    if (n > 0) {
      partial_.append(buffer, static_cast<std::size_t>(n));
      std::size_t pos;
      while ((pos = partial_.find('\n')) != std::string::npos) {
        std::string line = partial_.substr(0, pos);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        lines_.push_back(std::move(line));
        partial_.erase(0, pos + 1);
        new_line = true;
      }
      continue;
    }
    if (n == 0) {
      eof_ = true;
      if (!partial_.empty()) {  // a last line without newline still counts
        lines_.push_back(partial_);
        partial_.clear();
        new_line = true;
      }
      return new_line;
    }
    if (errno == EINTR) continue;
    return new_line;  // EAGAIN
  }
}

bool SiteProcess::pump(Deadline deadline) {
  if (out_fd_ < 0 || eof_) return false;
  for (;;) {
    pollfd p{out_fd_, POLLIN, 0};
    int rc = ::poll(&p, 1, remaining_ms(deadline));
    if (rc < 0 && errno != EINTR) fail_errno("poll");
    if (rc > 0 && read_available()) return true;
    if (eof_ || Clock::now() >= deadline) return false;
  }
}

bool pump_any(const std::vector<SiteProcess*>& sites, Deadline deadline) {
  for (;;) {
    std::vector<pollfd> fds;
    std::vector<SiteProcess*> polled;
    for (SiteProcess* s : sites) {
      if (s->unconsumed() > 0) return true;
      if (s->stdout_fd() >= 0 && !s->stdout_eof()) {
        fds.push_back(pollfd{s->stdout_fd(), POLLIN, 0});
        polled.push_back(s);
      }
    }
    if (fds.empty()) return false;
    int rc = ::poll(fds.data(), fds.size(), remaining_ms(deadline));
    if (rc < 0 && errno != EINTR) fail_errno("poll");
    bool got = false;
    for (std::size_t i = 0; i < fds.size(); ++i)
      if (fds[i].revents != 0 && polled[i]->pump(Clock::now())) got = true;
    if (got) return true;
    if (Clock::now() >= deadline) return false;
  }
}

std::optional<std::string> SiteProcess::take_line() {
  if (cursor_ < lines_.size()) return lines_[cursor_++];
  if (out_fd_ >= 0 && !eof_) read_available();
  if (cursor_ < lines_.size()) return lines_[cursor_++];
  return std::nullopt;
}

SiteProcess::TimedAnswer SiteProcess::answer_timed(std::string_view command,
                                                   Clock::duration limit) {
  const auto sent = Clock::now();
  if (!send_line(command)) return {std::nullopt, 0};
  auto line = next_line(sent + limit);
  return {std::move(line), seconds_since(sent)};
}

std::optional<std::string> SiteProcess::next_line(Deadline deadline) {
  return wait_for_line([](const std::string&) { return true; }, deadline);
}

std::optional<std::string> SiteProcess::wait_for_line(
    const std::function<bool(const std::string&)>& match, Deadline deadline) {
  for (;;) {
    while (cursor_ < lines_.size()) {
      const std::string& line = lines_[cursor_++];
      if (match(line)) return line;
    }
    if (out_fd_ < 0 || eof_ || Clock::now() >= deadline) return std::nullopt;
    pump(deadline);
  }
}

std::optional<std::string> SiteProcess::wait_for_line(const std::string& exact, Deadline deadline) {
  return wait_for_line([&](const std::string& line) { return line == exact; }, deadline);
}

bool SiteProcess::is_running() {
  if (pid_ <= 0 || reaped_) return false;
  int status = 0;
  pid_t rc;
  do {
    rc = ::waitpid(pid_, &status, WNOHANG);
  } while (rc < 0 && errno == EINTR);
  if (rc == 0) return true;
  reaped_ = true;
  status_ = status;
  return false;
}

void SiteProcess::signal_kill() {
  if (is_running()) ::kill(pid_, SIGKILL);  // our own child, by its pid
}

void SiteProcess::kill9() {
  if (!is_running()) return;
  ::kill(pid_, SIGKILL);  // our own child, by its pid
  int status = 0;
  pid_t rc;
  do {
    rc = ::waitpid(pid_, &status, 0);
  } while (rc < 0 && errno == EINTR);
  reaped_ = true;
  status_ = status;
}

bool SiteProcess::wait_exit(Deadline deadline) {
  for (;;) {
    if (!is_running()) return true;
    if (Clock::now() >= deadline) return false;
    // Re-check a child's state every 5 ms; this bounds the wait, it does not guess a delay.
    std::this_thread::sleep_for(5ms);
  }
}

bool SiteProcess::close_and_wait(Deadline deadline) {
  close_stdin();
  return wait_exit(deadline);
}

bool SiteProcess::exited_normally() const {
  return WIFEXITED(status_);
}

int SiteProcess::exit_code() const {
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
}

std::string SiteProcess::describe_exit() const {
  if (pid_ <= 0) return "never started";
  if (!reaped_) return "still running";
  if (WIFEXITED(status_)) return "exit code " + std::to_string(WEXITSTATUS(status_));
  if (WIFSIGNALED(status_)) return "killed by signal " + std::to_string(WTERMSIG(status_));
  return "status " + std::to_string(status_);
}

std::string SiteProcess::diagnostics(std::size_t max_lines) const {
  std::string out = "--- " + name_ + " (pid " + std::to_string(pid_) + ", " + describe_exit() +
                    ") stderr tail, " + stderr_file_.string() + ":\n";
  out += tail_of_file(stderr_file_, max_lines);
  out += "--- " + name_ + " stdout tail (" + std::to_string(lines_.size()) + " lines, " +
         std::to_string(lines_.size() - cursor_) + " unread):\n";
  std::size_t from = lines_.size() > max_lines ? lines_.size() - max_lines : 0;
  for (std::size_t i = from; i < lines_.size(); ++i) out += "    " + lines_[i] + "\n";
  return out;
}

// ---------------------------------------------------------------------------------------------
// Cluster

namespace {

ClusterSpec voters_spec(const std::vector<std::string>& names,
                        std::vector<std::string> extra_args) {
  ClusterSpec spec;
  for (const auto& name : names) spec.sites.push_back(SiteSpec{name, "", {}});
  spec.extra_args = std::move(extra_args);
  return spec;
}

}  // namespace

Cluster::Cluster(std::vector<std::string> names, std::vector<std::string> extra_args)
    : Cluster(voters_spec(names, std::move(extra_args))) {}

Cluster::Cluster(ClusterSpec spec) : common_args_(std::move(spec.extra_args)) {
  data_dir_ = tmp_.path() / "data";
  fs::create_directories(data_dir_);
  hosts_file_ = tmp_.path() / "hosts.txt";
  auto ports = free_udp_ports(spec.sites.size());
  std::vector<HostLine> lines;
  for (std::size_t i = 0; i < spec.sites.size(); ++i) {
    const SiteSpec& site = spec.sites[i];
    names_.push_back(site.name);
    ports_[site.name] = ports[i];
    lines.push_back(HostLine{site.name, ports[i], site.role});
    std::vector<std::string> args = common_args_;
    args.insert(args.end(), site.extra_args.begin(), site.extra_args.end());
    sites_[site.name] = std::make_unique<SiteProcess>(site.name, hosts_file_, data_dir_,
                                                      tmp_.path() / (site.name + ".stderr"), args);
  }
  write_hosts_file(hosts_file_, lines);
}

Cluster::~Cluster() {
  bool ok = false;
  try {
    ok = current_test_ok();
  } catch (...) {
  }
  if (!ok) {
    std::cerr << "e2e: failure diagnostics for the cluster in " << tmp_.path().string() << "\n";
    for (const auto& name : names_) std::cerr << sites_.at(name)->diagnostics();
  }
  sites_.clear();  // kills every site still running, before the directory goes
}

std::uint16_t Cluster::add_joining_site(const std::string& name, const std::string& contact) {
  BOOST_REQUIRE_MESSAGE(!sites_.count(name), name << " is already a site of the cluster");
  names_.push_back(name);
  ports_[name] = free_udp_ports(1)[0];
  std::vector<std::string> args = {"--join", "127.0.0.1:" + std::to_string(port(contact))};
  args.insert(args.end(), common_args_.begin(), common_args_.end());
  sites_[name] = std::make_unique<SiteProcess>(name, fs::path(), data_dir_,
                                               tmp_.path() / (name + ".stderr"), args);
  return ports_[name];
}

SiteProcess& Cluster::site(const std::string& name) {
  return *sites_.at(name);
}

void Cluster::start(const std::string& name) {
  site(name).start();
}

void Cluster::start_all(Clock::duration timeout) {
  for (const auto& name : names_) start(name);
  for (const auto& name : names_) {
    auto answer = print_log(name, timeout);
    BOOST_REQUIRE_MESSAGE(answer.has_value(), name << " did not answer `print log` after start");
  }
}

void Cluster::restart(const std::string& name, Clock::duration timeout) {
  SiteProcess& s = site(name);
  BOOST_REQUIRE_MESSAGE(s.wait_exit(after(timeout)), name << " is still running; cannot restart");
  s.start();
  auto answer = print_log(name, timeout);
  BOOST_REQUIRE_MESSAGE(answer.has_value(), name << " did not answer `print log` after restart");
}

std::string Cluster::run(const std::string& name, const std::string& command,
                         Clock::duration timeout) {
  SiteProcess& s = site(name);
  BOOST_TEST_REQUIRE(s.send_line(command), name << ": cannot write `" << command << "` to stdin");
  auto line = s.next_line(after(timeout));
  BOOST_TEST(line.has_value(),
             name << ": no answer to `" << command << "` within "
                  << std::chrono::duration_cast<std::chrono::seconds>(timeout).count() << " s ("
                  << s.describe_exit() << ")");
  return line.value_or("");
}

std::optional<Lines> Cluster::print_until(const std::string& name, const std::string& command,
                                          const std::string& terminator, Clock::duration timeout) {
  SiteProcess& s = site(name);
  // Lines nobody waited for (e.g. the late answer of a command that timed out) would be
  // mistaken for log lines.
  while (auto stale = s.take_line())
    std::cerr << "e2e: note: " << name << ": discarding unread line: " << *stale << "\n";
  if (!s.send_line(command)) {
    BOOST_TEST(false, name << ": cannot write `" << command << "` (" << s.describe_exit() << ")");
    return std::nullopt;
  }
  Lines lines;
  Deadline deadline = after(timeout);
  for (;;) {
    auto line = s.next_line(deadline);
    if (!line) {
      BOOST_TEST(false, name << ": `" << command << "` did not end with `" << terminator
                             << "` in time (" << s.describe_exit() << "); got " << lines.size()
                             << " lines");
      return std::nullopt;
    }
    if (*line == terminator) return lines;
    lines.push_back(*line);
  }
}

std::optional<Lines> Cluster::print_members(const std::string& name, Clock::duration timeout) {
  return print_until(name, "print members", "end of members", timeout);
}

std::optional<Lines> Cluster::print_log(const std::string& name, Clock::duration timeout) {
  return print_until(name, "print log", "end of log", timeout);
}

std::optional<Lines> Cluster::print_kv(const std::string& name, Clock::duration timeout) {
  return print_until(name, "print kv", "end of kv", timeout);
}

bool Cluster::wait_converged(Deadline deadline, std::map<std::string, Lines>* logs,
                             std::map<std::string, Lines>* kvs, std::vector<std::string> which,
                             const std::function<bool(const Lines&, const Lines&)>& accept) {
  if (which.empty()) which = names_;
  std::map<std::string, Lines> last_logs;
  std::map<std::string, Lines> last_kvs;
  for (;;) {
    bool answered = true;
    for (const auto& name : which) {
      auto log = print_log(name);
      auto kv = print_kv(name);
      if (!log || !kv) {
        answered = false;
        break;
      }
      last_logs[name] = *log;
      last_kvs[name] = *kv;
    }
    bool equal = answered;
    for (std::size_t i = 1; equal && i < which.size(); ++i)
      equal =
          last_logs[which[i]] == last_logs[which[0]] && last_kvs[which[i]] == last_kvs[which[0]];
    if (equal && accept) equal = accept(last_logs[which[0]], last_kvs[which[0]]);
    if (equal || !answered || Clock::now() >= deadline) {
      if (logs) *logs = last_logs;
      if (kvs) *kvs = last_kvs;
      return equal;
    }
    // Sites learn the last commits a little later than the leader; ask again shortly.
    std::this_thread::sleep_for(100ms);
  }
}

bool Cluster::quit_all(Clock::duration timeout) {
  bool ok = true;
  for (const auto& name : names_) {
    SiteProcess& s = site(name);
    if (!s.is_running()) continue;
    s.send_line("quit");
    s.close_stdin();
  }
  Deadline deadline = after(timeout);
  for (const auto& name : names_) {
    SiteProcess& s = site(name);
    if (s.pid() <= 0) continue;
    bool exited = s.wait_exit(deadline);
    BOOST_TEST(exited, name << " did not exit after quit");
    if (!exited) {
      ok = false;
      continue;
    }
    ok = ok && s.exited_normally() && s.exit_code() == 0;
  }
  return ok;
}

fs::path Cluster::state_file(const std::string& name) const {
  return data_dir_ / (name + "_state.json");
}
fs::path Cluster::log_file(const std::string& name) const {
  return data_dir_ / (name + "_log.json");
}
fs::path Cluster::kv_file(const std::string& name) const {
  return data_dir_ / (name + ".json");
}

bool run_all_at_once(Cluster& cluster, const std::map<std::string, std::vector<Scripted>>& script,
                     Deadline deadline, const std::function<void()>& on_tick) {
  std::size_t longest = 0;
  for (const auto& [name, list] : script) longest = std::max(longest, list.size());
  for (std::size_t i = 0; i < longest; ++i)
    for (const auto& [name, list] : script)
      if (i < list.size())
        BOOST_TEST_REQUIRE(cluster.site(name).send_line(list[i].command),
                           name << ": cannot type `" << list[i].command << "`");

  std::vector<SiteProcess*> sites;
  for (const auto& [name, list] : script) sites.push_back(&cluster.site(name));
  std::map<std::string, std::size_t> answered;
  bool ok = true;
  auto all_answered = [&] {
    for (const auto& [name, list] : script)
      if (answered[name] < list.size()) return false;
    return true;
  };
  while (!all_answered()) {
    if (on_tick) on_tick();
    if (Clock::now() >= deadline) break;
    pump_any(sites, on_tick ? std::min(deadline, after(50ms)) : deadline);
    for (const auto& [name, list] : script) {
      SiteProcess& site = cluster.site(name);
      while (answered[name] < list.size()) {
        auto line = site.take_line();
        if (!line) break;
        const Scripted& cmd = list[answered[name]++];
        if (*line != cmd.expected) {
          ok = false;
          BOOST_TEST(*line == cmd.expected, name << ": answer to `" << cmd.command << "`");
        }
      }
    }
  }
  for (const auto& [name, list] : script) {
    if (answered[name] < list.size()) {
      ok = false;
      BOOST_TEST(answered[name] == list.size(), name << " answered " << answered[name] << " of "
                                                     << list.size()
                                                     << " commands before the deadline ("
                                                     << cluster.site(name).describe_exit() << ")");
    }
  }
  return ok;
}

// ---------------------------------------------------------------------------------------------
// Helpers

std::pair<std::string, std::string> split_key_value(const std::string& line) {
  auto space = line.find(' ');
  if (space == std::string::npos) return {line, ""};
  return {line.substr(0, space), line.substr(space + 1)};
}

std::map<std::string, std::string> kv_map(const Lines& kv_lines) {
  std::map<std::string, std::string> out;
  for (const auto& line : kv_lines) out.insert(split_key_value(line));
  return out;
}

std::optional<LogLine> parse_log_line(const std::string& line) {
  LogLine out;
  auto [slot, rest] = split_key_value(line);
  if (slot.empty() || slot.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  out.slot = std::stoull(slot);
  auto [op, after_op] = split_key_value(rest);
  if (op.empty()) return std::nullopt;
  out.op = op;
  auto [key, value] = split_key_value(after_op);
  out.key = key;
  out.value = value;
  return out;
}

bool log_has(const Lines& log, const std::string& op, const std::string& key,
             const std::string& value) {
  for (const auto& line : log) {
    auto entry = parse_log_line(line);
    if (entry && entry->op == op && entry->key == key && entry->value == value) return true;
  }
  return false;
}

std::map<std::string, std::string> replay_log(const Lines& log) {
  std::map<std::string, std::string> kv;
  std::set<std::tuple<std::string, std::string, std::string>> seen;
  for (const auto& line : log) {
    auto entry = parse_log_line(line);
    if (!entry) continue;
    if (entry->op != "put" && entry->op != "append" && entry->op != "delete") continue;
    if (!seen.insert({entry->op, entry->key, entry->value}).second) continue;
    if (entry->op == "put") kv[entry->key] = entry->value;
    if (entry->op == "append") kv[entry->key] += entry->value;
    if (entry->op == "delete") kv.erase(entry->key);
  }
  return kv;
}

std::string join_lines(const Lines& lines, std::size_t max_lines) {
  std::string out;
  for (std::size_t i = 0; i < lines.size() && i < max_lines; ++i) out += "\n    " + lines[i];
  if (lines.size() > max_lines)
    out += "\n    ... (" + std::to_string(lines.size() - max_lines) + " more)";
  return out;
}

std::pair<std::string, int> run_client(const std::string& args) {
  std::string command = paxoskv::test::built_binary("paxoskv-client") + " " + args + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  BOOST_TEST_REQUIRE(pipe != nullptr);
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) out += buf;
  int status = ::pclose(pipe);
  return {out, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

void send_datagram(std::uint16_t port, std::string_view payload) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail_errno("socket");
  sockaddr_in self{};
  self.sin_family = AF_INET;
  self.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&self), sizeof self) != 0) {
    ::close(fd);
    fail_errno("bind");
  }
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(port);
  ssize_t n =
      ::sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  int saved = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(payload.size())) {
    errno = saved;
    fail_errno("sendto of " + std::to_string(payload.size()) + " bytes");
  }
}

}  // namespace e2e
