#pragma once

#include <boost/asio/ip/udp.hpp>
#include <cstdint>
#include <map>
#include <random>

#include "net/client_protocol.hpp"
#include "net/udp_transport.hpp"
#include "paxoskv/replica.hpp"

namespace paxoskv::site {

// Serves the client protocol of a site: client_request datagrams become Replica submissions
// keyed by the client's RequestId, and each Completion for such an id goes back as a
// client_reply to the endpoint that asked last. A request already pending (a retry that
// arrived before the answer) is not submitted again; a retry of a write already applied is
// answered by Replica::submit from the state machine's per-client table. A `members` request
// is answered at once from what this site knows.
//
// Fault injection for tests: PAXOSKV_DROP_CLIENT_REPLIES=P (0 <= P <= 1) in the environment
// drops each client_reply with probability P instead of sending it, so clients must retry.
class ClientService {
 public:
  // `initial` is the configuration that governs slot 0 (what `members` answers as "initial");
  // it must outlive the service.
  ClientService(Replica& replica, net::UdpTransport& transport, const Cluster& initial);

  // Submits without flushing: the transport flushes once at the end of its batch.
  void on_request(const net::ClientRequest& request, const boost::asio::ip::udp::endpoint& from,
                  TimeMs now);
  // True when `completion` answered a client of this service (and was sent back).
  bool complete(const Completion& completion);
  std::size_t pending() const { return pending_.size(); }

 private:
  void answer_members(const net::ClientRequest& request, const boost::asio::ip::udp::endpoint& to);
  void send(const boost::asio::ip::udp::endpoint& to, net::ClientReply reply);

  Replica& replica_;
  net::UdpTransport& transport_;
  const Cluster& initial_;
  std::map<RequestId, boost::asio::ip::udp::endpoint> pending_;
  double drop_reply_probability_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace paxoskv::site
