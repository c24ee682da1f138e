// The HTTP server on loopback, with short limits and a handler of the test's own: keep-alive,
// answers given later, clients that hang up meanwhile, the limits and the token. The server
// runs on an io_context thread of its own, as it runs on the site's; the test is its client.

#include <boost/asio.hpp>
#include <boost/test/unit_test.hpp>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "site/http_server.hpp"
#include "support/http_test_client.hpp"

using namespace paxoskv::site;
using paxoskv::test::http_request;
using paxoskv::test::HttpTestClient;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

Clock::time_point after(Clock::duration d) {
  return Clock::now() + d;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

HttpLimits short_limits() {
  HttpLimits limits;
  limits.max_header_bytes = 1024;
  limits.max_body_bytes = 100;
  limits.request_timeout = 300ms;
  limits.idle_timeout = 800ms;
  limits.write_timeout = 1s;
  limits.linger_timeout = 200ms;
  limits.max_connections = 4;
  return limits;
}

// A server on a free port of 127.0.0.1. Its API handler answers /v1/hold only when the test
// says so (answer_held()), throws at /v1/throw, and otherwise echoes the request at once:
// "METHOD PATH\nname=value&...\nBODY". Its status route answers GET / only.
class Served {
 public:
  // Runs `f` on the server's thread and returns its result.
  template <class F>
  auto on_io(F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    return result.get();
  }

  explicit Served(HttpLimits limits = short_limits(), std::optional<BearerToken> token = {})
      : guard_(io_.get_executor()) {
    HttpServerConfig config;
    config.token = std::move(token);
    config.limits = limits;
    server_.emplace(io_, std::move(config), api_handler(), status_route());
    port_ = server_->port();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Served() {
    on_io([this] {
      server_->stop();
      held_.clear();
      return 0;
    });
    guard_.reset();
    thread_.join();
  }

  std::uint16_t port() const { return port_; }

  std::size_t open_connections() {
    return on_io([this] { return server_->open_connections(); });
  }
  std::size_t api_calls() {
    return on_io([this] { return api_calls_; });
  }
  // Answers the `i`th held request.
  void answer_held(std::size_t i, HttpReply reply) {
    on_io([this, i, &reply] {
      held_.at(i)(std::move(reply));
      return 0;
    });
  }
  void stop() {
    on_io([this] {
      server_->stop();
      return 0;
    });
  }

  // Polls until the handler holds `n` requests, or the deadline.
  bool wait_held(std::size_t n, Clock::time_point deadline) {
    return wait_until([this, n] { return held_.size() == n; }, deadline);
  }
  // Polls until `n` connections are open, or the deadline.
  bool wait_open(std::size_t n, Clock::time_point deadline) {
    return wait_until([this, n] { return server_->open_connections() == n; }, deadline);
  }

  HttpTestClient connect() { return HttpTestClient("127.0.0.1", port_); }

 private:
  template <class F>
  bool wait_until(F condition, Clock::time_point deadline) {
    while (!on_io(condition)) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }

  HttpHandler api_handler() {
    return [this](const HttpRequest& request, HttpRespond respond) {
      ++api_calls_;
      if (request.path == "/v1/hold") return held_.push_back(std::move(respond));
      if (request.path == "/v1/throw") throw std::runtime_error("the handler failed");
      std::string query;
      for (const auto& [name, value] : request.query)
        query += (query.empty() ? "" : "&") + name + "=" + value;
      respond(HttpReply{200,
                        "text/plain",
                        request.method + " " + request.path + "\n" + query + "\n" + request.body,
                        {{"X-Extra", "yes"}}});
    };
  }

  static HttpStatusRoute status_route() {
    return [](std::string_view method, std::string_view path) {
      if (path != "/") return text_reply(404, "not found\n");
      if (method != "GET") return text_reply(405, "only GET\n");
      return text_reply(200, "status page\n");
    };
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::optional<HttpServer> server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
  // Only on the server's thread:
  std::vector<HttpRespond> held_;
  std::size_t api_calls_ = 0;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(http_server)

BOOST_AUTO_TEST_CASE(requests_follow_one_another_on_a_kept_alive_connection) {
  Served served;
  HttpTestClient client = served.connect();
  BOOST_REQUIRE(client.connected());
  auto first = client.exchange(http_request("GET", "/v1/kv/a%20b?x=1+2&y"), after(5s));
  BOOST_REQUIRE(first);
  BOOST_TEST(first->status == 200);
  BOOST_TEST(first->body == "GET /v1/kv/a b\nx=1 2&y=\n");
  BOOST_TEST(first->header("x-extra") == "yes");
  BOOST_TEST(first->header("keep-alive") == "timeout=0");  // 800 ms, in whole seconds
  BOOST_TEST(first->header("connection") == "");           // HTTP/1.1: kept alive by default
  auto second = client.exchange(http_request("PUT", "/v1/kv/k", "", "value"), after(5s));
  BOOST_REQUIRE(second);
  BOOST_TEST(second->body == "PUT /v1/kv/k\n\nvalue");
  auto page = client.exchange(http_request("GET", "/"), after(5s));
  BOOST_REQUIRE(page);
  BOOST_TEST(page->body == "status page\n");
  BOOST_TEST(served.open_connections() == 1u);
  // Exactly "/v1" is the API too; "/v10" is not.
  BOOST_TEST(client.exchange(http_request("DELETE", "/v1"), after(5s))->body == "DELETE /v1\n\n");
  BOOST_TEST(client.exchange(http_request("GET", "/v10"), after(5s))->status == 404);
  BOOST_TEST(served.api_calls() == 3u);
}

BOOST_AUTO_TEST_CASE(pipelined_requests_are_answered_in_order) {
  Served served;
  HttpTestClient client = served.connect();
  BOOST_REQUIRE(client.send(http_request("GET", "/v1/one") +
                            http_request("POST", "/v1/two", "", "body") +
                            http_request("GET", "/")));
  auto one = client.read_response(after(5s));
  auto two = client.read_response(after(5s));
  auto three = client.read_response(after(5s));
  BOOST_REQUIRE(one && two && three);
  BOOST_TEST(one->body == "GET /v1/one\n\n");
  BOOST_TEST(two->body == "POST /v1/two\n\nbody");
  BOOST_TEST(three->body == "status page\n");
}

BOOST_AUTO_TEST_CASE(connection_close_and_http_1_0_end_the_connection_after_the_answer) {
  Served served;
  HttpTestClient client = served.connect();
  auto answer = client.exchange(http_request("GET", "/v1/x", "Connection: close\r\n"), after(5s));
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->header("connection") == "close");
  BOOST_TEST(client.wait_closed(after(5s)));

  HttpTestClient old = served.connect();
  answer = old.exchange("GET /v1/y HTTP/1.0\r\n\r\n", after(5s));
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->body == "GET /v1/y\n\n");
  BOOST_TEST(old.wait_closed(after(5s)));
  BOOST_TEST(served.wait_open(0, after(5s)));
}

BOOST_AUTO_TEST_CASE(an_answer_given_later_is_not_timed_out) {
  Served served;
  HttpTestClient client = served.connect();
  const auto sent = Clock::now();
  BOOST_REQUIRE(client.send(http_request("GET", "/v1/hold")));
  BOOST_REQUIRE(served.wait_held(1, after(5s)));
  // Longer than every timeout of the server: the request is the handler's to time out.
  const auto waited = short_limits().idle_timeout + short_limits().request_timeout + 500ms;
  BOOST_TEST(!client.read_response(sent + waited).has_value());
  BOOST_TEST(!client.wait_closed(after(10ms)));
  served.answer_held(0, HttpReply{202, "application/json", "{\"late\":true}", {}});
  auto answer = client.read_response(after(5s));
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->status == 202);
  BOOST_TEST(answer->body == "{\"late\":true}");
  // A second answer to the same request is ignored, and the connection goes on.
  served.answer_held(0, HttpReply{500, "text/plain", "again", {}});
  auto next = client.exchange(http_request("GET", "/v1/next"), after(5s));
  BOOST_REQUIRE(next);
  BOOST_TEST(next->body == "GET /v1/next\n\n");
}

BOOST_AUTO_TEST_CASE(a_client_that_hangs_up_frees_its_slot_and_a_late_answer_does_nothing) {
  // Timeouts far beyond the test's deadlines: only noticing the close can free the slot.
  HttpLimits limits = short_limits();
  limits.request_timeout = limits.idle_timeout = 60s;
  Served served(limits);
  {
    HttpTestClient client = served.connect();
    BOOST_REQUIRE(client.send(http_request("GET", "/v1/hold")));
    BOOST_REQUIRE(served.wait_held(1, after(5s)));
  }  // closed here, its answer still pending
  BOOST_TEST(served.wait_open(0, after(5s)));
  served.answer_held(0, HttpReply{200, "text/plain", "too late", {}});
  BOOST_TEST(served.open_connections() == 0u);
  HttpTestClient other = served.connect();
  BOOST_TEST(other.exchange(http_request("GET", "/v1/still"), after(5s))->status == 200);

  // A client that only shuts its sending side down counts as gone as well.
  HttpTestClient half = served.connect();
  BOOST_REQUIRE(half.send(http_request("GET", "/v1/hold")));
  BOOST_REQUIRE(served.wait_held(2, after(5s)));
  half.shutdown_send();
  BOOST_TEST(half.wait_closed(after(5s)));
  BOOST_TEST(served.wait_open(1, after(5s)));  // `other`, kept alive
}

BOOST_AUTO_TEST_CASE(a_request_pipelined_behind_a_held_one_waits_for_it) {
  Served served;
  HttpTestClient client = served.connect();
  BOOST_REQUIRE(client.send(http_request("GET", "/v1/hold") + http_request("GET", "/v1/after")));
  BOOST_REQUIRE(served.wait_held(1, after(5s)));
  BOOST_TEST(!client.read_response(after(300ms)).has_value());
  BOOST_TEST(served.api_calls() == 1u);  // one request at a time
  served.answer_held(0, HttpReply{200, "text/plain", "held", {}});
  auto first = client.read_response(after(5s));
  auto second = client.read_response(after(5s));
  BOOST_REQUIRE(first && second);
  BOOST_TEST(first->body == "held");
  BOOST_TEST(second->body == "GET /v1/after\n\n");
}

BOOST_AUTO_TEST_CASE(stopping_closes_every_connection_and_later_answers_do_nothing) {
  Served served;
  HttpTestClient waiting = served.connect();
  HttpTestClient idle = served.connect();
  BOOST_REQUIRE(idle.exchange(http_request("GET", "/"), after(5s)));
  BOOST_REQUIRE(waiting.send(http_request("GET", "/v1/hold")));
  BOOST_REQUIRE(served.wait_held(1, after(5s)));
  served.stop();
  BOOST_TEST(served.open_connections() == 0u);
  BOOST_TEST(waiting.wait_closed(after(5s)));
  BOOST_TEST(idle.wait_closed(after(5s)));
  served.answer_held(0, HttpReply{200, "text/plain", "after the stop", {}});
  BOOST_TEST(!served.connect().connected());
}

BOOST_AUTO_TEST_CASE(limits_of_header_and_body) {
  HttpLimits limits = short_limits();
  limits.max_connections = 16;  // the refused clients below keep theirs open
  Served served(limits);
  const std::string big_header = "X-Big: " + std::string(1100, 'a') + "\r\n";
  HttpTestClient api = served.connect();
  auto answer = api.exchange(http_request("GET", "/v1/kv/a", big_header), after(5s));
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->status == 431);
  BOOST_TEST(answer->header("content-type") == "application/json");
  BOOST_TEST(answer->body == R"j({"error":"request header too large (limit 1024 bytes)"})j");
  BOOST_TEST(answer->header("connection") == "close");
  BOOST_TEST(api.wait_closed(after(5s)));

  HttpTestClient page = served.connect();
  answer = page.exchange(http_request("GET", "/", big_header), after(5s));
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->status == 431);
  BOOST_TEST(answer->header("content-type") == "text/plain; charset=utf-8");
  // Too long a request line: the path is still seen.
  HttpTestClient line = served.connect();
  answer = line.exchange(http_request("GET", "/v1/" + std::string(1100, 'k')), after(5s));
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->status == 431);
  BOOST_TEST(answer->header("content-type") == "application/json");

  // A body at the limit passes; one byte more does not, announced or chunked.
  HttpTestClient body = served.connect();
  answer = body.exchange(http_request("PUT", "/v1/kv/a", "", std::string(100, 'v')), after(5s));
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->status == 200);
  answer = body.exchange(http_request("PUT", "/v1/kv/a", "", std::string(101, 'v')), after(5s));
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->status == 413);
  BOOST_TEST(answer->body == R"j({"error":"value too large (limit 8192 bytes)"})j");
  BOOST_TEST(body.wait_closed(after(5s)));
  HttpTestClient chunked = served.connect();
  answer = chunked.exchange("PUT /v1/kv/a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n" +
                                std::string(64, 'v') + "\r\n40\r\n" + std::string(64, 'v') +
                                "\r\n0\r\n\r\n",
                            after(5s));
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->status == 413);
  BOOST_TEST(served.api_calls() == 1u);
}

BOOST_AUTO_TEST_CASE(an_oversized_body_still_sent_does_not_lose_the_413) {
  HttpLimits limits = short_limits();
  limits.linger_timeout = 2s;
  Served served(limits);
  HttpTestClient client = served.connect();
  // The whole body is on its way when the server answers after the header: closing on
  // unread bytes would reset the connection and could destroy the answer.
  auto answer =
      client.exchange(http_request("PUT", "/v1/kv/a", "", std::string(200000, 'v')), after(5s));
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->status == 413);
  // What the client still sends is drained: the connection ends in order, not with a reset.
  BOOST_TEST(client.send(std::string(10000, 'v')));
  BOOST_TEST(client.wait_closed(after(5s)));
  BOOST_TEST(!client.was_reset());
}

BOOST_AUTO_TEST_CASE(expect_100_continue_is_answered_before_the_body) {
  Served served;
  HttpTestClient client = served.connect();
  BOOST_REQUIRE(
      client.send("PUT /v1/kv/a HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"));
  auto interim = client.read_response(after(5s), true);
  BOOST_REQUIRE(interim);
  BOOST_TEST(interim->status == 100);
  BOOST_REQUIRE(client.send("hello"));
  auto answer = client.read_response(after(5s));
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->body == "PUT /v1/kv/a\n\nhello");
  // Too large: refused at once, without the 100.
  answer = client.exchange(
      "PUT /v1/kv/a HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 101\r\n\r\n", after(5s));
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->status == 413);
}

BOOST_AUTO_TEST_CASE(malformed_requests_get_400_in_json_under_v1) {
  HttpLimits limits = short_limits();
  limits.max_connections = 16;  // the refused clients below keep theirs open
  Served served(limits);
  HttpTestClient bad_escape = served.connect();
  auto answer = bad_escape.exchange(http_request("GET", "/v1/kv/%zz"), after(5s));
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->status == 400);
  BOOST_TEST(answer->body == R"j({"error":"bad request: bad percent-encoding in the path"})j");
  BOOST_TEST(answer->header("connection") == "close");
  BOOST_TEST(bad_escape.wait_closed(after(5s)));
  HttpTestClient bad_query = served.connect();
  answer = bad_query.exchange(http_request("GET", "/v1/kv?prefix=%"), after(5s));
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->body == R"j({"error":"bad request: bad percent-encoding in the query"})j");
  HttpTestClient bad_target = served.connect();
  answer = bad_target.exchange(http_request("GET", "v1/kv"), after(5s));
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->status == 400);
  BOOST_TEST(answer->header("content-type") == "text/plain; charset=utf-8");

  HttpTestClient bad_field = served.connect();
  answer = bad_field.exchange("GET /v1/kv/a HTTP/1.1\r\nHost x\r\n\r\n", after(5s));
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->status == 400);
  BOOST_TEST(answer->header("content-type") == "application/json");
  BOOST_TEST(bad_field.wait_closed(after(5s)));

  for (const std::string& garbage :
       {std::string("garbage\r\n\r\n"), std::string("GET / HTTP/1.1\r\nHost x\r\n\r\n"),
        std::string("GET nope HTTP/1.1\r\n\r\n"), std::string("GET / HTTP/9.9\r\n\r\n"),
        std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11)}) {
    HttpTestClient client = served.connect();
    answer = client.exchange(garbage, after(5s));
    BOOST_REQUIRE_MESSAGE(answer, "no answer to " << garbage);
    BOOST_TEST(answer->status == 400, garbage);
    BOOST_TEST(answer->header("content-type") == "text/plain; charset=utf-8", garbage);
  }
  BOOST_TEST(served.api_calls() == 0u);
}

BOOST_AUTO_TEST_CASE(methods) {
  Served served;
  HttpTestClient client = served.connect();
  for (const char* method : {"GET", "PUT", "DELETE", "POST"})
    BOOST_TEST(client.exchange(http_request(method, "/v1/kv/a"), after(5s))->status == 200);
  for (const char* method : {"PATCH", "HEAD", "OPTIONS"}) {
    auto answer = client.exchange(http_request(method, "/v1/kv/a"), after(5s));
    BOOST_REQUIRE(answer);
    BOOST_TEST(answer->status == 405);
    BOOST_TEST(answer->header("allow") == "GET, PUT, DELETE, POST");
    BOOST_TEST(answer->header("content-type") == "application/json");
  }
  BOOST_TEST(client.exchange(http_request("POST", "/"), after(5s))->status == 405);
  BOOST_TEST(served.api_calls() == 4u);
}

BOOST_AUTO_TEST_CASE(a_throwing_handler_gets_500_and_the_server_goes_on) {
  Served served;
  HttpTestClient client = served.connect();
  auto answer = client.exchange(http_request("GET", "/v1/throw"), after(5s));
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->status == 500);
  BOOST_TEST(answer->body == R"j({"error":"internal error"})j");
  BOOST_TEST(client.exchange(http_request("GET", "/v1/ok"), after(5s))->status == 200);
}

BOOST_AUTO_TEST_CASE(the_token_guards_v1_only) {
  Served served(short_limits(), BearerToken("t0ken"));
  HttpTestClient client = served.connect();
  for (const std::string& authorization :
       {std::string(), std::string("Authorization: Bearer wrong\r\n"),
        std::string("Authorization: Bearer t0ke\r\n"),
        std::string("Authorization: Basic t0ken\r\n")}) {
    auto answer = client.exchange(http_request("GET", "/v1/kv/a", authorization), after(5s));
    BOOST_REQUIRE(answer);
    BOOST_TEST(answer->status == 401, authorization);
    BOOST_TEST(answer->header("www-authenticate") == "Bearer");
    BOOST_TEST(answer->body == R"j({"error":"missing or wrong bearer token"})j");
  }
  // Not even the method is told before the token.
  BOOST_TEST(client.exchange(http_request("PATCH", "/v1/kv/a"), after(5s))->status == 401);
  BOOST_TEST(served.api_calls() == 0u);
  auto answer = client.exchange(http_request("GET", "/v1/kv/a", "Authorization: Bearer t0ken\r\n"),
                                after(5s));
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->status == 200);
  BOOST_TEST(client.exchange(http_request("GET", "/"), after(5s))->status == 200);
}

BOOST_AUTO_TEST_CASE(slow_clients_are_cut_off_and_idle_ones_closed) {
  Served served;
  const HttpLimits limits = short_limits();
  const auto start = Clock::now();
  HttpTestClient silent = served.connect();
  HttpTestClient slow_header = served.connect();
  HttpTestClient slow_body = served.connect();
  BOOST_REQUIRE(slow_header.send("GET /v1/kv/a HTTP/1.1\r\nHost: x\r\n"));
  BOOST_REQUIRE(slow_body.send("PUT /v1/kv/a HTTP/1.1\r\nContent-Length: 10\r\n\r\n12345"));
  for (HttpTestClient* client : {&silent, &slow_header, &slow_body}) {
    BOOST_TEST(client->wait_closed(start + limits.request_timeout + 2s));
    BOOST_TEST(seconds_since(start) >=
               std::chrono::duration<double>(limits.request_timeout).count());
  }
  BOOST_TEST(silent.read_response(after(10ms)).has_value() == false);  // cut off, no answer
  BOOST_TEST(served.api_calls() == 0u);

  // Kept alive and idle: closed after the idle timeout, which is longer.
  HttpTestClient idle = served.connect();
  const auto sent = Clock::now();
  BOOST_REQUIRE(idle.exchange(http_request("GET", "/v1/kv/a"), after(5s)));
  BOOST_TEST(!idle.wait_closed(sent + limits.request_timeout + 100ms));
  BOOST_TEST(idle.wait_closed(sent + limits.idle_timeout + 2s));
  BOOST_TEST(seconds_since(sent) >= std::chrono::duration<double>(limits.idle_timeout).count());
  BOOST_TEST(served.open_connections() == 0u);
}

BOOST_AUTO_TEST_CASE(connections_over_the_cap_are_closed_at_once) {
  Served served;
  const std::size_t cap = short_limits().max_connections;
  std::vector<std::unique_ptr<HttpTestClient>> clients;
  for (std::size_t i = 0; i < cap; ++i) {
    clients.push_back(std::make_unique<HttpTestClient>("127.0.0.1", served.port()));
    BOOST_REQUIRE(clients.back()->exchange(http_request("GET", "/v1/x"), after(5s)));
  }
  BOOST_TEST(served.open_connections() == cap);
  HttpTestClient over = served.connect();
  BOOST_REQUIRE(over.connected());  // the kernel accepts it; the server closes it
  over.send(http_request("GET", "/v1/x"));
  BOOST_TEST(!over.read_response(after(2s)).has_value());
  BOOST_TEST(over.wait_closed(after(2s)));
  BOOST_TEST(served.open_connections() == cap);

  clients.front()->close();
  bool served_again = false;
  const auto deadline = after(5s);
  while (!served_again && Clock::now() < deadline) {
    HttpTestClient again = served.connect();
    served_again = again.exchange(http_request("GET", "/v1/x"), after(2s)).has_value();
  }
  BOOST_TEST(served_again);
}

BOOST_AUTO_TEST_CASE(bad_bind_addresses_are_refused) {
  boost::asio::io_context io;
  HttpServerConfig config;
  config.bind_address = "not-an-address";
  BOOST_CHECK_EXCEPTION(
      HttpServer(io, config, {}, {}), std::runtime_error, [](const std::runtime_error& e) {
        return std::string(e.what()) == "--http: 'not-an-address' is not an IP address";
      });
  config.bind_address = "192.0.2.1";  // TEST-NET-1: no interface of this machine has it
  config.port = 1;
  BOOST_CHECK_EXCEPTION(
      HttpServer(io, config, {}, {}), std::runtime_error, [](const std::runtime_error& e) {
        return std::string(e.what()).rfind("--http: cannot serve on 192.0.2.1:1: ", 0) == 0;
      });
}

BOOST_AUTO_TEST_SUITE_END()
