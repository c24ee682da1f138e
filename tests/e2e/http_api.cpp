// The HTTP KV API under /v1/ (SPEC §6c) end to end: three real sites with `--http`, driven by
// the clients people use, curl and Python's urllib (both run as separate processes):
//   - every verb and condition with curl: put, get (linearizable and serializable), 404, the
//     three conditions right and wrong, conditional deletes, prefix lists with a limit, 413,
//     400, and a ttl that shows in a GET until the key is gone;
//   - the same with urllib;
//   - racing compare-and-set from three processes, one per site: one winner each round;
//   - concurrent puts, at three sites and at one lossy site: each answer describes its own
//     put, and every acknowledged put took effect;
//   - a watch of 1,000 changes while the leader is SIGKILLed and restarted: every value in
//     order, each once, at the revision its write was given;
//   - a watch from a revision a restarted site no longer holds (it restored a snapshot) gets
//     410, and one from its current revision goes on.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "harness.hpp"

extern char** environ;

using namespace e2e;
namespace json = boost::json;

namespace {

// The Python side: a urllib client with one mode per test (see each mode's docstring). The
// test writes it into its temporary directory and runs `python3 -u driver.py MODE ARGS...`.
// Every mode prints one JSON object a line on stdout, for the test to check.
constexpr std::string_view kPythonDriver = R"py(
import http.client
import json
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request


def q(text, safe=""):
    return urllib.parse.quote(text, safe=safe)


def call(port, method, path, body=None, timeout=30):
    """(status, JSON body); (0, {"error": ...}) when no answer came (refused, reset, timeout)."""
    data = body.encode("utf-8") if body is not None else None
    request = urllib.request.Request(
        "http://127.0.0.1:%d%s" % (port, path), data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, {"error": raw.decode("utf-8", "replace")}
    except (OSError, http.client.HTTPException) as error:
        return 0, {"error": repr(error)}


def out(**fields):
    print(json.dumps(fields), flush=True)


def basic(port):
    """Each verb and condition once, at one site: {"step", "status", "body"} per request."""
    def step(name, method, path, body=None):
        status, reply = call(port, method, path, body)
        out(step=name, status=status, body=reply)
        return reply

    step("put", "PUT", "/v1/kv/py/a", "1")
    step("get", "GET", "/v1/kv/py/a")
    step("get_serializable", "GET", "/v1/kv/py/a?serializable=true")
    step("cas_right", "PUT", "/v1/kv/py/a?prev_value=1", "2")
    step("cas_wrong", "PUT", "/v1/kv/py/a?prev_value=1", "3")
    created = step("create", "PUT", "/v1/kv/py/b?prev_exists=false", "x")
    step("create_again", "PUT", "/v1/kv/py/b?prev_exists=false", "y")
    revision = created.get("revision", 0)
    step("revision_right", "PUT", "/v1/kv/py/b?prev_revision=%d" % revision, "z")
    step("revision_stale", "PUT", "/v1/kv/py/b?prev_revision=%d" % revision, "w")
    step("unicode_put", "PUT", "/v1/kv/" + q("py/ü k", "/"), "héllo wörld")
    step("unicode_get", "GET", "/v1/kv/" + q("py/ü k", "/"))
    step("list", "GET", "/v1/kv?prefix=py/")
    step("delete_wrong", "DELETE", "/v1/kv/py/a?prev_value=1")
    step("delete", "DELETE", "/v1/kv/py/a?prev_value=2")
    step("get_deleted", "GET", "/v1/kv/py/a")
    step("list_after", "GET", "/v1/kv?prefix=py/&limit=1")
    step("bad_parameter", "GET", "/v1/kv/py/b?consistent=yes")


def cas(port, key):
    """One compare-and-set of `key` per line "EXPECTED NEW" on stdin, sent as soon as the line
    comes: {"status", "body"} per line. Says {"ready": true} first."""
    out(ready=True)
    for line in sys.stdin:
        expected, new = line.split()
        status, reply = call(port, "PUT",
                             "/v1/kv/%s?prev_value=%s" % (q(key, "/"), q(expected)), new)
        out(status=status, body=reply)


def hammer(port, key, name, count):
    """`count` unconditional puts of `key`, values NAME-0, NAME-1, ...: {"sent", "status",
    "body"} per put."""
    for i in range(count):
        value = "%s-%d" % (name, i)
        status, reply = call(port, "PUT", "/v1/kv/" + q(key, "/"), value)
        out(sent=value, status=status, body=reply)


def spray(port, prefix, threads, count):
    """`threads` threads at once, each putting `count` keys PREFIX<thread>-<i> (the value is
    the key) one after the other: {"sent", "status", "body"} per put."""
    lock = threading.Lock()

    def run(thread):
        for i in range(count):
            key = "%s%d-%d" % (prefix, thread, i)
            status, reply = call(port, "PUT", "/v1/kv/" + q(key, "/"), key)
            with lock:
                out(sent=key, status=status, body=reply)

    workers = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def write(key, since, count, seconds, ports):
    """Writes v0 .. v{count-1} to `key`, each with prev_revision= the revision of the one before
    (the first: `since`), until acknowledged: {"i", "value", "revision"} per value, then
    {"done": true}. A request that got no answer, 503 or 504 may or may not have taken effect,
    so it is sent again to the next site with the same prev_revision: it can take effect once
    at most. A 412 whose current value is the one being written says an earlier try did."""
    deadline = time.monotonic() + seconds
    at = 0
    revision = since
    for i in range(count):
        value = "v%d" % i
        while True:
            if time.monotonic() > deadline:
                out(error="deadline", i=i)
                sys.exit(1)
            port = ports[at]
            status, reply = call(
                port, "PUT", "/v1/kv/%s?prev_revision=%d" % (q(key, "/"), revision), value)
            current = reply.get("current", {})
            if status == 200:
                revision = reply["revision"]
                break
            if status == 412 and current.get("value") == value:
                revision = current["revision"]
                break
            if status == 412 or status not in (0, 503, 504):
                out(error="unexpected answer", i=i, port=port, status=status, body=reply)
                sys.exit(1)
            out(retry=i, port=port, status=status, reason=reply.get("error"))
            at = (at + 1) % len(ports)
            time.sleep(0.05)
        out(i=i, value=value, revision=revision)
    out(done=True)


def watch(key, since, last, seconds, ports):
    """Long-polls `key` from revision `since` until an event puts the value `last`: each
    event as it is answered, {"switch": PORT, ...} when a site does not answer (then the next
    one is asked), and {"done": true} at the end. It goes on from the last event's revision,
    or from the reply's cluster_revision when there is none, but never back: a site that lags
    behind the one asked before says a lower cluster_revision."""
    deadline = time.monotonic() + seconds
    at = 0
    while True:
        if time.monotonic() > deadline:
            out(error="deadline")
            sys.exit(1)
        port = ports[at]
        status, reply = call(
            port, "GET", "/v1/watch?key=%s&since=%d&timeout=5" % (q(key), since), timeout=15)
        if status == 200:
            for event in reply["events"]:
                out(event=event)
            if reply["events"]:
                since = reply["events"][-1]["revision"]
            else:
                since = max(since, reply["cluster_revision"])
            if any(event.get("value") == last for event in reply["events"]):
                break
            continue
        out(switch=port, status=status, reason=reply.get("error"))
        if status not in (0, 503):
            sys.exit(1)
        at = (at + 1) % len(ports)
        time.sleep(0.05)
    out(done=True)


def main(argv):
    mode = argv[1]
    if mode == "basic":
        basic(int(argv[2]))
    elif mode == "cas":
        cas(int(argv[2]), argv[3])
    elif mode == "hammer":
        hammer(int(argv[2]), argv[3], argv[4], int(argv[5]))
    elif mode == "spray":
        spray(int(argv[2]), argv[3], int(argv[4]), int(argv[5]))
    elif mode == "write":
        write(argv[2], int(argv[3]), int(argv[4]), float(argv[5]), [int(p) for p in argv[6:]])
    elif mode == "watch":
        watch(argv[2], int(argv[3]), argv[4], float(argv[5]), [int(p) for p in argv[6:]])
    else:
        sys.exit("unknown mode " + mode)


main(sys.argv)
)py";

// /usr/bin/NAME when it is there (not a shim of a version manager earlier in $PATH), else NAME
// for $PATH to find.
std::string program_path(const std::string& name) {
  const std::string system = "/usr/bin/" + name;
  return ::access(system.c_str(), X_OK) == 0 ? system : name;
}

// A program (curl, python3) with its stdin and stdout on pipes and its stderr appended to a
// file. Killed (by its own pid) when destroyed while still running.
class Program {
 public:
  Program(std::vector<std::string> args, std::filesystem::path stderr_file)
      : args_(std::move(args)), stderr_file_(std::move(stderr_file)) {
    int in_pipe[2];
    int out_pipe[2];
    BOOST_TEST_REQUIRE(::pipe2(in_pipe, O_CLOEXEC) == 0);
    BOOST_TEST_REQUIRE(::pipe2(out_pipe, O_CLOEXEC) == 0);
    int err_fd = ::open(stderr_file_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    BOOST_TEST_REQUIRE(err_fd >= 0);
    std::vector<char*> argv;
    for (auto& a : args_) argv.push_back(a.data());
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
    sigaddset(&defaults, SIGPIPE);  // the tests ignore SIGPIPE; the program gets the default
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
    const int rc = ::posix_spawnp(&pid_, argv[0], &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(in_pipe[0]);
    ::close(out_pipe[1]);
    ::close(err_fd);
    in_fd_ = in_pipe[1];
    out_fd_ = out_pipe[0];
    BOOST_TEST_REQUIRE(rc == 0, "cannot start " << args_[0] << ": " << std::strerror(rc));
  }
  ~Program() {
    if (running_ && pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    close_stdin();
    if (out_fd_ >= 0) ::close(out_fd_);
  }
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;

  bool send(std::string_view text) {
    while (!text.empty()) {
      if (in_fd_ < 0) return false;
      ssize_t n = ::write(in_fd_, text.data(), text.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      text.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  void close_stdin() {
    if (in_fd_ >= 0) ::close(in_fd_);
    in_fd_ = -1;
  }

  // The next line of stdout (without its newline); nullopt at the deadline, or at the end of
  // stdout with nothing left.
  std::optional<std::string> next_line(Deadline deadline) {
    for (;;) {
      if (auto at = buffer_.find('\n'); at != std::string::npos) {
        std::string line = buffer_.substr(0, at);
        buffer_.erase(0, at + 1);
        return line;
      }
      if (eof_ || !read_some(deadline)) {
        if (!eof_ || buffer_.empty()) return std::nullopt;
        return std::exchange(buffer_, {});
      }
    }
  }
  // All of stdout up to its end (or what came by the deadline).
  std::string read_all(Deadline deadline) {
    while (!eof_ && read_some(deadline)) {
    }
    return std::exchange(buffer_, {});
  }
  bool eof() const { return eof_; }

  // Waits for the exit; false at the deadline. Then exit_code() is its code (-1: a signal).
  bool wait_exit(Deadline deadline) {
    while (running_) {
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        running_ = false;
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        break;
      }
      if (Clock::now() >= deadline) return false;
      // Nothing to poll on for a child's exit but its stdout, which may be closed already.
      if (!eof_) {
        read_some(std::min(deadline, after(20ms)));
      } else {
        ::poll(nullptr, 0, 5);
      }
    }
    return true;
  }
  int exit_code() const { return exit_code_; }
  std::string stderr_text() const { return tail_of_file(stderr_file_, 30); }

 private:
  // Appends what stdout has, waiting for it until the deadline; false at the deadline or at
  // its end (eof_).
  bool read_some(Deadline deadline) {
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return false;
      pollfd p{out_fd_, POLLIN, 0};
      int ready = ::poll(&p, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) continue;
      char chunk[65536];
      ssize_t n = ::read(out_fd_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        eof_ = true;
        return false;
      }
      buffer_.append(chunk, static_cast<std::size_t>(n));
      return true;
    }
  }

  std::vector<std::string> args_;
  std::filesystem::path stderr_file_;
  pid_t pid_ = -1;
  bool running_ = true;
  int exit_code_ = -1;
  int in_fd_ = -1;
  int out_fd_ = -1;
  bool eof_ = false;
  std::string buffer_;
};

json::value parse_json(const std::string& text) {
  boost::system::error_code error;
  json::value value = json::parse(text, error);
  return error ? json::value() : value;
}

// Members of a JSON object, or stand-ins that make a check fail (and say what was missing).
const json::value& member(const json::value& v, std::string_view name) {
  static const json::value missing;
  if (!v.is_object()) return missing;
  const json::value* found = v.get_object().if_contains(name);
  return found != nullptr ? *found : missing;
}
bool has(const json::value& v, std::string_view name) {
  return v.is_object() && v.get_object().contains(name);
}
std::string text(const json::value& v, std::string_view name) {
  const json::value& m = member(v, name);
  return m.is_string() ? std::string(m.get_string()) : "<no string " + std::string(name) + ">";
}
std::int64_t number(const json::value& v, std::string_view name) {
  const json::value& m = member(v, name);
  if (m.is_int64()) return m.get_int64();
  if (m.is_uint64()) return static_cast<std::int64_t>(m.get_uint64());
  return -1;
}

struct Reply {
  int status = 0;  // 0: no HTTP answer
  std::string raw;
  json::value body;
};

std::ostream& operator<<(std::ostream& out, const Reply& reply) {
  return out << reply.status << " " << reply.raw;
}

// The cluster of these tests: alpha, beta and gamma, each serving the API on a port of its own.
class ApiCluster {
 public:
  // `extra_args` for every site, `site_args` for some.
  explicit ApiCluster(std::vector<std::string> extra_args = {},
                      std::map<std::string, std::vector<std::string>> site_args = {})
      : ports_(free_tcp_ports(3)), cluster_(spec(extra_args, site_args)) {
    const std::filesystem::path driver = cluster_.dir() / "driver.py";
    write_file(driver, kPythonDriver);
    driver_ = driver.string();
    cluster_.start_all();
    // Writes need a leader: wait until a linearizable read succeeds at every site.
    BOOST_TEST_REQUIRE(cluster_.run("alpha", "put ready yes") == "put ready completed");
    for (const std::string& name : cluster_.names()) {
      const Deadline deadline = after(20s);
      Reply reply;
      while ((reply = curl(name, "GET", "/v1/kv/ready")).status != 200 && Clock::now() < deadline)
        wait_a_little();
      BOOST_TEST_REQUIRE(reply.status == 200, name << " does not serve reads: " << reply);
    }
  }

  Cluster& cluster() { return cluster_; }
  std::uint16_t http(const std::string& name) const { return http_.at(name); }
  std::vector<std::uint16_t> http_ports(const std::vector<std::string>& names) const {
    std::vector<std::uint16_t> ports;
    for (const auto& name : names) ports.push_back(http(name));
    return ports;
  }

  // `curl -X METHOD` of http://127.0.0.1:PORT`target` at site `name`, with `body` (sent from
  // stdin) if given.
  Reply curl(const std::string& name, const std::string& method, const std::string& target,
             std::optional<std::string> body = std::nullopt) {
    std::vector<std::string> args{
        program_path("curl"), "--silent", "--show-error", "--max-time", "40",
        "--request",          method,     "--output",     "-",          "--write-out",
        "\n%{http_code}"};
    if (body) args.insert(args.end(), {"--data-binary", "@-"});
    args.push_back("http://127.0.0.1:" + std::to_string(http(name)) + target);
    Program process(args, cluster_.dir() / "curl.stderr");
    if (body) BOOST_TEST(process.send(*body));
    process.close_stdin();
    std::string out = process.read_all(after(60s));
    BOOST_TEST_REQUIRE(process.wait_exit(after(10s)), "curl did not exit");
    Reply reply;
    const std::size_t cut = out.rfind('\n');
    if (cut == std::string::npos) return reply;
    reply.status = std::atoi(out.c_str() + cut + 1);
    reply.raw = out.substr(0, cut);
    while (!reply.raw.empty() && reply.raw.back() == '\n') reply.raw.pop_back();
    reply.body = parse_json(reply.raw);
    return reply;
  }

  // `python3 -u driver.py ARGS...`, with its stderr in the test's directory.
  std::unique_ptr<Program> python(const std::vector<std::string>& args) {
    std::vector<std::string> argv{program_path("python3"), "-u", driver_};
    argv.insert(argv.end(), args.begin(), args.end());
    return std::make_unique<Program>(argv, cluster_.dir() / ("python-" + args.at(0) + ".stderr"));
  }

  // The site that says it leads in its /metrics (once exactly one does), or "".
  std::string leader(Deadline deadline) {
    for (;;) {
      std::vector<std::string> leaders;
      for (const std::string& name : cluster_.names()) {
        if (!cluster_.site(name).is_running()) continue;
        Reply metrics = curl(name, "GET", "/metrics");
        if (metrics.raw.find("\npaxoskv_is_leader 1\n") != std::string::npos)
          leaders.push_back(name);
      }
      if (leaders.size() == 1) return leaders.front();
      if (Clock::now() >= deadline) return "";
      wait_a_little();
    }
  }

  // Between two polls of a condition: a short bounded wait (the condition is checked again).
  static void wait_a_little() { ::poll(nullptr, 0, 50); }

 private:
  ClusterSpec spec(const std::vector<std::string>& extra_args,
                   std::map<std::string, std::vector<std::string>>& site_args) {
    ClusterSpec spec;
    spec.extra_args.insert(spec.extra_args.end(), extra_args.begin(), extra_args.end());
    const std::vector<std::string> names{"alpha", "beta", "gamma"};
    for (std::size_t i = 0; i < names.size(); ++i) {
      http_[names[i]] = ports_[i];
      std::vector<std::string> args{"--http", std::to_string(ports_[i])};
      args.insert(args.end(), site_args[names[i]].begin(), site_args[names[i]].end());
      spec.sites.push_back(SiteSpec{names[i], "", args});
    }
    return spec;
  }

  std::vector<std::uint16_t> ports_;
  std::map<std::string, std::uint16_t> http_;
  Cluster cluster_;
  std::string driver_;
};

std::vector<std::string> port_args(const std::vector<std::uint16_t>& ports) {
  std::vector<std::string> args;
  for (auto port : ports) args.push_back(std::to_string(port));
  return args;
}

// Checks a key object: {"key","value","revision",...}.
void check_key(const json::value& object, const std::string& key, const std::string& value,
               std::int64_t revision = -1) {
  BOOST_TEST(text(object, "key") == key, object);
  BOOST_TEST(text(object, "value") == value, object);
  BOOST_TEST(number(object, "revision") > 0, object);
  if (revision >= 0) BOOST_TEST(number(object, "revision") == revision, object);
}

// Each reply to a key or a list carries the answering site's revision.
void check_cluster_revision(const Reply& reply, std::int64_t at_least = 1) {
  BOOST_TEST(number(reply.body, "cluster_revision") >= at_least, reply);
}

// Every event of a watch from `since` at `name`, following the continuation rule, until
// `count` came (or the deadline).
std::vector<json::value> watch_events(ApiCluster& api, const std::string& name,
                                      const std::string& key, std::int64_t since, std::size_t count,
                                      Deadline deadline) {
  std::vector<json::value> events;
  while (events.size() < count && Clock::now() < deadline) {
    Reply reply = api.curl(
        name, "GET", "/v1/watch?key=" + key + "&since=" + std::to_string(since) + "&timeout=5");
    BOOST_TEST_REQUIRE(reply.status == 200, reply);
    const json::value& got = member(reply.body, "events");
    BOOST_TEST_REQUIRE(got.is_array(), reply);
    for (const json::value& e : got.get_array()) events.push_back(e);
    since = events.empty() ? std::max(since, number(reply.body, "cluster_revision"))
                           : number(events.back(), "revision");
  }
  return events;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http_api)

BOOST_AUTO_TEST_CASE(every_verb_and_condition_with_curl) {
  ApiCluster api;

  // A put, then linearizable reads at the other sites and a serializable one.
  Reply put = api.curl("alpha", "PUT", "/v1/kv/k1", "hello");
  BOOST_TEST_REQUIRE(put.status == 200, put);
  check_key(put.body, "k1", "hello");
  BOOST_TEST(!has(put.body, "ttl"), put);
  const std::int64_t r1 = number(put.body, "revision");
  check_cluster_revision(put, r1);
  for (const char* name : {"beta", "gamma"}) {
    Reply get = api.curl(name, "GET", "/v1/kv/k1");
    BOOST_TEST(get.status == 200, get);
    check_key(get.body, "k1", "hello", r1);
    check_cluster_revision(get, r1);
  }
  // A serializable read answers from the site's own map, which may lag: poll until it shows.
  Reply local;
  for (const Deadline deadline = after(10s); Clock::now() < deadline; ApiCluster::wait_a_little())
    if ((local = api.curl("gamma", "GET", "/v1/kv/k1?serializable=true")).status == 200) break;
  BOOST_TEST(local.status == 200, local);
  check_key(local.body, "k1", "hello", r1);
  Reply missing = api.curl("beta", "GET", "/v1/kv/nope");
  BOOST_TEST(missing.status == 404, missing);
  BOOST_TEST(text(missing.body, "error") == "no such key", missing);
  BOOST_TEST(text(missing.body, "key") == "nope", missing);
  check_cluster_revision(missing, r1);
  missing = api.curl("beta", "GET", "/v1/kv/nope?serializable=true");
  BOOST_TEST(missing.status == 404, missing);

  // prev_exists=false: creates once, then the key exists.
  Reply created = api.curl("beta", "PUT", "/v1/kv/fresh?prev_exists=false", "a");
  BOOST_TEST(created.status == 200, created);
  check_key(created.body, "fresh", "a");
  Reply exists = api.curl("gamma", "PUT", "/v1/kv/fresh?prev_exists=false", "b");
  BOOST_TEST(exists.status == 412, exists);
  BOOST_TEST(text(exists.body, "error") == "key exists", exists);
  check_key(member(exists.body, "current"), "fresh", "a", number(created.body, "revision"));
  check_cluster_revision(exists, number(created.body, "revision"));

  // prev_value right, then the same one again (now wrong).
  Reply swapped = api.curl("alpha", "PUT", "/v1/kv/k1?prev_value=hello", "world");
  BOOST_TEST(swapped.status == 200, swapped);
  check_key(swapped.body, "k1", "world");
  const std::int64_t r2 = number(swapped.body, "revision");
  BOOST_TEST(r2 > r1);
  Reply differs = api.curl("gamma", "PUT", "/v1/kv/k1?prev_value=hello", "again");
  BOOST_TEST(differs.status == 412, differs);
  BOOST_TEST(text(differs.body, "error") == "value differs", differs);
  check_key(member(differs.body, "current"), "k1", "world", r2);
  // A value with a space, percent-encoded in the query.
  Reply spaced = api.curl("beta", "PUT", "/v1/kv/k1?prev_value=world", "two words");
  BOOST_TEST(spaced.status == 200, spaced);
  Reply spaced_cas = api.curl("beta", "PUT", "/v1/kv/k1?prev_value=two%20words", "world");
  BOOST_TEST(spaced_cas.status == 200, spaced_cas);
  const std::int64_t r3 = number(spaced_cas.body, "revision");

  // prev_revision right, stale, and 0 (the key is absent).
  Reply by_revision =
      api.curl("gamma", "PUT", "/v1/kv/k1?prev_revision=" + std::to_string(r3), "chained");
  BOOST_TEST(by_revision.status == 200, by_revision);
  const std::int64_t r4 = number(by_revision.body, "revision");
  BOOST_TEST(r4 > r3);
  Reply stale = api.curl("alpha", "PUT", "/v1/kv/k1?prev_revision=" + std::to_string(r3), "stale");
  BOOST_TEST(stale.status == 412, stale);
  BOOST_TEST(text(stale.body, "error") == "revision differs", stale);
  check_key(member(stale.body, "current"), "k1", "chained", r4);
  Reply absent = api.curl("alpha", "PUT", "/v1/kv/zero?prev_revision=0", "first");
  BOOST_TEST(absent.status == 200, absent);
  check_key(absent.body, "zero", "first");
  Reply not_absent = api.curl("beta", "PUT", "/v1/kv/zero?prev_revision=0", "second");
  BOOST_TEST(not_absent.status == 412, not_absent);
  BOOST_TEST(text(not_absent.body, "error") == "revision differs", not_absent);
  check_key(member(not_absent.body, "current"), "zero", "first", number(absent.body, "revision"));

  // Deletes with conditions: wrong ones change nothing, right ones delete.
  Reply kept = api.curl("alpha", "DELETE", "/v1/kv/k1?prev_value=world");
  BOOST_TEST(kept.status == 412, kept);
  BOOST_TEST(text(kept.body, "error") == "value differs", kept);
  kept = api.curl("alpha", "DELETE", "/v1/kv/k1?prev_revision=" + std::to_string(r3));
  BOOST_TEST(kept.status == 412, kept);
  BOOST_TEST(text(kept.body, "error") == "revision differs", kept);
  check_key(member(kept.body, "current"), "k1", "chained", r4);
  Reply deleted = api.curl("beta", "DELETE", "/v1/kv/k1?prev_value=chained");
  BOOST_TEST(deleted.status == 200, deleted);
  BOOST_TEST(text(deleted.body, "key") == "k1", deleted);
  const std::int64_t r5 = number(deleted.body, "deleted_revision");
  BOOST_TEST(r5 > r4, deleted);
  check_cluster_revision(deleted, r5);
  BOOST_TEST(api.curl("gamma", "GET", "/v1/kv/k1").status == 404);
  deleted =
      api.curl("gamma", "DELETE",
               "/v1/kv/fresh?prev_revision=" + std::to_string(number(created.body, "revision")));
  BOOST_TEST(deleted.status == 200, deleted);
  BOOST_TEST(api.curl("alpha", "GET", "/v1/kv/fresh").status == 404);

  // Prefix lists, sorted by key, cut at the limit.
  for (std::string key : {"p/c", "p/a", "q/x", "p/d", "p/b"}) {
    Reply reply = api.curl("alpha", "PUT", "/v1/kv/" + key, "value of " + key);
    BOOST_TEST_REQUIRE(reply.status == 200, reply);
  }
  auto listed = [&](const Reply& reply) {
    std::vector<std::string> keys;
    const json::value& kvs = member(reply.body, "kvs");
    if (kvs.is_array())
      for (const json::value& kv : kvs.get_array()) {
        check_key(kv, text(kv, "key"), "value of " + text(kv, "key"));
        keys.push_back(text(kv, "key"));
      }
    return keys;
  };
  using Keys = std::vector<std::string>;
  Reply list = api.curl("beta", "GET", "/v1/kv?prefix=p/&limit=3");
  BOOST_TEST(list.status == 200, list);
  BOOST_TEST(listed(list) == (Keys{"p/a", "p/b", "p/c"}), list);
  BOOST_TEST(member(list.body, "more") == json::value(true), list);
  check_cluster_revision(list);
  list = api.curl("gamma", "GET", "/v1/kv?prefix=p/&limit=4");
  BOOST_TEST(listed(list) == (Keys{"p/a", "p/b", "p/c", "p/d"}), list);
  BOOST_TEST(member(list.body, "more") == json::value(false), list);
  list = api.curl("gamma", "GET", "/v1/kv?prefix=p/");
  BOOST_TEST(listed(list).size() == 4u, list);
  BOOST_TEST(member(list.body, "more") == json::value(false), list);
  list = api.curl("alpha", "GET", "/v1/kv?prefix=nothing/");
  BOOST_TEST(list.status == 200, list);
  BOOST_TEST(listed(list).empty(), list);

  // 413: a value over 8192 bytes, or value and prev_value together; 8192 bytes fit.
  Reply big = api.curl("alpha", "PUT", "/v1/kv/big", std::string(8193, 'x'));
  BOOST_TEST(big.status == 413, big);
  BOOST_TEST(text(big.body, "error").find("too large") != std::string::npos, big);
  big = api.curl("alpha", "PUT", "/v1/kv/big?prev_value=" + std::string(200, 'p'),
                 std::string(8000, 'x'));
  BOOST_TEST(big.status == 413, big);
  big = api.curl("alpha", "PUT", "/v1/kv/big", std::string(8192, 'x'));
  BOOST_TEST(big.status == 200, big.status);
  BOOST_TEST(api.curl("alpha", "GET", "/v1/kv/big").status == 200);

  // 400: an unknown parameter, a bad value of a known one, two conditions at once.
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/v1/kv/p/a?consistent=true"},
           {"PUT", "/v1/kv/p/a?prev_exists=true"},
           {"PUT", "/v1/kv/p/a?prev_revision=abc"},
           {"PUT", "/v1/kv/p/a?prev_exists=false&prev_value=x"},
           {"PUT", "/v1/kv/p/a?ttl=0"},
           {"DELETE", "/v1/kv/p/a?ttl=5"},
           {"GET", "/v1/kv?prefix=p/&limit=0"},
           {"GET", "/v1/watch?since=1"}}) {
    Reply bad = api.curl("beta", method, target,
                         method == "PUT" ? std::optional<std::string>("v") : std::nullopt);
    BOOST_TEST(bad.status == 400, method << " " << target << ": " << bad);
    BOOST_TEST(!text(bad.body, "error").empty(), bad);
  }
  Reply unknown = api.curl("beta", "GET", "/v1/kv/p/a?consistent=true");
  BOOST_TEST(text(unknown.body, "error").find("consistent") != std::string::npos, unknown);
  BOOST_TEST(text(api.curl("alpha", "GET", "/v1/kv/p/a").body, "value") == "value of p/a");

  // A ttl shows in the key's object until the key expires (measured from before the put).
  const auto put_at = Clock::now();
  Reply ttl = api.curl("gamma", "PUT", "/v1/kv/temp?ttl=2", "short-lived");
  BOOST_TEST_REQUIRE(ttl.status == 200, ttl);
  BOOST_TEST(number(ttl.body, "ttl") == 2, ttl);
  Reply shown = api.curl("alpha", "GET", "/v1/kv/temp");
  BOOST_TEST(shown.status == 200, shown);
  BOOST_TEST(number(shown.body, "ttl") == 2, shown);
  Reply gone;
  for (const Deadline deadline = after(15s); Clock::now() < deadline; ApiCluster::wait_a_little())
    if ((gone = api.curl("beta", "GET", "/v1/kv/temp")).status == 404) break;
  const double lived = seconds_since(put_at);
  BOOST_TEST(gone.status == 404, "the key is still there after " << lived << " s: " << gone);
  BOOST_TEST(lived >= 1.9, "the key expired after " << lived << " s");
  BOOST_TEST_MESSAGE("a key of ttl=2 was gone after " << lived << " s");
  BOOST_TEST(api.cluster().quit_all());
}

BOOST_AUTO_TEST_CASE(the_same_with_python_urllib) {
  ApiCluster api;
  auto python = api.python({"basic", std::to_string(api.http("beta"))});
  std::map<std::string, Reply> steps;
  while (auto line = python->next_line(after(60s))) {
    json::value step = parse_json(*line);
    BOOST_TEST_REQUIRE(has(step, "step"), *line);
    steps[text(step, "step")] =
        Reply{static_cast<int>(number(step, "status")), *line, member(step, "body")};
  }
  BOOST_TEST_REQUIRE(python->wait_exit(after(10s)));
  BOOST_TEST_REQUIRE(python->exit_code() == 0, python->stderr_text());
  BOOST_TEST_REQUIRE(steps.size() == 17u);
  auto status = [&](const std::string& step) { return steps[step].status; };
  auto body = [&](const std::string& step) -> const json::value& { return steps[step].body; };

  BOOST_TEST(status("put") == 200, steps["put"]);
  check_key(body("put"), "py/a", "1");
  const std::int64_t r1 = number(body("put"), "revision");
  BOOST_TEST(status("get") == 200, steps["get"]);
  check_key(body("get"), "py/a", "1", r1);
  BOOST_TEST(status("get_serializable") == 200, steps["get_serializable"]);
  check_key(body("get_serializable"), "py/a", "1", r1);  // this site completed the put
  BOOST_TEST(status("cas_right") == 200, steps["cas_right"]);
  check_key(body("cas_right"), "py/a", "2");
  BOOST_TEST(status("cas_wrong") == 412, steps["cas_wrong"]);
  BOOST_TEST(text(body("cas_wrong"), "error") == "value differs");
  check_key(member(body("cas_wrong"), "current"), "py/a", "2");
  BOOST_TEST(status("create") == 200, steps["create"]);
  BOOST_TEST(status("create_again") == 412, steps["create_again"]);
  BOOST_TEST(text(body("create_again"), "error") == "key exists");
  BOOST_TEST(status("revision_right") == 200, steps["revision_right"]);
  check_key(body("revision_right"), "py/b", "z");
  BOOST_TEST(status("revision_stale") == 412, steps["revision_stale"]);
  BOOST_TEST(text(body("revision_stale"), "error") == "revision differs");
  check_key(member(body("revision_stale"), "current"), "py/b", "z",
            number(body("revision_right"), "revision"));
  BOOST_TEST(status("unicode_put") == 200, steps["unicode_put"]);
  BOOST_TEST(status("unicode_get") == 200, steps["unicode_get"]);
  check_key(body("unicode_get"), "py/ü k", "héllo wörld");
  BOOST_TEST(status("list") == 200, steps["list"]);
  const json::value& kvs = member(body("list"), "kvs");
  BOOST_TEST_REQUIRE(kvs.is_array(), steps["list"]);
  BOOST_TEST_REQUIRE(kvs.get_array().size() == 3u, steps["list"]);
  check_key(kvs.get_array()[0], "py/a", "2");
  check_key(kvs.get_array()[1], "py/b", "z");
  check_key(kvs.get_array()[2], "py/ü k", "héllo wörld");
  BOOST_TEST(member(body("list"), "more") == json::value(false));
  BOOST_TEST(status("delete_wrong") == 412, steps["delete_wrong"]);
  BOOST_TEST(status("delete") == 200, steps["delete"]);
  BOOST_TEST(number(body("delete"), "deleted_revision") >
             number(body("revision_right"), "revision"));
  BOOST_TEST(status("get_deleted") == 404, steps["get_deleted"]);
  BOOST_TEST(status("list_after") == 200, steps["list_after"]);
  const json::value& after_kvs = member(body("list_after"), "kvs");
  BOOST_TEST_REQUIRE(after_kvs.is_array(), steps["list_after"]);
  BOOST_TEST_REQUIRE(after_kvs.get_array().size() == 1u, steps["list_after"]);
  check_key(after_kvs.get_array()[0], "py/b", "z");
  BOOST_TEST(member(body("list_after"), "more") == json::value(true));
  BOOST_TEST(status("bad_parameter") == 400, steps["bad_parameter"]);
  // What Python did is what every site now holds.
  for (const std::string& name : api.cluster().names()) {
    BOOST_TEST(api.curl(name, "GET", "/v1/kv/py/a").status == 404);
    BOOST_TEST(text(api.curl(name, "GET", "/v1/kv/py/b").body, "value") == "z");
  }
  BOOST_TEST(api.cluster().quit_all());
}

// Three processes, one per site, each with a compare-and-set of one key per round, from the
// value the key holds to a new value of its own, all sent at once (each process waits on its
// stdin; the test writes the three lines back to back): exactly one gets 200, the others 412
// with the winner's value as the current one.
BOOST_AUTO_TEST_CASE(racing_cas_from_three_processes_has_one_winner_each_round) {
  constexpr int rounds = 8;
  ApiCluster api;
  const std::vector<std::string> names = api.cluster().names();
  BOOST_TEST_REQUIRE(api.curl("alpha", "PUT", "/v1/kv/lock", "v0").status == 200);
  std::map<std::string, std::unique_ptr<Program>> racers;
  for (const std::string& name : names) {
    racers[name] = api.python({"cas", std::to_string(api.http(name)), "lock"});
    auto ready = racers[name]->next_line(after(30s));
    BOOST_TEST_REQUIRE(ready.has_value(), racers[name]->stderr_text());
    BOOST_TEST_REQUIRE(*ready == R"({"ready": true})");
  }
  std::string current = "v0";
  std::map<std::string, int> wins;
  for (int round = 1; round <= rounds; ++round) {
    for (const std::string& name : names)
      BOOST_TEST_REQUIRE(
          racers[name]->send(current + " r" + std::to_string(round) + "-" + name + "\n"));
    std::map<std::string, Reply> replies;
    for (const std::string& name : names) {
      auto line = racers[name]->next_line(after(60s));
      BOOST_TEST_REQUIRE(line.has_value(), name << ": " << racers[name]->stderr_text());
      json::value answer = parse_json(*line);
      replies[name] =
          Reply{static_cast<int>(number(answer, "status")), *line, member(answer, "body")};
    }
    std::vector<std::string> winners;
    for (const auto& [name, reply] : replies)
      if (reply.status == 200) winners.push_back(name);
    BOOST_TEST_REQUIRE(winners.size() == 1u, "round " << round << ": " << winners.size()
                                                      << " winners: " << replies["alpha"] << " | "
                                                      << replies["beta"] << " | "
                                                      << replies["gamma"]);
    const std::string winner = winners.front();
    current = "r" + std::to_string(round) + "-" + winner;
    ++wins[winner];
    check_key(replies[winner].body, "lock", current);
    for (const auto& [name, reply] : replies) {
      if (name == winner) continue;
      BOOST_TEST(reply.status == 412, "round " << round << ", " << name << ": " << reply);
      BOOST_TEST(text(reply.body, "error") == "value differs", reply);
      check_key(member(reply.body, "current"), "lock", current,
                number(replies[winner].body, "revision"));
    }
  }
  for (auto& [name, racer] : racers) {
    racer->close_stdin();
    BOOST_TEST(racer->wait_exit(after(10s)));
    BOOST_TEST(racer->exit_code() == 0, name << ": " << racer->stderr_text());
  }
  std::string tally;
  for (const auto& [name, count] : wins) tally += " " + name + "=" + std::to_string(count);
  BOOST_TEST_MESSAGE(rounds << " rounds, wins:" << tally);
  for (const std::string& name : names)
    BOOST_TEST(text(api.curl(name, "GET", "/v1/kv/lock").body, "value") == current);
  BOOST_TEST(api.cluster().quit_all());
}

// Three processes put one key as fast as they can, unconditionally: each 200 reply describes
// the put it answers (its own value, its own revision), even when several puts of the key are
// decided and applied together.
BOOST_AUTO_TEST_CASE(concurrent_puts_are_each_answered_with_their_own_write) {
  constexpr int puts = 100;
  ApiCluster api;
  const std::vector<std::string> names = api.cluster().names();
  std::map<std::string, std::unique_ptr<Program>> writers;
  for (const std::string& name : names)
    writers[name] =
        api.python({"hammer", std::to_string(api.http(name)), "busy", name, std::to_string(puts)});
  std::set<std::int64_t> revisions;
  int mismatched = 0;
  for (const std::string& name : names) {
    int answered = 0;
    while (auto line = writers[name]->next_line(after(120s))) {
      json::value answer = parse_json(*line);
      ++answered;
      const json::value& body = member(answer, "body");
      BOOST_TEST_REQUIRE(number(answer, "status") == 200, *line);
      if (text(body, "value") != text(answer, "sent")) {
        if (++mismatched <= 5) BOOST_TEST(text(body, "value") == text(answer, "sent"), *line);
      }
      BOOST_TEST(revisions.insert(number(body, "revision")).second, "revision twice: " << *line);
    }
    BOOST_TEST(answered == puts, name);
    BOOST_TEST(writers[name]->wait_exit(after(10s)));
  }
  BOOST_TEST(mismatched == 0);
  // The key's history, as a watch tells it, is those revisions, each with its value.
  const auto first = static_cast<std::int64_t>(*revisions.begin());
  std::vector<json::value> events =
      watch_events(api, "alpha", "busy", first - 1, revisions.size(), after(30s));
  BOOST_TEST(events.size() == revisions.size());
  auto expected = revisions.begin();
  int wrong = 0;
  for (std::size_t i = 0; i < events.size() && expected != revisions.end() && wrong < 5;
       ++i, ++expected) {
    const bool ok = number(events[i], "revision") == *expected;
    BOOST_TEST(ok, "event " << i << ": " << events[i] << ", expected revision " << *expected);
    wrong += ok ? 0 : 1;
  }
  BOOST_TEST(api.cluster().quit_all());
}

// Eight clients at once (threads of one Python process) put keys of their own at one site,
// a follower that loses 30% of the datagrams it sends (beta and gamma both do; alpha does
// not, so one of them follows): its forwarded writes reach the leader out of order. Every
// write answered with 200 took effect: every site lists every key, with its value, at the
// revision its put was answered with.
BOOST_AUTO_TEST_CASE(concurrent_writes_at_one_site_all_take_effect) {
  constexpr int threads = 8;
  constexpr int puts = 25;
  ApiCluster api({}, {{"beta", {"--drop-rate", "0.3"}}, {"gamma", {"--drop-rate", "0.3"}}});
  const std::string leader = api.leader(after(20s));
  BOOST_TEST_REQUIRE(!leader.empty(), "no single leader in /metrics");
  const std::string target = leader == "beta" ? "gamma" : "beta";
  auto spray = api.python({"spray", std::to_string(api.http(target)), "s/", std::to_string(threads),
                           std::to_string(puts)});
  std::map<std::string, std::int64_t> revisions;  // key, revision of its put
  while (auto line = spray->next_line(after(120s))) {
    json::value answer = parse_json(*line);
    const json::value& body = member(answer, "body");
    BOOST_TEST_REQUIRE(number(answer, "status") == 200, *line);
    BOOST_TEST(text(body, "value") == text(answer, "sent"), *line);
    revisions[text(answer, "sent")] = number(body, "revision");
  }
  BOOST_TEST_REQUIRE(spray->wait_exit(after(10s)));
  BOOST_TEST_REQUIRE(revisions.size() == static_cast<std::size_t>(threads * puts),
                     spray->stderr_text());
  for (const std::string& name : api.cluster().names()) {
    Reply list = api.curl(name, "GET", "/v1/kv?prefix=s/");
    BOOST_TEST_REQUIRE(list.status == 200, list);
    std::map<std::string, std::int64_t> listed;
    for (const json::value& kv : member(list.body, "kvs").as_array()) {
      BOOST_TEST(text(kv, "value") == text(kv, "key"), kv);
      listed[text(kv, "key")] = number(kv, "revision");
    }
    int missing = 0;
    for (const auto& [key, revision] : revisions) {
      auto found = listed.find(key);
      const bool ok = found != listed.end() && found->second == revision;
      if (!ok && ++missing <= 5)
        BOOST_TEST(ok, name << ": " << key << " was put at " << revision << ", listed at "
                            << (found == listed.end() ? -1 : found->second));
    }
    BOOST_TEST(missing == 0, name << ": " << missing << " acknowledged puts missing");
  }
  BOOST_TEST_MESSAGE(revisions.size()
                     << " puts at " << target << " (the leader: " << leader << ")");
  BOOST_TEST(api.cluster().quit_all());
}

// A Python watcher long-polls one key from the revision before 1,000 writes, starting at the
// leader and going to the next site whenever one does not answer. A Python writer writes
// v0..v999 to the key, each chained to the one before with prev_revision=, starting at the
// leader too and going to the next site on no answer, 503 or 504 (the chain lets each value
// take effect once at most, whichever try it was; see the driver). The leader is SIGKILLed
// after 300 acknowledged writes and started again after 700.
//
// Checked: the watcher's events are exactly the writes, in write order: event i is a put of
// "v<i>" at the revision the writer was given for v<i> (so nothing is missing, repeated, out
// of order or extra), and the revisions strictly increase. Both processes really did go to
// another site. The restarted site, rebuilding its history from its log, tells the same story
// to a watch from the same revision.
BOOST_AUTO_TEST_CASE(a_watch_sees_1000_changes_in_order_across_a_leader_kill) {
  constexpr int writes = 1000;
  constexpr int kill_after = 300;
  constexpr int restart_after = 700;
  ApiCluster api;
  const auto start = Clock::now();
  Reply first = api.curl("alpha", "PUT", "/v1/kv/w", "start");
  BOOST_TEST_REQUIRE(first.status == 200, first);
  const std::int64_t since = number(first.body, "revision");
  const std::string leader = api.leader(after(20s));
  BOOST_TEST_REQUIRE(!leader.empty(), "no single leader in /metrics");
  std::vector<std::string> order{leader};
  for (const std::string& name : api.cluster().names())
    if (name != leader) order.push_back(name);
  const std::vector<std::string> ports = port_args(api.http_ports(order));

  std::vector<std::string> watch_args{"watch", "w", std::to_string(since),
                                      "v" + std::to_string(writes - 1), "240"};
  watch_args.insert(watch_args.end(), ports.begin(), ports.end());
  auto watcher = api.python(watch_args);
  std::vector<std::string> write_args{"write", "w", std::to_string(since), std::to_string(writes),
                                      "240"};
  write_args.insert(write_args.end(), ports.begin(), ports.end());
  auto writer = api.python(write_args);

  std::vector<std::pair<std::string, std::int64_t>> written;  // value, revision
  int write_retries = 0;
  double killed_at = 0;
  double restarted_at = 0;
  bool writer_done = false;
  while (auto line = writer->next_line(after(120s))) {
    json::value entry = parse_json(*line);
    if (has(entry, "done")) {
      writer_done = true;
      break;
    }
    if (has(entry, "retry")) {
      ++write_retries;
      BOOST_TEST_MESSAGE("writer: " << *line);
      continue;
    }
    BOOST_TEST_REQUIRE(has(entry, "i"), "writer: " << *line << "\n" << writer->stderr_text());
    BOOST_TEST_REQUIRE(number(entry, "i") == static_cast<std::int64_t>(written.size()), *line);
    written.emplace_back(text(entry, "value"), number(entry, "revision"));
    if (written.size() == kill_after) {
      api.cluster().site(leader).kill9();
      killed_at = seconds_since(start);
      BOOST_TEST_MESSAGE("killed the leader, " << leader << ", after " << written.size()
                                               << " writes, at " << killed_at << " s");
    }
    if (written.size() == restart_after) {
      api.cluster().restart(leader);
      restarted_at = seconds_since(start);
      BOOST_TEST_MESSAGE("restarted " << leader << " at " << restarted_at << " s");
    }
  }
  BOOST_TEST_REQUIRE(writer_done, "writer: " << writer->stderr_text());
  BOOST_TEST_REQUIRE(written.size() == static_cast<std::size_t>(writes));
  const double writes_took = seconds_since(start);

  std::vector<json::value> events;
  int watch_switches = 0;
  bool watcher_done = false;
  while (auto line = watcher->next_line(after(60s))) {
    json::value entry = parse_json(*line);
    if (has(entry, "done")) {
      watcher_done = true;
      break;
    }
    if (has(entry, "switch")) {
      ++watch_switches;
      BOOST_TEST_MESSAGE("watcher: " << *line);
      continue;
    }
    BOOST_TEST_REQUIRE(has(entry, "event"), "watcher: " << *line << "\n" << watcher->stderr_text());
    events.push_back(member(entry, "event"));
  }
  BOOST_TEST_REQUIRE(watcher_done, "the watcher did not see the last value; "
                                       << events.size() << " events\n"
                                       << watcher->stderr_text());
  BOOST_TEST(write_retries >= 1, "the writer never had to go to another site");
  BOOST_TEST(watch_switches >= 1, "the watcher never had to go to another site");

  auto check_story = [&](const std::vector<json::value>& story, const std::string& who) {
    BOOST_TEST_REQUIRE(story.size() == written.size(), who << " saw " << story.size());
    std::int64_t last = since;
    int wrong = 0;
    for (std::size_t i = 0; i < story.size() && wrong < 5; ++i) {
      const json::value& e = story[i];
      const bool ok = text(e, "type") == "put" && text(e, "key") == "w" &&
                      text(e, "value") == written[i].first &&
                      number(e, "revision") == written[i].second && number(e, "revision") > last;
      BOOST_TEST(ok, who << ": event " << i << " is " << json::serialize(e) << ", written "
                         << written[i].first << " at " << written[i].second);
      wrong += ok ? 0 : 1;
      last = number(e, "revision");
    }
  };
  check_story(events, "the watcher");
  check_story(watch_events(api, leader, "w", since, writes, after(60s)), "the restarted site");
  BOOST_TEST(writer->wait_exit(after(10s)));
  BOOST_TEST(watcher->wait_exit(after(10s)));
  BOOST_TEST_MESSAGE(writes << " writes in " << writes_took << " s (" << write_retries
                            << " retried), the watcher switched sites " << watch_switches
                            << " times; revisions " << since + 1 << ".." << written.back().second);
  BOOST_TEST(api.cluster().quit_all());
}

// A site restarted after snapshots (every 20 slots, 5 kept below) holds its changes only from
// its snapshot's base on: a watch from revision 1 there gets 410 with the revision it was
// compacted to, and one from that revision, or from its cluster_revision, is answered. A site
// that did not restart still holds every change in memory.
BOOST_AUTO_TEST_CASE(a_watch_from_before_a_restarted_sites_snapshot_gets_410) {
  constexpr int writes = 100;
  ApiCluster api({"--snapshot-every", "20", "--log-tail", "5"});
  std::vector<std::string> write_args{"write", "c", "0", std::to_string(writes), "120"};
  for (const std::string& port : port_args(api.http_ports({"alpha", "beta", "gamma"})))
    write_args.push_back(port);
  auto writer = api.python(write_args);
  std::optional<std::string> line;
  std::int64_t last_revision = 0;
  while ((line = writer->next_line(after(60s))) && !has(parse_json(*line), "done"))
    last_revision = number(parse_json(*line), "revision");
  BOOST_TEST_REQUIRE(line.has_value(), writer->stderr_text());
  BOOST_TEST_REQUIRE(writer->wait_exit(after(10s)));

  // gamma has applied every write, then stops cleanly and starts again.
  Reply local;
  for (const Deadline deadline = after(20s); Clock::now() < deadline; ApiCluster::wait_a_little())
    if (text((local = api.curl("gamma", "GET", "/v1/kv/c?serializable=true")).body, "value") ==
        "v" + std::to_string(writes - 1))
      break;
  BOOST_TEST_REQUIRE(number(local.body, "revision") == last_revision, local);
  SiteProcess& gamma = api.cluster().site("gamma");
  BOOST_TEST_REQUIRE(gamma.send_line("quit"));
  BOOST_TEST_REQUIRE(gamma.close_and_wait(after(20s)));
  BOOST_TEST_REQUIRE(gamma.exit_code() == 0);
  api.cluster().restart("gamma");

  Reply gone = api.curl("gamma", "GET", "/v1/watch?key=c&since=1&timeout=1");
  BOOST_TEST_REQUIRE(gone.status == 410, gone);
  BOOST_TEST(text(gone.body, "error") == "revision compacted", gone);
  const std::int64_t compacted = number(gone.body, "compacted_revision");
  const std::int64_t revision = number(gone.body, "cluster_revision");
  BOOST_TEST(compacted > 1, gone);
  BOOST_TEST(compacted <= revision, gone);
  BOOST_TEST(compacted <= last_revision, gone);
  BOOST_TEST_MESSAGE("gamma after its restart: compacted to " << compacted << ", at " << revision);
  // The edge: from the compacted revision on, it answers; from just before, 410.
  Reply edge =
      api.curl("gamma", "GET", "/v1/watch?key=c&since=" + std::to_string(compacted) + "&timeout=1");
  BOOST_TEST(edge.status == 200, edge);
  edge = api.curl("gamma", "GET",
                  "/v1/watch?key=c&since=" + std::to_string(compacted - 1) + "&timeout=1");
  BOOST_TEST(edge.status == 410, edge);
  BOOST_TEST(number(edge.body, "compacted_revision") == compacted, edge);
  // A prefix watch is compacted the same way.
  BOOST_TEST(api.curl("gamma", "GET", "/v1/watch?prefix=&since=1&timeout=1").status == 410);

  // From its cluster_revision a watch goes on: it sees the next change (made at another site).
  Reply put = api.curl("alpha", "PUT", "/v1/kv/c", "after the restart");
  BOOST_TEST_REQUIRE(put.status == 200, put);
  BOOST_TEST(revision >= last_revision, gone);
  std::vector<json::value> events = watch_events(api, "gamma", "c", revision, 1, after(30s));
  BOOST_TEST_REQUIRE(events.size() == 1u);
  BOOST_TEST(text(events[0], "value") == "after the restart", events[0]);
  BOOST_TEST(number(events[0], "revision") == number(put.body, "revision"), events[0]);

  // alpha never restarted: its history in memory reaches back to the first write.
  events = watch_events(api, "alpha", "c", 0, writes + 1, after(30s));
  BOOST_TEST_REQUIRE(events.size() == static_cast<std::size_t>(writes + 1));
  for (int i = 0; i < writes; ++i)
    BOOST_TEST(text(events[static_cast<std::size_t>(i)], "value") == "v" + std::to_string(i));
  BOOST_TEST(api.cluster().quit_all());
}

BOOST_AUTO_TEST_SUITE_END()
