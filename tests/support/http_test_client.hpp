#pragma once

// A small blocking HTTP/1.1 client for the tests of the HTTP server (unit and e2e): it sends
// exactly the bytes a test gives it, keeps its connection open across requests, and says when
// the server closed it. Every wait is a poll() with a deadline.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace paxoskv::test {

struct HttpTestResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;

  // The first value of header `name` (lower case), "" if absent.
  std::string header(std::string_view name) const {
    for (const auto& [key, value] : headers)
      if (key == name) return value;
    return {};
  }
};

class HttpTestClient {
 public:
  using Clock = std::chrono::steady_clock;

  // Connects to `address` (an IPv4 or IPv6 literal) and `port`; see connected(). With a
  // deadline, a connection not made by then is given up.
  HttpTestClient(const std::string& address, std::uint16_t port,
                 std::optional<Clock::time_point> connect_deadline = std::nullopt) {
    sockaddr_storage storage{};
    socklen_t length = 0;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
    if (::inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
      v4->sin_family = AF_INET;
      v4->sin_port = htons(port);
      length = sizeof *v4;
    } else if (::inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
      v6->sin6_family = AF_INET6;
      v6->sin6_port = htons(port);
      length = sizeof *v6;
    } else {
      return;
    }
    fd_ = ::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return;
    if (!connect_deadline) {
      if (::connect(fd_, reinterpret_cast<sockaddr*>(&storage), length) != 0) close();
      return;
    }
    const int flags = ::fcntl(fd_, F_GETFL);
    ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&storage), length) != 0 &&
        (errno != EINPROGRESS || !wait_connected(*connect_deadline))) {
      close();
      return;
    }
    ::fcntl(fd_, F_SETFL, flags);
  }
  ~HttpTestClient() { close(); }
  HttpTestClient(const HttpTestClient&) = delete;
  HttpTestClient& operator=(const HttpTestClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  // Connected, and the server has not ended the connection (checked without waiting).
  bool still_open() {
    if (fd_ < 0 || eof_) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return true;
    char byte = 0;
    return ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
  }
  // The connection was reset (the server closed it on bytes it had not read: a send failed,
  // or a receive), rather than ended in order.
  bool was_reset() const { return reset_; }

  // False if the connection is gone (reset, closed).
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      if (fd_ < 0) return false;
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        reset_ = reset_ || (n < 0 && (errno == ECONNRESET || errno == EPIPE));
        return false;
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // The next response, framed by Content-Length (or by the close, without one); nullopt if the
  // connection ended first or at the deadline. An interim one (100 Continue) is skipped unless
  // `interim` asks for it.
  std::optional<HttpTestResponse> read_response(Clock::time_point deadline, bool interim = false) {
    for (;;) {
      std::size_t end = 0;
      while ((end = received_.find("\r\n\r\n")) == std::string::npos)
        if (!receive(deadline)) return std::nullopt;
      HttpTestResponse response = parse_head(received_.substr(0, end));
      received_.erase(0, end + 4);
      if (response.status >= 100 && response.status < 200) {
        if (interim) return response;
        continue;
      }
      const std::string length = response.header("content-length");
      if (length.empty()) {
        while (receive(deadline)) {
        }
        if (!eof_) return std::nullopt;
        response.body = std::move(received_);
        received_.clear();
        return response;
      }
      const auto size = static_cast<std::size_t>(std::strtoull(length.c_str(), nullptr, 10));
      while (received_.size() < size)
        if (!receive(deadline)) return std::nullopt;
      response.body = received_.substr(0, size);
      received_.erase(0, size);
      return response;
    }
  }

  // Sends `request` and reads its response.
  std::optional<HttpTestResponse> exchange(std::string_view request, Clock::time_point deadline) {
    if (!send(request)) return std::nullopt;
    return read_response(deadline);
  }

  // True once the server has closed the connection (end of file or reset), false at the
  // deadline. Whatever arrives meanwhile is kept for read_response().
  bool wait_closed(Clock::time_point deadline) {
    while (!eof_)
      if (!receive(deadline) && !eof_) return false;
    return true;
  }

  // Ends the sending side only: the server sees end of file, the client can still read.
  void shutdown_send() {
    if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
  }

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  // A non-blocking connect in progress: true once it is made, false if it failed or the
  // deadline came first.
  bool wait_connected(Clock::time_point deadline) {
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLOUT, 0};
      int ready = ::poll(&p, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) continue;
      int error = 0;
      socklen_t size = sizeof error;
      return ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &size) == 0 && error == 0;
    }
  }

  // Reads what is there, waiting until the deadline for it; false at the deadline or at the
  // end of the connection (eof_ set).
  bool receive(Clock::time_point deadline) {
    if (fd_ < 0 || eof_) return false;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      int ready = ::poll(&p, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) continue;
      char buffer[16384];
      ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        eof_ = true;
        reset_ = reset_ || (n < 0 && errno == ECONNRESET);
        return false;
      }
      received_.append(buffer, static_cast<std::size_t>(n));
      return true;
    }
  }

  static HttpTestResponse parse_head(const std::string& head) {
    HttpTestResponse response;
    if (head.rfind("HTTP/1.", 0) == 0 && head.size() >= 12)
      response.status = std::atoi(head.substr(9, 3).c_str());
    std::size_t at = head.find("\r\n");
    while (at != std::string::npos) {
      const std::size_t start = at + 2;
      const std::size_t next = head.find("\r\n", start);
      const std::string line = head.substr(start, next == std::string::npos ? next : next - start);
      const std::size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& c : name)
          if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        std::size_t value_start = line.find_first_not_of(' ', colon + 1);
        response.headers.emplace_back(
            name, value_start == std::string::npos ? "" : line.substr(value_start));
      }
      at = next;
    }
    return response;
  }

  int fd_ = -1;
  std::string received_;  // bytes read and not yet returned
  bool eof_ = false;      // closed, or reset
  bool reset_ = false;
};

// "METHOD TARGET HTTP/1.1" with a Host header, `headers` (each ending in \r\n) and `body`
// (with its Content-Length when there is one).
inline std::string http_request(std::string_view method, std::string_view target,
                                std::string_view headers = {}, std::string_view body = {}) {
  std::string request = std::string(method) + " " + std::string(target) +
                        " HTTP/1.1\r\nHost: paxoskv\r\n" + std::string(headers);
  if (!body.empty()) request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  request += "\r\n";
  request += body;
  return request;
}

}  // namespace paxoskv::test
