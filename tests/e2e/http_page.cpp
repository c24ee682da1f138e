// Issue 6, `--http PORT`: the read-only status page and /metrics of a site. Three sites serve
// HTTP on free TCP ports; after a few writes, /metrics (read over a plain TCP socket) has sane
// counters, bad requests get 400 and unknown paths 404 without harming the site, every value
// on the page is HTML-escaped, and Debian's headless Chromium renders the page with the
// written slots in its block table and saves a screenshot.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

using namespace e2e;

namespace {

// Debian's chromium; $PAXOSKV_CHROMIUM overrides (a missing path checks the skip).
std::string chromium_path() {
  const char* path = std::getenv("PAXOSKV_CHROMIUM");
  return path != nullptr && *path != '\0' ? path : "/usr/bin/chromium";
}

// Sends `request` as is to 127.0.0.1:port and returns everything the server sent before
// closing, or nullopt if it could not connect or did not close by the deadline.
std::optional<std::string> http_exchange(std::uint16_t port, const std::string& request,
                                         Deadline deadline) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  std::optional<std::string> answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    std::string received;
    while (Clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (::poll(&p, 1, static_cast<int>(std::max<long>(1, left.count()))) <= 0) continue;
      char buffer[16384];
      ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n < 0) break;
      if (n == 0) {
        answer = received;
        break;
      }
      received.append(buffer, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return answer;
}

// The server keeps a connection alive unless asked not to; http_exchange reads to the close.
std::optional<std::string> http_get(std::uint16_t port, const std::string& path) {
  return http_exchange(port,
                       "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                       after(10s));
}

// "HTTP/1.1 404 Not Found\r\n..." -> 404; 0 if there is no status line.
int status_code(const std::string& response) {
  if (response.rfind("HTTP/1.", 0) != 0 || response.size() < 12) return 0;
  return std::atoi(response.substr(9, 3).c_str());
}

std::string body_of(const std::string& response) {
  auto at = response.find("\r\n\r\n");
  return at == std::string::npos ? std::string() : response.substr(at + 4);
}

// The value of the sample `series` (the whole name with its labels) in Prometheus text.
std::optional<double> sample(const std::string& metrics, const std::string& series) {
  std::size_t at = 0;
  while ((at = metrics.find(series + ' ', at)) != std::string::npos) {
    if (at == 0 || metrics[at - 1] == '\n')
      return std::strtod(metrics.c_str() + at + series.size() + 1, nullptr);
    at += series.size();
  }
  return std::nullopt;
}

// Runs Chromium headless with `args` then `url`, its stdout into `stdout_file`; kills it (by
// its pid) if it has not finished by the deadline. Returns its exit code, -1 on timeout.
int run_chromium(const std::filesystem::path& dir, const std::vector<std::string>& args,
                 const std::string& url, const std::filesystem::path& stdout_file,
                 Deadline deadline) {
  std::vector<std::string> argv{chromium_path(),
                                "--headless",
                                "--no-sandbox",
                                "--disable-gpu",
                                "--no-first-run",
                                "--disable-background-networking",
                                "--disable-component-update",
                                "--disable-sync",
                                "--disable-quic",
                                "--user-data-dir=" + (dir / "chromium-profile").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(url);
  std::filesystem::path stderr_file = dir / "chromium.stderr";
  pid_t pid = ::fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {
    std::FILE* out = std::freopen(stdout_file.c_str(), "w", stdout);
    std::FILE* err = std::freopen(stderr_file.c_str(), "a", stderr);
    if (out == nullptr || err == nullptr) ::_exit(126);
    ::setenv("HOME", dir.c_str(), 1);  // anything Chromium writes stays in the temp dir
    std::vector<char*> raw;
    for (std::string& arg : argv) raw.push_back(arg.data());
    raw.push_back(nullptr);
    ::execv(raw[0], raw.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (Clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      BOOST_TEST_MESSAGE("chromium timed out; its stderr:\n" << tail_of_file(stderr_file, 30));
      return -1;
    }
    std::this_thread::sleep_for(20ms);
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    BOOST_TEST_MESSAGE("chromium failed; its stderr:\n" << tail_of_file(stderr_file, 30));
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct ChromiumInstalled {
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const {
    const std::string path = chromium_path();
    boost::test_tools::assertion_result installed(::access(path.c_str(), X_OK) == 0);
    if (!installed)
      installed.message() << "SKIPPED: " << path
                          << " is not installed (apt-get install chromium); the browser "
                             "checks of the status page did not run";
    return installed;
  }
};

// Three sites, each with --http on a port of its own.
struct HttpCluster {
  HttpCluster() : ports(free_tcp_ports(3)), cluster(spec(ports)) {}

  static ClusterSpec spec(const std::vector<std::uint16_t>& ports) {
    ClusterSpec spec;
    std::vector<std::string> names{"alpha", "beta", "gamma"};
    for (std::size_t i = 0; i < names.size(); ++i)
      spec.sites.push_back(SiteSpec{names[i], "", {"--http", std::to_string(ports[i])}});
    return spec;
  }
  std::uint16_t http_port(std::size_t i) const { return ports.at(i); }

  std::vector<std::uint16_t> ports;
  Cluster cluster;
};

// The slots of `print log` at `site` that hold `key`.
std::vector<std::uint64_t> slots_of(Cluster& c, const std::string& site, const std::string& key) {
  std::vector<std::uint64_t> slots;
  auto log = c.print_log(site);
  if (!log) return slots;
  for (const std::string& line : *log)
    if (auto parsed = parse_log_line(line); parsed && parsed->key == key)
      slots.push_back(parsed->slot);
  return slots;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http_page)

BOOST_AUTO_TEST_CASE(metrics_and_bad_requests) {
  HttpCluster h;
  Cluster& c = h.cluster;
  c.start_all();
  const int writes = 4;
  for (int i = 0; i < writes; ++i)
    BOOST_REQUIRE_EQUAL(c.run("alpha", "put m" + std::to_string(i) + " v" + std::to_string(i)),
                        "put m" + std::to_string(i) + " completed");

  auto response = http_get(h.http_port(0), "/metrics");
  BOOST_REQUIRE_MESSAGE(response, "no answer from alpha's /metrics");
  BOOST_TEST(status_code(*response) == 200);
  BOOST_TEST(response->find("Content-Type: text/plain; version=0.0.4") != std::string::npos);
  std::string metrics = body_of(*response);
  BOOST_TEST_MESSAGE("alpha's /metrics:\n" << metrics.substr(0, 1500));
  BOOST_TEST(sample(metrics, "paxoskv_decided_slots").value_or(-1) >= writes);
  BOOST_TEST(sample(metrics, "paxoskv_applied_slots").value_or(-1) >= writes);
  BOOST_TEST(sample(metrics, "paxoskv_commands_submitted_total{kind=\"write\"}").value_or(-1) ==
             writes);
  BOOST_TEST(sample(metrics, "paxoskv_completions_total{result=\"ok\"}").value_or(-1) == writes);
  BOOST_TEST(sample(metrics, "paxoskv_site_info{site=\"alpha\",role=\"voter\"}").value_or(-1) == 1);
  BOOST_TEST(
      sample(metrics, "paxoskv_dropped_datagrams_total{reason=\"malformed\"}").value_or(-1) == 0);
  // Every site took part: heartbeats at least went both ways.
  BOOST_TEST(sample(metrics, "paxoskv_messages_received_total{type=\"heartbeat\"}").value_or(0) +
                 sample(metrics, "paxoskv_messages_sent_total{type=\"heartbeat\"}").value_or(0) >
             0);
  // Each write was fsynced by a quorum of acceptors: across the three sites, the acceptor
  // state was fsynced at least 2 * writes times, and the leader proposed every write.
  double state_fsyncs = 0;
  double proposals = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    auto r = http_get(h.http_port(i), "/metrics");
    BOOST_REQUIRE(r);
    std::string m = body_of(*r);
    state_fsyncs += sample(m, "paxoskv_fsync_duration_seconds_count{file=\"state\"}").value_or(0);
    proposals += sample(m, "paxoskv_proposals_total").value_or(0);
    BOOST_TEST(sample(m, "paxoskv_fsync_duration_seconds_bucket{file=\"state\",le=\"+Inf\"}")
                   .value_or(-1) ==
               sample(m, "paxoskv_fsync_duration_seconds_count{file=\"state\"}").value_or(-2));
  }
  BOOST_TEST(state_fsyncs >= 2 * writes);
  BOOST_TEST(proposals >= writes);

  auto missing = http_get(h.http_port(0), "/no/such/page");
  BOOST_REQUIRE(missing);
  BOOST_TEST(status_code(*missing) == 404);
  for (const std::string& garbage :
       {std::string("garbage\r\n\r\n"), std::string("GET / HTTP/1.1\r\nHost x\r\n\r\n"),
        std::string("GET nope HTTP/1.1\r\n\r\n")}) {
    auto bad = http_exchange(h.http_port(0), garbage, after(10s));
    BOOST_REQUIRE_MESSAGE(bad, "no answer to a malformed request");
    BOOST_TEST(status_code(*bad) == 400, "answer to " << garbage << ": " << bad->substr(0, 40));
  }
  // A body over the server's limit (issue 17: 413, no longer a plain 400).
  auto too_large = http_exchange(h.http_port(0),
                                 "GET / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", after(10s));
  BOOST_REQUIRE(too_large);
  BOOST_TEST(status_code(*too_large) == 413);
  auto post = http_exchange(h.http_port(0),
                            "POST / HTTP/1.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                            after(10s));
  BOOST_REQUIRE(post);
  BOOST_TEST(status_code(*post) == 405);
  // A client that connects and says nothing must not block anyone else.
  int idle = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(h.http_port(0));
  BOOST_REQUIRE(::connect(idle, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  auto page = http_get(h.http_port(0), "/");
  ::close(idle);
  BOOST_REQUIRE(page);
  BOOST_TEST(status_code(*page) == 200);

  // The site went on serving through all of that.
  BOOST_TEST(c.run("alpha", "put after-http ok") == "put after-http completed");
  BOOST_TEST(c.site("alpha").is_running());
  BOOST_TEST(c.quit_all());
}

BOOST_AUTO_TEST_CASE(values_are_escaped) {
  HttpCluster h;
  Cluster& c = h.cluster;
  c.start_all();
  BOOST_REQUIRE_EQUAL(c.run("beta", "put <script>k</script> \"a\" & 'b' <i>x</i>"),
                      "put <script>k</script> completed");
  BOOST_REQUIRE(c.wait_converged(after(20s)));
  auto page = http_get(h.http_port(1), "/");
  BOOST_REQUIRE(page);
  BOOST_TEST(status_code(*page) == 200);
  BOOST_TEST(page->find("Content-Type: text/html") != std::string::npos);
  std::string html = body_of(*page);
  BOOST_TEST(html.find("<script>") == std::string::npos);
  BOOST_TEST(html.find("<i>x") == std::string::npos);
  BOOST_TEST(html.find("&lt;script&gt;k&lt;/script&gt;") != std::string::npos);
  BOOST_TEST(html.find("&quot;a&quot; &amp; &#39;b&#39; &lt;i&gt;x&lt;/i&gt;") !=
             std::string::npos);
  BOOST_TEST(c.quit_all());
}

BOOST_AUTO_TEST_CASE(page_in_headless_chromium,
                     *boost::unit_test::precondition(ChromiumInstalled{})) {
  HttpCluster h;
  Cluster& c = h.cluster;
  c.start_all();
  std::vector<std::string> keys{"apple", "banana", "cherry", "durian", "elderberry"};
  for (const std::string& key : keys)
    BOOST_REQUIRE_EQUAL(c.run("alpha", "put " + key + " fruit " + key),
                        "put " + key + " completed");
  BOOST_REQUIRE_EQUAL(c.run("gamma", "append apple +more"), "append apple completed");
  BOOST_REQUIRE(c.wait_converged(after(20s)));

  const std::string url = "http://127.0.0.1:" + std::to_string(h.http_port(0)) + "/";
  std::filesystem::path dom_file = c.dir() / "status-page.html";
  BOOST_REQUIRE_EQUAL(run_chromium(c.dir(), {"--dump-dom"}, url, dom_file, after(60s)), 0);
  std::string dom = read_file(dom_file);
  BOOST_TEST_REQUIRE(!dom.empty());
  BOOST_TEST(dom.find("paxoskv · alpha") != std::string::npos);
  BOOST_TEST(dom.find("id=\"chain\"") != std::string::npos);
  for (const std::string& key : keys) {
    std::vector<std::uint64_t> slots = slots_of(c, "alpha", key);
    BOOST_TEST_REQUIRE(!slots.empty(), key << " is not in alpha's log");
    for (std::uint64_t slot : slots) {
      std::string row = "<tr id=\"block-" + std::to_string(slot) + "\">";
      auto at = dom.find(row);
      BOOST_TEST(at != std::string::npos, "block table has no row for slot " << slot);
      if (at != std::string::npos) {
        std::string row_html = dom.substr(at, dom.find("</tr>", at) - at);
        BOOST_TEST(row_html.find(key) != std::string::npos, "row " << row_html);
      }
    }
  }
  BOOST_TEST(dom.find("fruit apple+more") != std::string::npos);  // the kv map

  std::filesystem::path png = c.dir() / "status-page.png";
  BOOST_REQUIRE_EQUAL(
      run_chromium(c.dir(), {"--screenshot=" + png.string(), "--window-size=1280,900"}, url,
                   c.dir() / "chromium.stdout", after(60s)),
      0);
  std::string image = std::filesystem::exists(png) ? read_file(png) : std::string();
  BOOST_TEST(image.size() > 10000u);
  BOOST_TEST(image.rfind("\x89PNG\r\n\x1a\n", 0) == 0);
  // A copy outlives the temp dir: in the working directory (the build dir under CTest).
  std::filesystem::path kept = std::filesystem::current_path() / "http_page-status-page.png";
  std::error_code error;
  std::filesystem::copy_file(png, kept, std::filesystem::copy_options::overwrite_existing, error);
  BOOST_TEST_MESSAGE("screenshot of alpha's status page: "
                     << png.string() << (error ? "" : ", copied to " + kept.string()));
  BOOST_TEST(c.quit_all());
}

BOOST_AUTO_TEST_SUITE_END()
