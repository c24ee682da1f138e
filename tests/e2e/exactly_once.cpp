// Acceptance item 4 of issue 4: clients retry when their replies are lost, and every write is
// applied exactly once. The sites drop client replies at random (the test-only fault
// injection PAXOSKV_DROP_CLIENT_REPLIES, documented in the README), so clients time out and
// send the same (client, seq) again, to the next site.

#include <stdlib.h>

#include <boost/asio.hpp>
#include <boost/test/unit_test.hpp>
#include <memory>

#include "client/client.hpp"
#include "harness.hpp"
#include "net/hosts_file.hpp"

using namespace e2e;

namespace {

// Sets an environment variable for the sites started in its lifetime.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~ScopedEnv() { ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

std::size_t count_of(const std::string& text, const std::string& piece) {
  std::size_t n = 0;
  for (auto at = text.find(piece); at != std::string::npos; at = text.find(piece, at + 1)) ++n;
  return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(exactly_once)

BOOST_AUTO_TEST_CASE(appends_with_dropped_replies_appear_exactly_once) {
  constexpr int kClients = 4;
  constexpr int kAppendsPerClient = 15;
  std::unique_ptr<Cluster> c;
  {
    ScopedEnv drop("PAXOSKV_DROP_CLIENT_REPLIES", "0.5");
    c = std::make_unique<Cluster>();
    c->start_all();
  }
  auto loaded = paxoskv::load_hosts(c->hosts_file().string());
  BOOST_TEST_REQUIRE(std::holds_alternative<paxoskv::Cluster>(loaded));
  const paxoskv::Cluster& cluster = std::get<paxoskv::Cluster>(loaded);

  // kClients closed-loop clients in one io_context, each appending its own tokens to "x".
  boost::asio::io_context io;
  paxoskv::client::SessionOptions options;
  options.attempt_timeout_ms = 300;
  options.max_attempts = 40;
  std::vector<std::unique_ptr<paxoskv::client::Session>> sessions;
  std::vector<int> done(kClients, 0);
  int failures = 0;
  int retried = 0;
  std::function<void(int)> next = [&](int i) {
    if (done[i] == kAppendsPerClient) return sessions[i]->close();
    std::string token = "[" + std::to_string(i) + "." + std::to_string(done[i]) + "]";
    sessions[i]->request(paxoskv::net::ClientOp::append, "x", token,
                         [&, i](const paxoskv::client::Result& r) {
                           if (!r.ok) ++failures;
                           if (r.attempts > 1) ++retried;
                           ++done[i];
                           next(i);
                         });
  };
  for (int i = 0; i < kClients; ++i) {
    options.first_site = static_cast<paxoskv::SiteId>(i % cluster.size());
    sessions.push_back(std::make_unique<paxoskv::client::Session>(io, cluster, options));
  }
  for (int i = 0; i < kClients; ++i) next(i);
  io.run_for(std::chrono::seconds(120));
  BOOST_TEST(failures == 0);
  for (int i = 0; i < kClients; ++i) BOOST_TEST(done[i] == kAppendsPerClient);
  BOOST_TEST_MESSAGE(retried << " of " << kClients * kAppendsPerClient
                             << " appends needed a retry");
  BOOST_TEST(retried > 0, "no reply was dropped: the fault injection did not work");

  std::string line = c->run("alpha", "get x");
  BOOST_TEST_REQUIRE(line.rfind("get x returned ", 0) == 0, line);
  for (int i = 0; i < kClients; ++i)
    for (int k = 0; k < kAppendsPerClient; ++k) {
      std::string token = "[" + std::to_string(i) + "." + std::to_string(k) + "]";
      BOOST_TEST(count_of(line, token) == 1u,
                 token << " appears " << count_of(line, token) << " times in: " << line);
    }
  // Each client's appends are in its own order.
  for (int i = 0; i < kClients; ++i)
    for (int k = 1; k < kAppendsPerClient; ++k) {
      auto before = line.find("[" + std::to_string(i) + "." + std::to_string(k - 1) + "]");
      auto after_ = line.find("[" + std::to_string(i) + "." + std::to_string(k) + "]");
      BOOST_TEST(before < after_);
    }
}

BOOST_AUTO_TEST_CASE(client_tool_prints_shell_lines_and_exit_codes) {
  Cluster c;
  c.start_all();
  std::string hosts = "--hosts " + c.hosts_file().string();
  auto expect = [&](const std::string& args, const std::string& out, int code) {
    auto [got_out, got_code] = run_client(hosts + " " + args);
    BOOST_TEST(got_out == out, "paxoskv-client " << args);
    BOOST_TEST(got_code == code, "paxoskv-client " << args);
  };
  expect("put k hello world", "put k completed\n", 0);
  expect("--site gamma get k", "get k returned hello world\n", 0);
  expect("tag k v", "unable to execute tag: key exists\n", 1);
  expect("get nothing", "get nothing returned null\n", 0);
  BOOST_TEST(run_client(hosts + " frobnicate k").second == 2);
  BOOST_TEST(run_client(hosts + " put k").second == 2);
  // With every site down the client gives up and says so.
  c.site("alpha").kill9();
  c.site("beta").kill9();
  c.site("gamma").kill9();
  auto [out, code] = run_client(hosts + " --timeout-ms 100 --attempts 3 put k v");
  BOOST_TEST(out ==
             "unable to execute put: timed out, outcome unknown (no reply after 3 attempts)\n");
  const auto read = run_client(hosts + " --timeout-ms 100 --attempts 2 get k");
  BOOST_TEST(read.first == "unable to execute get: timed out (no reply after 2 attempts)\n");
  BOOST_TEST(code == 1);
}

BOOST_AUTO_TEST_SUITE_END()
