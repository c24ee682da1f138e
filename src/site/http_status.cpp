#include "site/http_status.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <optional>
#include <stdexcept>

#include "log/log.hpp"
#include "site/metrics.hpp"
#include "site/site.hpp"
#include "site/status_page.hpp"

namespace paxoskv::site {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// Limits of one connection: what a request may be, how long it may take, how many at once.
constexpr std::size_t kMaxHeaderBytes = 8 * 1024;
constexpr std::size_t kMaxBodyBytes = 8 * 1024;
constexpr auto kIoTimeout = std::chrono::seconds(5);
constexpr std::size_t kMaxConnections = 32;
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);
constexpr unsigned kHttp11 = 11;  // Beast's version number of HTTP/1.1

HttpReply text_reply(unsigned status, std::string body) {
  return HttpReply{status, "text/plain; charset=utf-8", std::move(body)};
}

bool is_parse_error(const boost::system::error_code& error) {
  return error.category() == http::make_error_code(http::error::bad_method).category();
}

}  // namespace

HttpReply route_status_request(Site& site, std::string_view method, std::string_view target) {
  if (target.empty() || target.front() != '/') return text_reply(400, "bad request target\n");
  std::string_view path = target.substr(0, target.find('?'));
  if (path != "/" && path != "/metrics") return text_reply(404, "not found\n");
  if (method != "GET") return text_reply(405, "only GET is served\n");
  const Replica& replica = site.replica();
  if (path == "/metrics") {
    MetricsSnapshot snapshot{site.cluster(),           replica.status(),      replica.kv().size(),
                             site.transport().drops(), site.fault_counters(), site.metrics()};
    return HttpReply{200, "text/plain; version=0.0.4; charset=utf-8", format_prometheus(snapshot)};
  }
  StatusPageData data{site.cluster(), replica.status(), replica.log(), replica.kv(),
                      site.transport().drops()};
  return HttpReply{200, "text/html; charset=utf-8", render_status_page(data)};
}

// Shared by the server and its connections: a connection that outlives the server (its
// handler still queued when the site stops) finds `stopped` and touches nothing else.
struct HttpServerState : std::enable_shared_from_this<HttpServerState> {
  HttpServerState(asio::io_context& io, Site& site) : site(site), acceptor(io), retry_timer(io) {}

  void accept();

  Site& site;
  tcp::acceptor acceptor;
  asio::steady_timer retry_timer;
  std::size_t connections = 0;
  bool stopped = false;
};

namespace {

// One connection: read one request, write one answer, close.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, std::shared_ptr<HttpServerState> server)
      : stream_(std::move(socket)), server_(std::move(server)) {}
  ~Connection() { --server_->connections; }

  void start() {
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    parser_->body_limit(kMaxBodyBytes);
    stream_.expires_after(kIoTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code error, std::size_t) {
                       self->on_read(error);
                     });
  }

 private:
  void on_read(const beast::error_code& error) {
    if (server_->stopped) return;
    if (error) {
      // A client that went away or timed out gets nothing; a malformed request gets 400.
      if (is_parse_error(error) && error != http::error::end_of_stream)
        return respond(text_reply(400, "bad request: " + error.message() + "\n"), kHttp11);
      return;
    }
    const auto& request = parser_->get();
    respond(route_status_request(server_->site, request.method_string(), request.target()),
            request.version());
  }

  void respond(HttpReply reply, unsigned version) {
    response_.version(version);
    response_.result(reply.status);
    response_.set(http::field::server, "paxoskv");
    response_.set(http::field::content_type, reply.content_type);
    response_.set(http::field::cache_control, "no-store");
    if (reply.status == 405) response_.set(http::field::allow, "GET");
    response_.keep_alive(false);
    response_.body() = std::move(reply.body);
    response_.prepare_payload();
    stream_.expires_after(kIoTimeout);
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code, std::size_t) {
                        beast::error_code ignored;
                        self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                      });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  std::shared_ptr<HttpServerState> server_;
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
    if (self->connections < kMaxConnections) {
      ++self->connections;
      std::make_shared<Connection>(std::move(socket), self)->start();
    }  // else the socket closes here: too many clients at once
    self->accept();
  });
}

HttpStatusServer::HttpStatusServer(asio::io_context& io, Site& site, std::uint16_t port)
    : state_(std::make_shared<HttpServerState>(io, site)) {
  tcp::endpoint endpoint(asio::ip::make_address_v4("127.0.0.1"), port);
  beast::error_code error;
  tcp::acceptor& acceptor = state_->acceptor;
  acceptor.open(endpoint.protocol(), error);
  if (!error) acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error)
    throw std::runtime_error("--http: cannot serve on 127.0.0.1:" + std::to_string(port) + ": " +
                             error.message());
  PAXOSKV_LOG(info) << "status page on http://127.0.0.1:" << port << "/";
  state_->accept();
}

HttpStatusServer::~HttpStatusServer() {
  stop();
}

void HttpStatusServer::stop() {
  if (state_->stopped) return;
  state_->stopped = true;
  beast::error_code ignored;
  state_->acceptor.close(ignored);
  state_->retry_timer.cancel();
}

}  // namespace paxoskv::site
