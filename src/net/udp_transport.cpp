#include "net/udp_transport.hpp"

#include <cassert>
#include <sstream>
#include <stdexcept>

#include "log/log.hpp"
#include "net/codec.hpp"
#include "paxoskv/limits.hpp"

namespace paxoskv::net {

namespace asio = boost::asio;
using asio::ip::udp;

namespace {

// Datagrams handled before on_batch_end and a return to the io_context, so a flood on the
// socket cannot starve the timers and the shell.
constexpr std::size_t kMaxBatchDatagrams = 1024;
constexpr int kReceiveBufferBytes = 8 << 20;

std::string endpoint_text(const SiteInfo& site) {
  bool ipv6 = site.host.find(':') != std::string::npos;
  return (ipv6 ? "[" + site.host + "]" : site.host) + ":" + std::to_string(site.port);
}

// A host given by name may resolve to several addresses; every site of the cluster must pick
// the same one, so the choice is fixed: the first IPv4 address, else the first address.
udp::endpoint resolve(udp::resolver& resolver, const SiteInfo& site) {
  boost::system::error_code ec;
  auto results =
      resolver.resolve(site.host, std::to_string(site.port), udp::resolver::numeric_service, ec);
  if (ec || results.empty())
    throw std::runtime_error("cannot resolve host '" + site.host + "' of site " + site.name + ": " +
                             (ec ? ec.message() : "no address"));
  for (const auto& entry : results)
    if (entry.endpoint().address().is_v4()) return entry.endpoint();
  return results.begin()->endpoint();
}

asio::ip::address plain(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  return a;
}

// An IPv6 socket may report an IPv4 peer as ::ffff:a.b.c.d.
bool same_endpoint(const udp::endpoint& a, const udp::endpoint& b) {
  return a.port() == b.port() && plain(a.address()) == plain(b.address());
}

}  // namespace

UdpTransport::UdpTransport(asio::io_context& io, const Cluster& cluster, SiteId self)
    : cluster_(cluster),
      self_(self),
      socket_(io),
      link_failed_(cluster.size(), false),
      // Room for a sealed datagram of the largest size; one byte more tells oversize apart.
      buffer_(limits::max_datagram_bytes + MessageAuth::kOverheadBytes + 1) {
  assert(self < cluster.size());
  udp::resolver resolver(io);
  for (const SiteInfo& site : cluster.sites()) endpoints_.push_back(resolve(resolver, site));

  const udp::endpoint& local = endpoints_[self];
  boost::system::error_code ec;
  socket_.open(local.protocol(), ec);
  if (!ec) socket_.bind(local, ec);
  // Sends and the drain loop must never wait: UDP is lossy, and a full socket buffer is a loss.
  if (!ec) socket_.non_blocking(true, ec);
  // A site blocked in an fsync must not lose the datagrams that arrive meanwhile (a batch of
  // accepts or client requests): ask for a large receive buffer (the kernel caps it at
  // net.core.rmem_max; a smaller buffer is not an error).
  if (!ec) {
    boost::system::error_code ignored;
    socket_.set_option(asio::socket_base::receive_buffer_size(kReceiveBufferBytes), ignored);
  }
  if (ec) {
    std::string where = endpoint_text(cluster.site(self));
    std::ostringstream resolved;
    resolved << local;
    if (resolved.str() != where) where += " (" + resolved.str() + ")";
    throw std::runtime_error("cannot bind " + cluster.name(self) + " at " + where + ": " +
                             ec.message());
  }
}

void UdpTransport::set_members(const Cluster& members) {
  if (members.size() < cluster_.size()) return;
  udp::resolver resolver(socket_.get_executor());
  for (SiteId id = static_cast<SiteId>(endpoints_.size()); id < members.size(); ++id) {
    try {
      endpoints_.push_back(resolve(resolver, members.site(id)));
    } catch (const std::runtime_error& e) {
      PAXOSKV_LOG(error) << e.what() << ": nothing will be sent to it";
      endpoints_.emplace_back();
    }
  }
  cluster_ = members;
  link_failed_.resize(cluster_.size(), false);
}

void UdpTransport::start(MessageHandler on_message, BatchEndHandler on_batch_end) {
  assert(on_message && on_batch_end);
  assert(!on_message_);
  on_message_ = std::move(on_message);
  on_batch_end_ = std::move(on_batch_end);
  do_receive();
}

void UdpTransport::require_auth(std::string_view secret) {
  auth_ = std::make_unique<MessageAuth>(secret);
}

void UdpTransport::close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

void UdpTransport::set_link_failed(SiteId site, bool failed) {
  link_failed_.at(site) = failed;
}

void UdpTransport::do_receive() {
  socket_.async_receive_from(asio::buffer(buffer_), sender_,
                             [this](boost::system::error_code ec, std::size_t bytes) {
                               // Aborted means closed, perhaps destroyed: `this` is off limits.
                               if (ec != asio::error::operation_aborted) on_receive(ec, bytes);
                             });
}

void UdpTransport::on_receive(boost::system::error_code ec, std::size_t bytes) {
  if (!socket_.is_open()) return;
  if (ec) {
    PAXOSKV_LOG(debug) << "receive failed: " << ec.message();
  } else {
    handle_datagram(bytes);
    drain();
    on_batch_end_();
  }
  if (socket_.is_open()) do_receive();
}

// Reads what is already queued on the socket, so that one batch answers many messages.
void UdpTransport::drain() {
  for (std::size_t count = 1; count < kMaxBatchDatagrams && socket_.is_open(); ++count) {
    boost::system::error_code ec;
    std::size_t bytes = socket_.receive_from(asio::buffer(buffer_), sender_, 0, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) return;
    if (ec) {
      PAXOSKV_LOG(debug) << "receive failed: " << ec.message();
      return;
    }
    handle_datagram(bytes);
  }
}

void UdpTransport::handle_datagram(std::size_t bytes) {
  std::string_view datagram(buffer_.data(), bytes);
  if (auth_) {
    // Before any parser sees the bytes: an unauthenticated datagram is not even decoded.
    MessageAuth::Opened opened = auth_->open(buffer_.data(), bytes);
    if (opened.result != AuthResult::ok) {
      ++drops_.auth_failed;
      PAXOSKV_LOG(debug) << "dropped datagram of " << bytes << " bytes from " << sender_ << ": "
                         << auth_result_name(opened.result);
      return;
    }
    datagram = opened.body;
  }
  if (handle_client_datagram(datagram)) return;
  auto decoded = decode(datagram, cluster_);
  if (const DecodeError* error = std::get_if<DecodeError>(&decoded)) {
    ++(error->unknown_sender ? drops_.unknown_sender : drops_.malformed);
    PAXOSKV_LOG(debug) << "dropped " << (error->unknown_sender ? "" : "malformed ")
                       << "datagram from " << sender_ << ": " << error->what;
    return;
  }
  const Message& message = std::get<Message>(decoded);
  const std::string& name = cluster_.name(message.from);
  // Nothing legitimate claims to be this site: self-addressed messages never use the socket.
  if (message.from == self_ || !same_endpoint(sender_, endpoints_[message.from])) {
    ++drops_.unknown_sender;
    PAXOSKV_LOG(debug) << "dropped datagram claiming to be from " << name << " but sent from "
                       << sender_ << " instead of " << endpoints_[message.from];
    return;
  }
  if (link_failed_[message.from]) {
    ++drops_.link_failed;
    PAXOSKV_LOG(debug) << "dropped " << type_name(message.body) << " from " << name
                       << ": link failed";
    return;
  }
  PAXOSKV_LOG(trace) << "received " << describe(message.body) << " from " << name;
  on_message_(message);
}

// True when the datagram was a client_request (handed on or dropped as malformed).
bool UdpTransport::handle_client_datagram(std::string_view datagram) {
  if (!on_client_request_ || !looks_like_client_request(datagram)) return false;
  auto decoded = decode_client_request(datagram);
  if (const DecodeError* error = std::get_if<DecodeError>(&decoded)) {
    // Not a well-formed client_request: the site-message decoder decides (and counts) it.
    PAXOSKV_LOG(debug) << "not a client request from " << sender_ << ": " << error->what;
    return false;
  }
  PAXOSKV_LOG(trace) << "received client_request from " << sender_;
  on_client_request_(std::get<ClientRequest>(decoded), sender_);
  return true;
}

void UdpTransport::send_to_client(const udp::endpoint& to, std::string datagram) {
  if (!socket_.is_open()) return;
  if (auth_) auth_->seal(datagram);
  boost::system::error_code ec;
  socket_.send_to(asio::buffer(datagram), to, 0, ec);
  if (ec) PAXOSKV_LOG(debug) << "lost client_reply to " << to << ": " << ec.message();
}

// Self-addressed messages never reach the socket: the site delivers them internally, so a
// send to self is a bug of the caller.
void UdpTransport::send(const Envelope& envelope, bool same_as_previous) {
  assert(envelope.message.from == self_ && envelope.to != self_);
  if (envelope.to >= cluster_.size() || endpoints_[envelope.to].port() == 0) return;
  const std::string& name = cluster_.name(envelope.to);
  if (!same_as_previous) last_datagram_.reset();
  if (link_failed_[envelope.to]) {
    ++drops_.link_failed;
    PAXOSKV_LOG(debug) << "not sending " << type_name(envelope.message.body) << " to " << name
                       << ": link failed";
    return;
  }
  if (!socket_.is_open()) return;
  if (!last_datagram_) {
    std::string datagram = encode(envelope.message, cluster_);
    if (datagram.size() > limits::max_datagram_bytes) {
      // The core sizes its batches to fit; a peer would drop this as malformed anyway.
      PAXOSKV_LOG(error) << "not sending " << describe(envelope.message.body) << " to " << name
                         << ": " << datagram.size() << " bytes exceed the limit of "
                         << limits::max_datagram_bytes;
      return;
    }
    // The MAC covers the body only, so one sealed datagram serves every recipient.
    if (auth_) auth_->seal(datagram);
    last_datagram_ = std::move(datagram);
  }
  boost::system::error_code ec;
  socket_.send_to(asio::buffer(*last_datagram_), endpoints_[envelope.to], 0, ec);
  if (ec) {
    PAXOSKV_LOG(debug) << "lost " << type_name(envelope.message.body) << " to " << name << ": "
                       << ec.message();
    return;
  }
  PAXOSKV_LOG(trace) << "sent " << describe(envelope.message.body) << " to " << name;
}

}  // namespace paxoskv::net
