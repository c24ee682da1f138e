// Issue 17, the HTTP server under the API: a real site with `--http`, driven over TCP. One
// connection carries several requests (keep-alive); a header or a body over the limits gets
// 431 or 413; clients too slow or idle too long are cut off at the stated timeouts while
// others are served; connections over the cap are closed at once; `--http-bind` moves the
// server to another address; `--http-token` guards /v1/ (and only /v1/); a token file or an
// address that cannot be used stops the site at start with a message naming it. Behind the
// server, /v1/ is the KV API (its own suite: http_api).

#include <boost/test/unit_test.hpp>
#include <memory>
#include <string>
#include <vector>

#include "harness.hpp"
#include "site/http_limits.hpp"
#include "support/http_test_client.hpp"

using namespace e2e;
using paxoskv::site::HttpLimits;
using paxoskv::test::http_request;
using paxoskv::test::HttpTestClient;
using paxoskv::test::HttpTestResponse;

namespace {

const HttpLimits kLimits;  // what the site serves with

double to_seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// One site, alpha, with `--http PORT` and `http_args`; the server listens on `address`.
struct HttpSite {
  explicit HttpSite(std::vector<std::string> http_args = {}, std::string address = "127.0.0.1")
      : address(std::move(address)), port(free_tcp_ports(1).front()), cluster(spec(http_args)) {
    cluster.start_all();
  }

  ClusterSpec spec(std::vector<std::string> http_args) const {
    std::vector<std::string> args{"--http", std::to_string(port)};
    args.insert(args.end(), http_args.begin(), http_args.end());
    ClusterSpec spec;
    spec.sites.push_back(SiteSpec{"alpha", "", args});
    return spec;
  }

  std::unique_ptr<HttpTestClient> connect() const {
    return std::make_unique<HttpTestClient>(address, port);
  }

  // The site still does its work.
  void check_still_serving() {
    BOOST_TEST(cluster.run("alpha", "put after-http ok") == "put after-http completed");
    BOOST_TEST(cluster.quit_all());
  }

  std::string address;
  std::uint16_t port;
  Cluster cluster;
};

// The API's answers: an unknown path, and a key that does not exist (its cluster_revision
// varies).
std::string no_such_endpoint(const std::string& path) {
  return R"j({"error":"no such endpoint","path":")j" + path + "\"}\n";
}
bool is_no_such_key(const std::string& body, const std::string& key) {
  return body.starts_with(R"j({"error":"no such key","key":")j" + key + "\"");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http_server)

BOOST_AUTO_TEST_CASE(one_connection_carries_many_requests) {
  HttpSite site;
  auto client = site.connect();
  BOOST_REQUIRE(client->connected());
  auto answer = client->exchange(http_request("GET", "/v1/kv/x"), after(10s));
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->status == 404);
  BOOST_TEST(answer->header("content-type") == "application/json");
  BOOST_TEST(is_no_such_key(answer->body, "x"), answer->body);
  BOOST_TEST(
      answer->header("keep-alive") ==
      "timeout=" +
          std::to_string(
              std::chrono::duration_cast<std::chrono::seconds>(kLimits.idle_timeout).count()));
  // The same connection, on: the status page's paths, then the API with a decoded path.
  answer = client->exchange(http_request("GET", "/metrics"), after(10s));
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->status == 200);
  BOOST_TEST(answer->body.find("paxoskv_decided_slots ") != std::string::npos);
  answer = client->exchange(http_request("PUT", "/v1/kv/a%20b?ttl=5", "", "value"), after(10s));
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->status == 200);
  BOOST_TEST(answer->body.starts_with(R"j({"key":"a b","value":"value",)j"), answer->body);
  answer = client->exchange(http_request("DELETE", "/v1"), after(10s));
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->body == no_such_endpoint("/v1"));
  answer = client->exchange(http_request("PATCH", "/v1/kv/x"), after(10s));
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->status == 405);
  BOOST_TEST(answer->header("allow") == "GET, PUT, DELETE, POST");
  answer = client->exchange(http_request("POST", "/"), after(10s));
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->status == 405);
  BOOST_TEST(answer->header("content-type") == "text/plain; charset=utf-8");
  // Two requests sent at once are answered in order.
  BOOST_REQUIRE(client->send(http_request("GET", "/v1/one") + http_request("GET", "/v1/two")));
  auto one = client->read_response(after(10s));
  auto two = client->read_response(after(10s));
  BOOST_REQUIRE(one && two);
  BOOST_TEST(one->body == no_such_endpoint("/v1/one"));
  BOOST_TEST(two->body == no_such_endpoint("/v1/two"));
  BOOST_TEST(!client->wait_closed(after(10ms)));
  // A malformed request ends its connection.
  answer = client->exchange(http_request("GET", "/v1/kv/%zz"), after(10s));
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->status == 400);
  BOOST_TEST(answer->body == R"j({"error":"bad request: bad percent-encoding in the path"})j");
  BOOST_TEST(client->wait_closed(after(10s)));
  site.check_still_serving();
}

BOOST_AUTO_TEST_CASE(headers_and_bodies_over_the_limits_are_refused) {
  HttpSite site;
  const std::string big_header = "X-Big: " + std::string(kLimits.max_header_bytes, 'h') + "\r\n";
  auto client = site.connect();
  auto answer = client->exchange(http_request("GET", "/v1/kv/x", big_header), after(10s));
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->status == 431);
  BOOST_TEST(answer->body == R"j({"error":"request header too large (limit 8192 bytes)"})j");
  BOOST_TEST(client->wait_closed(after(10s)));

  client = site.connect();
  answer = client->exchange(http_request("GET", "/", big_header), after(10s));
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->status == 431);
  BOOST_TEST(answer->header("content-type") == "text/plain; charset=utf-8");

  // A value at the value limit reaches the handler; a body well over it does not.
  client = site.connect();
  const std::string value(paxoskv::limits::max_value_bytes, 'v');
  answer = client->exchange(http_request("PUT", "/v1/kv/x", "", value), after(10s));
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->status == 200);
  answer =
      client->exchange(http_request("PUT", "/v1/kv/x", "", std::string(20000, 'v')), after(10s));
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->status == 413);
  BOOST_TEST(answer->header("content-type") == "application/json");
  BOOST_TEST(answer->body == R"j({"error":"value too large (limit 8192 bytes)"})j");
  BOOST_TEST(client->wait_closed(after(10s)));
  site.check_still_serving();
}

BOOST_AUTO_TEST_CASE(slow_and_idle_clients_are_cut_off_while_others_are_served) {
  HttpSite site;
  struct Watched {
    std::string what;
    std::unique_ptr<HttpTestClient> client;
    Clock::time_point start;  // no later than the server's clock for it starts
    Clock::duration timeout;
    std::optional<double> closed_after;
  };
  std::vector<Watched> watched;
  auto watch = [&](std::string what, Clock::duration timeout, const std::string& sends) {
    Watched w{std::move(what), nullptr, Clock::now(), timeout, std::nullopt};
    w.client = site.connect();
    BOOST_REQUIRE(w.client->connected());
    if (!sends.empty()) BOOST_REQUIRE(w.client->send(sends));
    watched.push_back(std::move(w));
  };
  watch("a client that sends nothing", kLimits.request_timeout, "");
  watch("a client that sends half a header", kLimits.request_timeout,
        "GET /v1/kv/x HTTP/1.1\r\nHost: paxoskv\r\nX-Slow: ");
  watch("a client that sends half a body", kLimits.request_timeout,
        "PUT /v1/kv/x HTTP/1.1\r\nContent-Length: 100\r\n\r\n0123456789");
  watch("an idle client after one request", kLimits.idle_timeout, "");
  BOOST_REQUIRE(watched.back().client->exchange(http_request("GET", "/v1/kv/x"), after(10s)));

  // Meanwhile, other clients are answered, each at once.
  int answered = 0;
  double slowest = 0;
  const Deadline deadline = after(kLimits.idle_timeout + 10s);
  auto open = [&] {
    return std::count_if(watched.begin(), watched.end(),
                         [](const Watched& w) { return !w.closed_after; });
  };
  while (open() > 0 && Clock::now() < deadline) {
    for (Watched& w : watched)
      if (!w.closed_after && w.client->wait_closed(after(50ms)))
        w.closed_after = seconds_since(w.start);
    const auto start = Clock::now();
    auto other = site.connect();
    auto answer = other->exchange(http_request("GET", "/metrics"), after(10s));
    BOOST_REQUIRE_MESSAGE(answer, "a client was not served while slow ones were connected");
    BOOST_TEST(answer->status == 200);
    slowest = std::max(slowest, seconds_since(start));
    ++answered;
  }
  BOOST_TEST_MESSAGE(answered << " other requests answered meanwhile, the slowest in " << slowest
                              << " s");
  BOOST_TEST(slowest < 2.0);
  for (const Watched& w : watched) {
    BOOST_REQUIRE_MESSAGE(w.closed_after, w.what << " was never cut off");
    BOOST_TEST_MESSAGE(w.what << ": cut off after " << *w.closed_after << " s");
    BOOST_TEST(*w.closed_after >= to_seconds(w.timeout), w.what << " was cut off too early");
    BOOST_TEST(*w.closed_after < to_seconds(w.timeout) + 3.0, w.what << " was cut off late");
  }
  BOOST_TEST(!watched[0].client->read_response(after(10ms)));  // cut off without an answer
  site.check_still_serving();
}

BOOST_AUTO_TEST_CASE(connections_over_the_cap_are_closed_at_once) {
  HttpSite site;
  std::vector<std::unique_ptr<HttpTestClient>> clients;
  for (std::size_t i = 0; i < kLimits.max_connections; ++i) {
    clients.push_back(site.connect());
    auto answer = clients.back()->exchange(http_request("GET", "/v1/x"), after(10s));
    BOOST_REQUIRE_MESSAGE(answer, "connection " << i << " was not served");
  }
  auto over = site.connect();
  BOOST_REQUIRE(over->connected());  // the kernel accepts it; the server closes it
  const auto start = Clock::now();
  over->send(http_request("GET", "/v1/x"));
  BOOST_TEST(!over->read_response(after(5s)));
  BOOST_TEST(over->wait_closed(after(5s)));
  BOOST_TEST(seconds_since(start) < 1.0);
  BOOST_TEST(read_file(site.cluster.site("alpha").stderr_file())
                 .find("http: " + std::to_string(kLimits.max_connections) +
                       " connections open, the most allowed; closing new ones at once") !=
             std::string::npos);
  // The connections held are still served.
  BOOST_TEST(clients.back()->exchange(http_request("GET", "/v1/y"), after(10s)).has_value());

  // One gone, a new one is served (once the server has seen the close).
  clients.front().reset();
  bool served = false;
  const Deadline deadline = after(10s);
  while (!served && Clock::now() < deadline) {
    auto again = site.connect();
    served = again->exchange(http_request("GET", "/v1/x"), after(10s)).has_value();
  }
  BOOST_TEST(served);
  clients.clear();
  site.check_still_serving();
}

BOOST_AUTO_TEST_CASE(http_bind_serves_on_another_ipv4_address) {
  HttpSite site({"--http-bind", "127.0.0.2"}, "127.0.0.2");
  auto client = site.connect();
  auto answer = client->exchange(http_request("GET", "/v1/kv/x"), after(10s));
  BOOST_REQUIRE(answer);
  BOOST_TEST(is_no_such_key(answer->body, "x"), answer->body);
  BOOST_TEST(!HttpTestClient("127.0.0.1", site.port).connected());
  site.check_still_serving();
}

BOOST_AUTO_TEST_CASE(http_bind_serves_on_ipv6_loopback) {
  HttpSite site({"--http-bind", "::1"}, "::1");
  auto client = site.connect();
  auto answer = client->exchange(http_request("GET", "/metrics"), after(10s));
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->status == 200);
  BOOST_TEST(!HttpTestClient("127.0.0.1", site.port).connected());
  BOOST_TEST(read_file(site.cluster.site("alpha").stderr_file())
                 .find("http: serving on http://[::1]:" + std::to_string(site.port) + "/") !=
             std::string::npos);
  site.check_still_serving();
}

BOOST_AUTO_TEST_CASE(the_token_guards_the_api_but_not_the_status_page) {
  TempDir secrets;
  write_file(secrets.path() / "token", "  tok-3n_value\n\n");
  HttpSite site({"--http-token", (secrets.path() / "token").string()});
  auto client = site.connect();
  for (const std::string& authorization :
       {std::string(), std::string("Authorization: Bearer wrong\r\n"),
        std::string("Authorization: Bearer tok-3n_valu\r\n"),
        std::string("Authorization: Basic tok-3n_value\r\n")}) {
    auto answer = client->exchange(http_request("GET", "/v1/kv/x", authorization), after(10s));
    BOOST_REQUIRE(answer);
    BOOST_TEST(answer->status == 401, "with " << authorization);
    BOOST_TEST(answer->header("www-authenticate") == "Bearer");
    BOOST_TEST(answer->header("content-type") == "application/json");
    BOOST_TEST(answer->body == R"j({"error":"missing or wrong bearer token"})j");
  }
  auto answer = client->exchange(
      http_request("GET", "/v1/kv/x", "Authorization: Bearer tok-3n_value\r\n"), after(10s));
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->status == 404);
  BOOST_TEST(is_no_such_key(answer->body, "x"), answer->body);
  for (const char* open_path : {"/", "/metrics"}) {
    answer = client->exchange(http_request("GET", open_path), after(10s));
    BOOST_REQUIRE(answer);
    BOOST_TEST(answer->status == 200, open_path);
  }
  site.check_still_serving();
}

BOOST_AUTO_TEST_CASE(an_unusable_token_file_or_address_stops_the_site_at_start) {
  Cluster cluster(std::vector<std::string>{"alpha"});
  write_file(cluster.dir() / "blank-token", " \n");
  const std::string port = std::to_string(free_tcp_ports(1).front());
  struct Case {
    std::vector<std::string> args;
    int exit_code;
    std::string message;
  };
  const std::string blank = (cluster.dir() / "blank-token").string();
  const std::vector<Case> cases{
      {{"--http", port, "--http-token", "/nonexistent/token"},
       2,
       "--http-token: cannot read token file /nonexistent/token: No such file or directory"},
      {{"--http", port, "--http-token", blank},
       2,
       "--http-token: token file " + blank + " is empty"},
      {{"--http", port, "--http-bind", "localhost"},
       2,
       "--http-bind takes an IPv4 or IPv6 address, not 'localhost'"},
      {{"--http", port, "--http-bind", "192.0.2.1"},  // TEST-NET-1: not this machine's
       1,
       "--http: cannot serve on 192.0.2.1:" + port + ": "},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    std::vector<std::string> args{"--no-shell"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    SiteProcess process("alpha", cluster.hosts_file(), cluster.data_dir(),
                        cluster.dir() / ("case" + std::to_string(i) + ".stderr"), args);
    process.start();
    BOOST_REQUIRE_MESSAGE(process.wait_exit(after(20s)), c.message << ": the site did not exit");
    BOOST_TEST(process.exit_code() == c.exit_code, c.message);
    const std::string err = read_file(process.stderr_file());
    BOOST_TEST(err.find(c.message) != std::string::npos, "stderr: " << err);
  }
}

BOOST_AUTO_TEST_SUITE_END()
