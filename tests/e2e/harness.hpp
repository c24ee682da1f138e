#pragma once

// A small POSIX harness for the end-to-end tests: it starts real paxoskv-site processes on
// loopback, talks to them over pipes exactly like a grader typing at the shell, and never
// sleeps in the hope that something has happened: every wait is a poll() on a pipe with a
// deadline, or a bounded re-check of a condition.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace e2e {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;
using namespace std::chrono_literals;

inline Deadline after(Clock::duration d) {
  return Clock::now() + d;
}
double seconds_since(Clock::time_point start);

// Path of the site binary under test: $PAXOSKV_E2E_SITE_BINARY if set (a wrapper that injects
// faults, to check that the tests catch them), else the paxoskv-site built beside the test.
std::string site_binary();

// `count` distinct UDP ports that were free on 127.0.0.1 a moment ago. All sockets are held
// open until every port is chosen, so the ports are distinct.
std::vector<std::uint16_t> free_udp_ports(std::size_t count);
// The same for TCP (the sites' --http ports).
std::vector<std::uint16_t> free_tcp_ports(std::size_t count);

// True while the current Boost.Test case has no failed assertion and no exception is unwinding.
bool current_test_ok();

// A fresh directory under $TMPDIR (or /tmp). Removed on destruction if the test passed (unless
// $PAXOSKV_E2E_KEEP is set); kept and its path printed otherwise.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::string read_file(const std::filesystem::path& path);
// The file without the spaces SITE_state.json and SITE_log.json keep written ahead of their
// appends: the document, where a crash tears and a disk damages what matters.
std::string read_document(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, std::string_view contents);
// The last `max_lines` lines of a text file ("" if absent).
std::string tail_of_file(const std::filesystem::path& path, std::size_t max_lines);

struct HostLine {
  std::string name;
  std::uint16_t port = 0;
  std::string role;  // "" (default voter), "voter" or "learner"
};
// Writes a hosts file in the SPEC §2 format (a comment header, then one site per line).
void write_hosts_file(const std::filesystem::path& path, const std::vector<HostLine>& sites);

// One paxoskv-site process with its stdin and stdout on pipes and its stderr appended to a
// file. Output is collected line by line; a cursor marks the lines not yet consumed. Without a
// hosts file (an empty path) the site gets no --hosts: it joins (--join in extra_args).
class SiteProcess {
 public:
  SiteProcess(std::string name, std::filesystem::path hosts_file, std::filesystem::path data_dir,
              std::filesystem::path stderr_file, std::vector<std::string> extra_args = {});
  ~SiteProcess();  // SIGKILLs the process if it is still running (by its own pid only)
  SiteProcess(const SiteProcess&) = delete;
  SiteProcess& operator=(const SiteProcess&) = delete;

  // Spawns the process (the previous one, if any, must have exited). Clears collected output.
  void start();
  // Words put before the site's own command line, e.g. {"/usr/sbin/ip", "netns", "exec", NS}
  // to run it in a network namespace; the first word is an absolute path. The launcher must
  // exec the site in place, so that pid() stays the site's own pid.
  void set_launcher(std::vector<std::string> launcher) { launcher_ = std::move(launcher); }

  const std::string& name() const { return name_; }
  pid_t pid() const { return pid_; }
  const std::filesystem::path& stderr_file() const { return stderr_file_; }

  // Writes `text` and a newline to stdin. Returns false if the pipe is closed.
  bool send_line(std::string_view text);
  void close_stdin();

  // Consumes lines until one satisfies `match`; returns it, or nullopt at the deadline or when
  // stdout reaches end of file first. Lines skipped on the way stay in all_lines().
  std::optional<std::string> wait_for_line(const std::function<bool(const std::string&)>& match,
                                           Deadline deadline);
  std::optional<std::string> wait_for_line(const std::string& exact, Deadline deadline);
  // The next unconsumed line, waiting until the deadline.
  std::optional<std::string> next_line(Deadline deadline);
  // Types `command` and waits up to `limit` for its answer; also says how long it took.
  struct TimedAnswer {
    std::optional<std::string> line;
    double seconds = 0;
  };
  TimedAnswer answer_timed(std::string_view command, Clock::duration limit);
  // The next unconsumed line if one has already been read (no waiting).
  std::optional<std::string> take_line();
  std::size_t unconsumed() const { return lines_.size() - cursor_; }

  // Reads whatever stdout has now, waiting at most until `deadline` for the first byte.
  // Returns true if at least one new complete line arrived.
  bool pump(Deadline deadline);
  int stdout_fd() const { return out_fd_; }
  bool stdout_eof() const { return eof_; }

  const std::vector<std::string>& all_lines() const { return lines_; }

  // True if the process has been started and has not exited (reaps it if it has).
  bool is_running();
  // Sends SIGKILL without waiting (kill9() reaps), so several sites can die at one instant.
  void signal_kill();
  // SIGKILL and reap. Any output already in the pipe can still be read afterwards.
  void kill9();
  // Waits for the process to exit. Returns false at the deadline (the process keeps running).
  bool wait_exit(Deadline deadline);
  // Closes stdin (EOF) and waits for the exit.
  bool close_and_wait(Deadline deadline);
  // Raw waitpid status of the last exit; valid once is_running() is false after a start.
  int exit_status() const { return status_; }
  bool exited_normally() const;  // WIFEXITED
  int exit_code() const;         // WEXITSTATUS, or -1 if killed by a signal
  std::string describe_exit() const;

  // For failure reports: the tail of the stderr file and of stdout.
  std::string diagnostics(std::size_t max_lines = 40) const;

 private:
  void close_fds();
  bool read_available();

  std::string name_;
  std::filesystem::path hosts_file_;
  std::filesystem::path data_dir_;
  std::filesystem::path stderr_file_;
  std::vector<std::string> extra_args_;
  std::vector<std::string> launcher_;
  pid_t pid_ = -1;
  bool reaped_ = true;
  int status_ = 0;
  int in_fd_ = -1;
  int out_fd_ = -1;
  bool eof_ = false;
  std::string partial_;
  std::vector<std::string> lines_;
  std::size_t cursor_ = 0;
  int starts_ = 0;
};

// Pumps every process until at least one of them has an unconsumed line, or the deadline.
bool pump_any(const std::vector<SiteProcess*>& sites, Deadline deadline);

// Lines of a `print log` / `print kv` answer (without the "end of ..." terminator).
using Lines = std::vector<std::string>;

// One site of a Cluster built from a ClusterSpec: its role in the hosts file and arguments of
// its own (after the cluster's common ones, e.g. `--fail-rate 0.2` on one site only).
struct SiteSpec {
  std::string name;
  std::string role;  // "" (default voter), "voter" or "learner"
  std::vector<std::string> extra_args;
};
struct ClusterSpec {
  std::vector<SiteSpec> sites;
  std::vector<std::string> extra_args = {"--log-level", "info"};  // for every site
};

// N sites on 127.0.0.1 with free ports, all sharing one data directory inside a TempDir.
class Cluster {
 public:
  explicit Cluster(std::vector<std::string> names = {"alpha", "beta", "gamma"},
                   std::vector<std::string> extra_args = {"--log-level", "info"});
  explicit Cluster(ClusterSpec spec);
  ~Cluster();  // on failure prints every site's diagnostics; kills what is still running
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  const std::filesystem::path& dir() const { return tmp_.path(); }
  const std::filesystem::path& data_dir() const { return data_dir_; }
  const std::filesystem::path& hosts_file() const { return hosts_file_; }
  std::uint16_t port(const std::string& name) const { return ports_.at(name); }
  const std::vector<std::string>& names() const { return names_; }
  SiteProcess& site(const std::string& name);
  // A site that is no line of the hosts file, with a free port of its own (returned): it
  // starts with `--join 127.0.0.1:PORT` of `contact` and the cluster's common arguments, once
  // `member add NAME 127.0.0.1 PORT` has added it. Not started; it is one of names() from now.
  std::uint16_t add_joining_site(const std::string& name, const std::string& contact);

  // Starts every site, then waits until each one answers `print log` (so its shell is up).
  void start_all(Clock::duration timeout = 20s);
  void start(const std::string& name);
  // Waits for a previous process of `name` to be gone (it must have crashed, been killed or
  // quit), starts it again on the same data dir and waits until its shell answers.
  void restart(const std::string& name, Clock::duration timeout = 20s);

  // Sends one command and returns its single result line; "" (with a test failure) if no
  // line came before the timeout.
  std::string run(const std::string& name, const std::string& command,
                  Clock::duration timeout = 20s);
  // `print log` / `print kv`: the lines before "end of log" / "end of kv"; nullopt (with a
  // test failure) on timeout.
  std::optional<Lines> print_log(const std::string& name, Clock::duration timeout = 20s);
  std::optional<Lines> print_kv(const std::string& name, Clock::duration timeout = 20s);
  std::optional<Lines> print_members(const std::string& name, Clock::duration timeout = 20s);

  // Polls `print log` and `print kv` on the given sites (all if empty) until they are equal
  // on all of them and `accept` (if given) holds for the log, or the deadline. Returns true
  // on success; `logs`/`kvs` receive the last answers (by site name).
  bool wait_converged(Deadline deadline, std::map<std::string, Lines>* logs = nullptr,
                      std::map<std::string, Lines>* kvs = nullptr,
                      std::vector<std::string> which = {},
                      const std::function<bool(const Lines& log, const Lines& kv)>& accept = {});

  // Sends `quit`, closes stdin and waits for a clean exit on every running site.
  bool quit_all(Clock::duration timeout = 20s);

  std::filesystem::path state_file(const std::string& name) const;
  std::filesystem::path log_file(const std::string& name) const;
  std::filesystem::path kv_file(const std::string& name) const;

 private:
  std::optional<Lines> print_until(const std::string& name, const std::string& command,
                                   const std::string& terminator, Clock::duration timeout);

  TempDir tmp_;
  std::vector<std::string> common_args_;  // for every site
  std::filesystem::path data_dir_;
  std::filesystem::path hosts_file_;
  std::vector<std::string> names_;
  std::map<std::string, std::uint16_t> ports_;
  std::map<std::string, std::unique_ptr<SiteProcess>> sites_;
};

// A command typed at a site and the exact line it must answer.
struct Scripted {
  std::string command;
  std::string expected;
};
// Types every command of every site at once (interleaving the sites, without waiting), then
// reads the answers until each site has answered all of its commands or the deadline. Commands
// at one site run in the order typed, so answer i must be expected line i: every mismatch is
// a test failure. `on_tick` (if given) runs between reads, e.g. to inject faults. Returns true
// if every answer came and matched.
bool run_all_at_once(Cluster& cluster, const std::map<std::string, std::vector<Scripted>>& script,
                     Deadline deadline, const std::function<void()>& on_tick = {});

// Splits "KEY VALUE..." at the first space (value may contain spaces or be empty).
std::pair<std::string, std::string> split_key_value(const std::string& line);
// `print kv` lines as a map.
std::map<std::string, std::string> kv_map(const Lines& kv_lines);
// One `print log` line: "SLOT OP KEY VALUE..." or "SLOT no-op".
struct LogLine {
  std::uint64_t slot = 0;
  std::string op;
  std::string key;
  std::string value;
};
std::optional<LogLine> parse_log_line(const std::string& line);
// True if some line of `log` is "SLOT OP KEY VALUE" for any slot.
bool log_has(const Lines& log, const std::string& op, const std::string& key,
             const std::string& value);
// Replays put/append/delete lines of a `print log` answer into a map. A line identical (op,
// key, value) to an earlier one is treated as a retried duplicate and skipped, which is right
// when every value written by a test is unique.
std::map<std::string, std::string> replay_log(const Lines& log);

// A readable dump of lines for failure messages (at most `max_lines`).
std::string join_lines(const Lines& lines, std::size_t max_lines = 50);

// Runs paxoskv-client with `args` (words split by the shell) to its end, which it bounds itself
// (attempts of a timeout each); returns its stdout and stderr together, and its exit code.
std::pair<std::string, int> run_client(const std::string& args);

// Sends one UDP datagram from a fresh socket bound to an ephemeral 127.0.0.1 port.
void send_datagram(std::uint16_t port, std::string_view payload);

}  // namespace e2e
