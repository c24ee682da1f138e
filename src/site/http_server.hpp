#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "site/bearer_token.hpp"
#include "site/http_handler.hpp"
#include "site/http_limits.hpp"

// Only referred to here: Asio's declaration is enough.
namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace paxoskv::site {

struct HttpServerState;

// Answers the paths outside /v1/ (the status page and /metrics), given the method and the
// decoded path; at once, as they only read the site.
using HttpStatusRoute = std::function<HttpReply(std::string_view method, std::string_view path)>;

struct HttpServerConfig {
  std::string bind_address = "127.0.0.1";  // an IPv4 or IPv6 address
  std::uint16_t port = 0;                  // 0: a free port, see port()
  // With a token, a request to /v1/ without `Authorization: Bearer TOKEN` gets 401 and never
  // reaches the handler. The status page and /metrics stay open: they only show what every
  // site's operator sees anyway, and a monitoring scraper should not need the token.
  std::optional<BearerToken> token;
  HttpLimits limits;
};

// `--http PORT`: an HTTP/1.1 server (Boost.Beast) on the site's own io_context, so its
// handlers read and change the site between two of its inputs and need no lock.
//
// Paths under /v1/ ("/v1" and "/v1/...") go to `api` for GET, PUT, DELETE and POST (405 for
// another method); the others go to `status`. Connections are kept alive, with one request at
// a time: the next one is read only once the answer to the last one is written. While the
// handler holds an answer back, the server sets no timeout of its own (a long poll is the
// handler's to bound), but it notices a client that closes its connection and gives the
// connection's slot back; answering it later does nothing. A client that only shuts down its
// sending side cannot be told apart from one that left, and is dropped too. A request that
// breaks HTTP gets 400, or 431 or 413 past the limits (JSON under /v1/, plain text elsewhere),
// and the connection is closed; a client too slow is cut off without an answer.
//
// Everything, handlers included, runs on the io_context's thread; stop() must too.
class HttpServer {
 public:
  // Throws std::runtime_error with a message for the user if the address cannot be served.
  HttpServer(boost::asio::io_context& io, HttpServerConfig config, HttpHandler api,
             HttpStatusRoute status);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The port it listens on (the chosen one when the config said 0).
  std::uint16_t port() const;
  // Connections open now, each taking a slot of HttpLimits::max_connections.
  std::size_t open_connections() const;

  // Stops accepting and closes every connection, without an answer to a pending request.
  void stop();

 private:
  std::shared_ptr<HttpServerState> state_;
};

}  // namespace paxoskv::site
