#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

// Only referred to here: Asio's declaration is enough.
namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace paxoskv::site {

class Site;
struct HttpServerState;

// One answer of the status server, before it becomes HTTP.
struct HttpReply {
  unsigned status = 200;
  std::string content_type;
  std::string body;
};

// What `--http` serves, read-only: `/` the status page, `/metrics` the Prometheus text;
// 404 for any other path, 405 for any method but GET, 400 for a target that is not a path.
HttpReply route_status_request(Site& site, std::string_view method, std::string_view target);

// `--http PORT`: an HTTP/1.1 server (Boost.Beast) on 127.0.0.1:PORT on the site's own
// io_context, so it reads the Replica between two of its inputs and needs no lock. Each
// connection serves one request and is closed; a malformed request gets 400 and a slow or
// stuck client is cut off after a timeout. Nothing a client sends can stop the site.
class HttpStatusServer {
 public:
  // Throws std::runtime_error with a message for the user if the port cannot be bound.
  HttpStatusServer(boost::asio::io_context& io, Site& site, std::uint16_t port);
  ~HttpStatusServer();
  HttpStatusServer(const HttpStatusServer&) = delete;
  HttpStatusServer& operator=(const HttpStatusServer&) = delete;

  // Stops accepting; a connection still open is closed without an answer.
  void stop();

 private:
  std::shared_ptr<HttpServerState> state_;
};

}  // namespace paxoskv::site
