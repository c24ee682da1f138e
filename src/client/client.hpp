#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/site_health.hpp"
#include "net/client_protocol.hpp"
#include "net/message_auth.hpp"
#include "paxoskv/cluster.hpp"

namespace paxoskv::client {

// Bounds and timing of one client session.
struct SessionOptions {
  // An attempt unanswered for this long is sent again, to the next site.
  std::int64_t attempt_timeout_ms = 1000;
  // After this many attempts the request fails ("timed out, outcome unknown (no reply after N
  // attempts)"; a get only "timed out").
  int max_attempts = 12;
  // Site tried first; later attempts go round the hosts file from there.
  SiteId first_site = 0;
  // Go where a reply says the leader is, for the following requests.
  bool follow_leader_hint = true;
  // --secret: seal every request and accept only replies with a valid MAC. May be shared by
  // the sessions of one thread.
  std::shared_ptr<net::MessageAuth> auth;
  // Shared by the sessions of one process: sites that timed out lately are skipped when an
  // attempt moves on, and a retry goes to every other site as well (null: one site per
  // attempt, every site in turn).
  std::shared_ptr<SiteHealth> health;
};

struct Result {
  bool ok = false;
  std::optional<std::string> value;  // a get's value; nullopt is null
  std::string error;                 // why it failed
  int attempts = 0;
};

// One client of the cluster over UDP: a client id (random, below 2^53), a sequence number
// that grows with every new request, and one request outstanding at a time. A request that
// is not answered in time is sent again with the same (client, seq) to the next site, so a
// write that did reach the log is still applied once. Its own socket on an ephemeral port.
class Session {
 public:
  using Done = std::function<void(const Result&)>;

  Session(boost::asio::io_context& io, const Cluster& cluster, SessionOptions options);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Starts a request; `done` runs on the io_context when it ends. One at a time.
  void request(net::ClientOp op, std::string key, std::string value, Done done);
  // A cas: `value` on the condition that the key holds `expected`.
  void request(net::ClientOp op, std::string key, std::string value, std::string expected,
               Done done);
  bool busy() const { return static_cast<bool>(done_); }
  std::uint64_t client_id() const { return client_id_; }
  void close();

 private:
  void send_attempt();
  // The site after `target_` in hosts-file order that has not timed out lately (any, if all
  // have).
  SiteId next_site() const;
  void arm_timeout();
  void receive();
  void on_datagram(std::size_t bytes);
  void finish(Result result);

  const Cluster& cluster_;
  SessionOptions options_;
  boost::asio::ip::udp::socket socket_;
  boost::asio::steady_timer timer_;
  std::vector<boost::asio::ip::udp::endpoint> sites_;
  std::uint64_t client_id_ = 0;
  std::uint64_t seq_ = 0;
  SiteId target_ = 0;
  int attempt_ = 0;
  bool is_read_ = false;  // the outstanding request is a get or a members
  std::uint64_t timer_generation_ = 0;
  std::string datagram_;
  Done done_;
  std::vector<char> buffer_;
  boost::asio::ip::udp::endpoint sender_;
};

// A fresh random client id in [1, 2^53 - 1]. Never persisted: every process is a new client.
std::uint64_t random_client_id();

}  // namespace paxoskv::client
