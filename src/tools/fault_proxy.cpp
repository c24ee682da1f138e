// paxoskv-faultproxy: a transparent UDP proxy that drops, duplicates, delays and so reorders
// datagrams, for the real-network fault tests (tests/net). Linux only; needs CAP_NET_ADMIN.
//
//   paxoskv-faultproxy [--port N] [--drop P] [--duplicate P] [--delay-min-ms N]
//                      [--delay-max-ms N] [--seed N]
//
// It runs in a router namespace where iptables' TPROXY target hands it forwarded datagrams
// (`-t mangle -A PREROUTING -p udp -j TPROXY --on-port N --tproxy-mark 0x1/0x1` plus a policy
// route of that mark to the local table). The listening socket is IP_TRANSPARENT and asks for
// IP_RECVORIGDSTADDR, so each datagram comes with the address it was sent to. Each copy is
// sent on from a socket bound (IP_TRANSPARENT) to the datagram's own source address and port:
// the receiver sees exactly the source it would have seen without the proxy, which the sites
// check against their hosts file. The decisions are faultproxy::FaultLine's.
//
// It prints `listening on port N` once ready, and the counts (`received=… dropped=…`) when
// it ends: at SIGINT, SIGTERM or the end of its stdin.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio.hpp>
#include <chrono>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include "faultproxy/fault_line.hpp"

namespace {

namespace asio = boost::asio;
using namespace paxoskv::faultproxy;
using Clock = std::chrono::steady_clock;

constexpr int kExitUsage = 2;
constexpr std::size_t kMaxDatagramBytes = 65'536;
// One sending socket per source endpoint; the sources are the sites, a handful.
constexpr std::size_t kMaxSources = 1'024;

const char* const kUsage =
    "usage: paxoskv-faultproxy [--port N] [--drop P] [--duplicate P] [--delay-min-ms N]\n"
    "                          [--delay-max-ms N] [--seed N]\n";

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "paxoskv-faultproxy: " << problem << '\n' << kUsage;
  std::exit(kExitUsage);
}

double number(const std::string& flag, const std::string& text) {
  try {
    std::size_t used = 0;
    double v = std::stod(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  usage(flag + " needs a number, not '" + text + "'");
}

struct Options {
  std::uint16_t port = 9999;
  FaultOptions faults;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      std::exit(0);
    }
    if (i + 1 >= argc) usage(flag + " needs a value");
    std::string value = argv[++i];
    double v = number(flag, value);
    if (flag == "--port") {
      if (v < 1 || v > 65535 || v != static_cast<int>(v)) usage("--port needs 1 to 65535");
      o.port = static_cast<std::uint16_t>(v);
    } else if (flag == "--drop") {
      o.faults.drop = v;
    } else if (flag == "--duplicate") {
      o.faults.duplicate = v;
    } else if (flag == "--delay-min-ms") {
      o.faults.delay_min_ms = static_cast<std::int64_t>(v);
    } else if (flag == "--delay-max-ms") {
      o.faults.delay_max_ms = static_cast<std::int64_t>(v);
    } else if (flag == "--seed") {
      o.faults.seed = static_cast<std::uint64_t>(v);
    } else {
      usage("unknown option '" + flag + "'");
    }
  }
  if (auto problem = check(o.faults)) usage(*problem);
  return o;
}

sockaddr_in to_sockaddr(const Endpoint& e) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(e.address);
  addr.sin_port = htons(e.port);
  return addr;
}

void set_option(int fd, int level, int name, const char* what) {
  int on = 1;
  if (::setsockopt(fd, level, name, &on, sizeof on) != 0)
    throw std::runtime_error(std::string("setsockopt ") + what + ": " + std::strerror(errno));
}

class Proxy {
 public:
  Proxy(asio::io_context& io, const Options& options)
      : io_(io),
        listener_(io),
        timer_(io),
        input_(io, ::dup(0)),
        line_(options.faults),
        start_(Clock::now()),
        buffer_(kMaxDatagramBytes) {
    listener_.open(asio::ip::udp::v4());
    set_option(listener_.native_handle(), SOL_IP, IP_TRANSPARENT, "IP_TRANSPARENT");
    set_option(listener_.native_handle(), SOL_IP, IP_RECVORIGDSTADDR, "IP_RECVORIGDSTADDR");
    listener_.bind(asio::ip::udp::endpoint(asio::ip::address_v4::any(), options.port));
    listener_.non_blocking(true);
    wait_readable();
    watch_stdin();
  }

  void stop() {
    if (stopped_) return;
    stopped_ = true;
    std::cout << describe(line_.stats()) << " send_errors=" << send_errors_ << std::endl;
    io_.stop();
  }

 private:
  std::int64_t now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start_).count();
  }

  void wait_readable() {
    listener_.async_wait(asio::socket_base::wait_read, [this](boost::system::error_code ec) {
      if (ec) return;
      drain();
      schedule();
      wait_readable();
    });
  }

  // Reads every datagram already queued, each with its original destination.
  void drain() {
    for (;;) {
      sockaddr_in source{};
      iovec iov{buffer_.data(), buffer_.size()};
      alignas(cmsghdr) char control[CMSG_SPACE(sizeof(sockaddr_in))];
      msghdr msg{};
      msg.msg_name = &source;
      msg.msg_namelen = sizeof source;
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      ssize_t n = ::recvmsg(listener_.native_handle(), &msg, MSG_DONTWAIT);
      if (n < 0) return;  // EAGAIN: drained (other errors: the next wait tells)
      std::optional<Endpoint> destination;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_ORIGDSTADDR) {
          sockaddr_in original{};
          std::memcpy(&original, CMSG_DATA(c), sizeof original);
          destination = Endpoint{ntohl(original.sin_addr.s_addr), ntohs(original.sin_port)};
        }
      }
      // Without its original destination a datagram cannot be passed on: it was sent to the
      // proxy's own port directly, not diverted.
      if (!destination) continue;
      Endpoint from{ntohl(source.sin_addr.s_addr), ntohs(source.sin_port)};
      line_.arrive(Datagram{from, *destination, std::string(buffer_.data(), std::size_t(n))},
                   now_ms());
    }
  }

  void schedule() {
    auto due = line_.next_due_ms();
    if (!due) return;
    timer_.expires_at(start_ + std::chrono::milliseconds(*due));
    timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;  // re-armed by a later schedule()
      for (const Datagram& d : line_.take_due(now_ms())) send(d);
      schedule();
    });
  }

  void send(const Datagram& d) {
    int fd = sender_for(d.source);
    if (fd < 0) {
      ++send_errors_;
      return;
    }
    sockaddr_in to = to_sockaddr(d.destination);
    if (::sendto(fd, d.bytes.data(), d.bytes.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&to),
                 sizeof to) < 0)
      ++send_errors_;  // a full buffer or an unreachable site: a lost datagram
  }

  // A socket bound to `source` itself (not an address of this namespace: IP_TRANSPARENT).
  int sender_for(const Endpoint& source) {
    auto it = senders_.find(source);
    if (it != senders_.end()) return it->second->native_handle();
    if (senders_.size() >= kMaxSources) return -1;
    auto socket = std::make_unique<asio::ip::udp::socket>(io_, asio::ip::udp::v4());
    int fd = socket->native_handle();
    set_option(fd, SOL_IP, IP_TRANSPARENT, "IP_TRANSPARENT");
    set_option(fd, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR");
    sockaddr_in addr = to_sockaddr(source);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      std::cerr << "paxoskv-faultproxy: cannot bind a sender to the source: "
                << std::strerror(errno) << '\n';
      return -1;
    }
    senders_.emplace(source, std::move(socket));
    return fd;
  }

  void watch_stdin() {
    input_.async_read_some(asio::buffer(stdin_buffer_),
                           [this](boost::system::error_code ec, std::size_t) {
                             if (ec) {
                               stop();  // end of stdin: the harness that started us is done or gone
                               return;
                             }
                             watch_stdin();
                           });
  }

  asio::io_context& io_;
  asio::ip::udp::socket listener_;
  asio::steady_timer timer_;
  asio::posix::stream_descriptor input_;
  FaultLine line_;
  Clock::time_point start_;
  std::vector<char> buffer_;
  std::map<Endpoint, std::unique_ptr<asio::ip::udp::socket>> senders_;
  std::uint64_t send_errors_ = 0;
  bool stopped_ = false;
  char stdin_buffer_[256];
};

}  // namespace

int main(int argc, char** argv) {
  Options options = parse(argc, argv);
  asio::io_context io;
  try {
    Proxy proxy(io, options);
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code ec, int) {
      if (!ec) proxy.stop();
    });
    std::cout << "listening on port " << options.port << std::endl;
    io.run();
  } catch (const std::exception& e) {
    std::cerr << "paxoskv-faultproxy: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
