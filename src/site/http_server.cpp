#include "site/http_server.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>
#include <unordered_map>
#include <utility>
#include <vector>

#include "log/log.hpp"

namespace paxoskv::site {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

class Connection;

constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);
constexpr auto kFullWarningInterval = std::chrono::minutes(1);
constexpr unsigned kHttp11 = 11;  // Beast's version number of HTTP/1.1
// Bytes asked of the socket at once where Beast does not choose (the first byte of a request
// on a kept-alive connection, draining before a close).
constexpr std::size_t kReadChunk = 4096;
// The read buffer holds the unparsed part of a request (Beast moves the body out as it
// parses) and whatever a pipelining client sent after it: a header, a little more, and a
// read's worth.
constexpr std::size_t kReadBufferSlack = 64 * 1024;
constexpr std::string_view kApiMethods = "GET, PUT, DELETE, POST";

bool is_api_path(std::string_view path) {
  return path == "/v1" || path.starts_with("/v1/");
}

// For a request that is refused before its target is decoded: its error is answered in JSON
// if it was meant for the API.
bool target_is_api(std::string_view target) {
  return is_api_path(target.substr(0, target.find('?')));
}

// The same for a request whose header did not parse, from the request line at the start of
// `bytes`, as far as it came.
bool raw_request_is_api(std::string_view bytes) {
  const auto space = bytes.find(' ');
  if (space == std::string_view::npos) return false;
  std::string_view target = bytes.substr(space + 1);
  return target_is_api(target.substr(0, target.find_first_of(" \r\n")));
}

bool is_api_method(std::string_view method) {
  return method == "GET" || method == "PUT" || method == "DELETE" || method == "POST";
}

// Counts a call of a handler while it runs (see HttpServer::stop()).
class Running {
 public:
  explicit Running(int& count) : count_(count) { ++count_; }
  ~Running() { --count_; }
  Running(const Running&) = delete;
  Running& operator=(const Running&) = delete;

 private:
  int& count_;
};

HttpReply error_reply(bool api, unsigned status, const std::string& message) {
  return api ? json_error_reply(status, message) : text_reply(status, message + "\n");
}

}  // namespace

// Shared by the server and its connections: a connection that outlives the server (its
// handler still queued when the site stops) finds `stopped` and touches nothing else.
struct HttpServerState : std::enable_shared_from_this<HttpServerState> {
  HttpServerState(asio::io_context& io, HttpServerConfig config, HttpHandler api,
                  HttpStatusRoute status)
      : acceptor(io),
        retry_timer(io),
        limits(config.limits),
        token(std::move(config.token)),
        api(std::move(api)),
        status(std::move(status)) {}

  void accept();
  void on_accept(tcp::socket socket);

  tcp::acceptor acceptor;
  asio::steady_timer retry_timer;
  const HttpLimits limits;
  const std::optional<BearerToken> token;
  // Emptied by stop(): a handler that keeps answers pending (HttpRespond, which holds its
  // connection, which holds this) would otherwise keep itself alive in a cycle.
  HttpHandler api;
  HttpStatusRoute status;
  // Every open connection, by id: what stop() closes, and what max_connections counts.
  std::unordered_map<std::uint64_t, std::weak_ptr<Connection>> connections;
  std::uint64_t last_connection_id = 0;
  int handlers_running = 0;  // calls of `api` or `status` not returned yet
  // When the last warning about refused connections was logged.
  std::optional<std::chrono::steady_clock::time_point> warned_full;
  bool stopped = false;
};

namespace {

// One client connection: requests read one at a time, each answered before the next is read.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, std::shared_ptr<HttpServerState> server, std::uint64_t id)
      : stream_(std::move(socket)),
        buffer_(server->limits.max_header_bytes + kReadBufferSlack),
        server_(std::move(server)),
        id_(id) {}
  ~Connection() { close(); }

  void start() {
    beast::error_code ignored;
    stream_.socket().set_option(tcp::no_delay(true), ignored);
    // Only for the peek of watch_client(), which must not wait; Asio's asynchronous
    // operations are not affected.
    stream_.socket().non_blocking(true, ignored);
    // A new connection gets no idle time: its first request must come within the timeout.
    read_header(Clock::now() + server_->limits.request_timeout);
  }

  // Closes the socket (pending operations end with an error and do nothing) and gives the
  // connection's slot back. Idempotent.
  void close() {
    if (closed_) return;
    closed_ = true;
    stream_.close();
    server_->connections.erase(id_);
  }

 private:
  using Clock = std::chrono::steady_clock;

  // Between two requests: the idle timeout until the next one begins.
  void wait_for_request() {
    if (buffer_.size() > 0) return read_header(Clock::now() + server_->limits.request_timeout);
    stream_.expires_after(server_->limits.idle_timeout);
    stream_.async_read_some(
        buffer_.prepare(kReadChunk),
        [self = shared_from_this()](beast::error_code error, std::size_t n) {
          if (self->closed_) return;
          if (error) return self->close();  // gone, or idle too long
          self->buffer_.commit(n);
          self->read_header(Clock::now() + self->server_->limits.request_timeout);
        });
  }

  void read_header(Clock::time_point deadline) {
    deadline_ = deadline;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_->limits.max_header_bytes));
    parser_->body_limit(server_->limits.max_body_bytes);
    stream_.expires_at(deadline_);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code error, std::size_t) {
                              self->on_header(error);
                            });
  }

  void on_header(const beast::error_code& error) {
    if (closed_) return;
    if (error) return on_read_error(error);
    const auto& header = parser_->get();
    // A client that asks before it sends its body (curl does, for larger bodies) is told to
    // go on; one that asks too much (Content-Length over the limit) has already failed above.
    if (!parser_->is_done() && header.version() == kHttp11 &&
        beast::iequals(header[http::field::expect], "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      stream_.expires_after(server_->limits.write_timeout);
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = shared_from_this()](beast::error_code write_error, std::size_t) {
                          if (self->closed_) return;
                          if (write_error) return self->close();
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    if (parser_->is_done()) return dispatch();
    stream_.expires_at(deadline_);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code error, std::size_t) {
                       if (self->closed_) return;
                       if (error) return self->on_read_error(error);
                       self->dispatch();
                     });
  }

  // The request could not be read. A client that went away or was too slow gets nothing; one
  // that broke HTTP or a limit is told so, and the connection ends (the parser cannot resync).
  void on_read_error(const beast::error_code& error) {
    if (error == http::error::end_of_stream || error == http::error::partial_message ||
        error.category() != http::make_error_code(http::error::bad_method).category()) {
      if (error == beast::error::timeout)
        PAXOSKV_LOG(debug) << "http: a client too slow to send its request was cut off";
      return close();
    }
    // Beast parses the request line first: past it, the target is known (and its bytes are
    // gone from the buffer).
    const std::string_view target = parser_->get().target();
    const bool api = !target.empty()
                         ? target_is_api(target)
                         : raw_request_is_api(std::string_view(
                               static_cast<const char*>(buffer_.data().data()), buffer_.size()));
    HttpReply reply;
    if (error == http::error::header_limit) {
      reply = error_reply(api, 431,
                          "request header too large (limit " +
                              std::to_string(server_->limits.max_header_bytes) + " bytes)");
    } else if (error == http::error::body_limit) {
      reply =
          api ? json_error_reply(413, "value too large (limit " +
                                          std::to_string(limits::max_value_bytes) + " bytes)")
              : text_reply(413, "request body too large (limit " +
                                    std::to_string(server_->limits.max_body_bytes) + " bytes)\n");
    } else {
      reply = error_reply(api, 400, "bad request: " + error.message());
    }
    version_ = kHttp11;
    write_reply(std::move(reply), false);
  }

  void dispatch() {
    auto& message = parser_->get();
    version_ = message.version();
    keep_alive_ = message.keep_alive();
    HttpRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    request.authorization = std::string(message[http::field::authorization]);
    request.body = std::move(message.body());
    parser_.reset();

    auto decoded = decode_target(request.target);
    if (auto* problem = std::get_if<std::string>(&decoded)) {
      // Like every malformed request, this one ends the connection: a client that sends it
      // is broken, and what it sends next is not worth reading.
      const bool api = target_is_api(request.target);
      return write_reply(error_reply(api, 400, "bad request: " + *problem), false);
    }
    request.path = std::move(std::get<DecodedTarget>(decoded).path);
    request.query = std::move(std::get<DecodedTarget>(decoded).query);

    if (!is_api_path(request.path)) {
      HttpReply reply;
      try {
        Running running(server_->handlers_running);
        reply = server_->status(request.method, request.path);
      } catch (const std::exception& e) {
        PAXOSKV_LOG(error) << "http: " << request.path << " failed: " << e.what();
        reply = text_reply(500, "internal error\n");
      }
      return write_reply(std::move(reply), keep_alive_);
    }
    if (server_->token && !server_->token->accepts(request.authorization)) {
      HttpReply reply = json_error_reply(401, "missing or wrong bearer token");
      reply.headers.emplace_back("WWW-Authenticate", "Bearer");
      return write_reply(std::move(reply), keep_alive_);
    }
    if (!is_api_method(request.method)) {
      HttpReply reply = json_error_reply(405, "method " + request.method + " is not served");
      reply.headers.emplace_back("Allow", std::string(kApiMethods));
      return write_reply(std::move(reply), keep_alive_);
    }

    const std::uint64_t sequence = ++requests_;
    awaiting_reply_ = true;
    HttpRespond respond = [self = shared_from_this(), sequence](HttpReply reply) {
      self->on_reply(sequence, std::move(reply));
    };
    try {
      Running running(server_->handlers_running);
      server_->api(request, std::move(respond));
    } catch (const std::exception& e) {
      // The site goes on: an exception escaping here would end io_context::run().
      PAXOSKV_LOG(error) << "http: " << request.method << " " << request.path
                         << " failed: " << e.what();
      on_reply(sequence, json_error_reply(500, "internal error"));
    }
    if (awaiting_reply_ && sequence == requests_ && !closed_) watch_client(sequence);
  }

  // While the handler holds the answer back, nothing is read (one request at a time), but a
  // client that hangs up must still be noticed, or every long poll it abandons would hold a
  // connection slot until the handler's own timeout.
  void watch_client(std::uint64_t sequence) {
    stream_.socket().async_wait(tcp::socket::wait_read,
                                [self = shared_from_this(), sequence](beast::error_code error) {
                                  self->on_client_readable(sequence, error);
                                });
  }

  void on_client_readable(std::uint64_t sequence, const beast::error_code& error) {
    if (closed_ || !awaiting_reply_ || sequence != requests_) return;
    if (error) return close();
    char byte = 0;
    beast::error_code peek_error;
    stream_.socket().receive(asio::buffer(&byte, 1), tcp::socket::message_peek, peek_error);
    if (peek_error == asio::error::would_block || peek_error == asio::error::try_again)
      return watch_client(sequence);
    if (peek_error) {
      PAXOSKV_LOG(debug) << "http: a client went away before its answer";
      return close();
    }
    // The client sent its next request already (pipelining). It stays unread until this
    // answer is written; watching on would wake at once, again and again, on those bytes.
  }

  void on_reply(std::uint64_t sequence, HttpReply reply) {
    if (closed_ || !awaiting_reply_ || sequence != requests_) return;
    awaiting_reply_ = false;
    // Ends watch_client()'s wait, the only operation pending now.
    beast::error_code ignored;
    stream_.socket().cancel(ignored);
    write_reply(std::move(reply), keep_alive_);
  }

  // The reply as the HTTP response to write, in response_.
  void frame(HttpReply reply, bool keep_alive) {
    response_ = {};
    response_.version(version_);
    response_.result(reply.status);
    response_.set(http::field::server, "paxoskv");
    if (!reply.content_type.empty()) response_.set(http::field::content_type, reply.content_type);
    response_.set(http::field::cache_control, "no-store");
    for (auto& [name, value] : reply.headers) response_.insert(name, value);
    response_.keep_alive(keep_alive);
    if (keep_alive) {
      const auto idle =
          std::chrono::duration_cast<std::chrono::seconds>(server_->limits.idle_timeout);
      response_.set("Keep-Alive", "timeout=" + std::to_string(idle.count()));
    }
    // These answers have no body by definition (Beast refuses to frame one).
    if (reply.status == 204 || reply.status == 304) reply.body.clear();
    response_.body() = std::move(reply.body);
    response_.prepare_payload();
  }

  void write_reply(HttpReply reply, bool keep_alive) {
    keep_alive = keep_alive && !server_->stopped;
    if (reply.status < 200 || reply.status > 599) {
      PAXOSKV_LOG(error) << "http: a handler answered with status " << reply.status;
      reply = json_error_reply(500, "internal error");
    }
    try {
      frame(std::move(reply), keep_alive);
    } catch (const std::exception& e) {
      // A header Beast cannot frame (one over 64 KiB): a handler's mistake, and the client
      // still gets an answer.
      PAXOSKV_LOG(error) << "http: cannot frame an answer: " << e.what();
      frame(json_error_reply(500, "internal error"), keep_alive);
    }
    stream_.expires_after(server_->limits.write_timeout);
    http::async_write(
        stream_, response_,
        [self = shared_from_this(), keep_alive](beast::error_code error, std::size_t) {
          if (self->closed_) return;
          if (error) return self->close();
          if (keep_alive && !self->server_->stopped) return self->wait_for_request();
          self->linger();
        });
  }

  // Ends the connection after its last answer: no more to send, and what the client still
  // sends is drained for a while (see HttpLimits::linger_timeout) before the socket closes.
  void linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    buffer_.consume(buffer_.size());
    stream_.expires_after(server_->limits.linger_timeout);
    drain();
  }

  void drain() {
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            [self = shared_from_this()](beast::error_code error, std::size_t n) {
                              if (self->closed_) return;
                              self->drained_ += n;
                              if (error || self->drained_ > self->server_->limits.max_linger_bytes)
                                return self->close();
                              self->drain();
                            });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  std::shared_ptr<HttpServerState> server_;
  const std::uint64_t id_;
  Clock::time_point deadline_;  // of the request being read
  unsigned version_ = kHttp11;  // of the request being answered
  bool keep_alive_ = false;     // what the request being answered asked for
  std::uint64_t requests_ = 0;  // requests passed to the handler; the last one is answered next
  bool awaiting_reply_ = false;
  std::size_t drained_ = 0;
  bool closed_ = false;
};

}  // namespace

void HttpServerState::accept() {
  acceptor.async_accept([self = shared_from_this()](beast::error_code error, tcp::socket socket) {
    if (self->stopped || error == asio::error::operation_aborted) return;
    if (error) {
      // Out of descriptors, say: the site goes on, and accepting resumes a little later.
      PAXOSKV_LOG(warning) << "http: accept failed: " << error.message();
      self->retry_timer.expires_after(kAcceptRetryDelay);
      self->retry_timer.async_wait([self](beast::error_code e) {
        if (!e && !self->stopped) self->accept();
      });
      return;
    }
    self->on_accept(std::move(socket));
    self->accept();
  });
}

void HttpServerState::on_accept(tcp::socket socket) {
  if (connections.size() >= limits.max_connections) {
    // Seldom, so that a flood of connections cannot flood the log too.
    const auto now = std::chrono::steady_clock::now();
    if (!warned_full || now - *warned_full >= kFullWarningInterval) {
      PAXOSKV_LOG(warning) << "http: " << connections.size()
                           << " connections open, the most allowed; closing new ones at once";
      warned_full = now;
    }
    return;  // the socket closes here
  }
  const std::uint64_t id = ++last_connection_id;
  auto connection = std::make_shared<Connection>(std::move(socket), shared_from_this(), id);
  connections.emplace(id, connection);
  connection->start();
}

HttpServer::HttpServer(asio::io_context& io, HttpServerConfig config, HttpHandler api,
                       HttpStatusRoute status) {
  beast::error_code error;
  const asio::ip::address address = asio::ip::make_address(config.bind_address, error);
  if (error) throw std::runtime_error("--http: '" + config.bind_address + "' is not an IP address");
  const tcp::endpoint endpoint(address, config.port);
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  state_ =
      std::make_shared<HttpServerState>(io, std::move(config), std::move(api), std::move(status));
  tcp::acceptor& acceptor = state_->acceptor;
  acceptor.open(endpoint.protocol(), error);
  if (!error) acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error)
    throw std::runtime_error("--http: cannot serve on " + host + ":" +
                             std::to_string(endpoint.port()) + ": " + error.message());
  PAXOSKV_LOG(info) << "http: serving on http://" << host << ":" << port() << "/";
  state_->accept();
}

HttpServer::~HttpServer() {
  stop();
}

std::uint16_t HttpServer::port() const {
  beast::error_code ignored;
  return state_->acceptor.local_endpoint(ignored).port();
}

std::size_t HttpServer::open_connections() const {
  return state_->connections.size();
}

void HttpServer::stop() {
  if (state_->stopped) return;
  state_->stopped = true;
  beast::error_code ignored;
  state_->acceptor.close(ignored);
  state_->retry_timer.cancel();
  std::vector<std::shared_ptr<Connection>> open;
  for (auto& [id, weak] : state_->connections)
    if (auto connection = weak.lock()) open.push_back(std::move(connection));
  for (auto& connection : open) connection->close();
  state_->connections.clear();
  // Released now, while what they refer to (the site) still exists; but not under a handler
  // that is running (a request that shuts the site down): that one is released once it
  // returns.
  if (state_->handlers_running == 0) {
    state_->api = nullptr;
    state_->status = nullptr;
  } else {
    asio::post(state_->acceptor.get_executor(),
               [api = std::exchange(state_->api, nullptr),
                status = std::exchange(state_->status, nullptr)] {});
  }
}

}  // namespace paxoskv::site
