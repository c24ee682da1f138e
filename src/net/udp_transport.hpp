#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/client_protocol.hpp"
#include "net/drop_counters.hpp"
#include "net/message_auth.hpp"
#include "paxoskv/cluster.hpp"
#include "paxoskv/message.hpp"

namespace paxoskv::net {

// Owns the site's UDP socket (in the style of Asio's async UDP echo server). Receives
// datagrams, decodes them, checks the sender's endpoint against the hosts file and hands
// each good message to `on_message`; after draining everything already queued on the socket
// it calls `on_batch_end`, so the site can persist and answer a whole batch at once.
class UdpTransport {
 public:
  using MessageHandler = std::function<void(const Message&)>;
  using BatchEndHandler = std::function<void()>;

  // Resolves every site's endpoint and binds this site's. Throws std::runtime_error with a
  // message for the user if a host does not resolve or the endpoint cannot be bound.
  UdpTransport(boost::asio::io_context& io, const Cluster& cluster, SiteId self);

  void start(MessageHandler on_message, BatchEndHandler on_batch_end);
  // --secret: from now on every datagram sent is sealed with HMAC-SHA256 under `secret`, and
  // every datagram received must carry a valid MAC or is dropped (see net/message_auth.hpp).
  void require_auth(std::string_view secret);
  // Never throws and never blocks; a datagram the socket cannot take now is lost, as UDP may
  // lose it anyway. `envelope.to` must not be this site: the site delivers those itself.
  //
  // `same_as_previous` says that the message is the one of the previous send() (an accept or a
  // commit to several sites): the datagram built for that send is sent again, not rebuilt.
  void send(const Envelope& envelope, bool same_as_previous = false);
  void close();

  // The latest configuration (Replica::members): sites added since are resolved and reachable
  // from now on. Ids only grow and a site keeps its endpoint for good; a host that does not
  // resolve is logged, and traffic to that site dropped. A configuration with fewer sites than
  // the transport has is older than its own and ignored: a site that joined starts with the
  // latest configuration it was told, while its log replays from the initial one.
  void set_members(const Cluster& members);
  // The configuration the transport works with: it names every site a message may come from.
  const Cluster& members() const { return cluster_; }

  // `faillink SITE` / `fixlink SITE`: drop all traffic to and from SITE.
  void set_link_failed(SiteId site, bool failed);
  bool link_failed(SiteId site) const { return link_failed_.at(site); }

  const DropCounters& drops() const { return drops_; }

  // Client protocol: `client_request` is the one type accepted from any endpoint (a client is
  // not in the hosts file). Without a handler such datagrams are dropped like any other.
  using ClientRequestHandler =
      std::function<void(const ClientRequest&, const boost::asio::ip::udp::endpoint&)>;
  void on_client_request(ClientRequestHandler handler) { on_client_request_ = std::move(handler); }
  // Sends one datagram to a client endpoint; never throws or blocks, like send().
  void send_to_client(const boost::asio::ip::udp::endpoint& to, std::string datagram);

 private:
  void do_receive();
  void on_receive(boost::system::error_code ec, std::size_t bytes);
  void drain();
  void handle_datagram(std::size_t bytes);
  bool handle_client_datagram(std::string_view datagram);

  Cluster cluster_;
  SiteId self_;
  boost::asio::ip::udp::socket socket_;
  std::vector<boost::asio::ip::udp::endpoint> endpoints_;
  std::vector<bool> link_failed_;
  std::vector<char> buffer_;
  std::optional<std::string> last_datagram_;  // sealed, for a send with same_as_previous
  boost::asio::ip::udp::endpoint sender_;
  MessageHandler on_message_;
  BatchEndHandler on_batch_end_;
  ClientRequestHandler on_client_request_;
  DropCounters drops_;
  std::unique_ptr<MessageAuth> auth_;  // null without --secret
};

}  // namespace paxoskv::net
