#include "client/client.hpp"

#include <cassert>
#include <random>
#include <stdexcept>

#include "paxoskv/limits.hpp"

namespace paxoskv::client {

namespace asio = boost::asio;
using asio::ip::udp;

std::uint64_t random_client_id() {
  std::random_device device;
  std::uint64_t id = 0;
  while (id == 0) id = ((std::uint64_t{device()} << 32) | device()) & limits::max_client_id;
  return id;
}

Session::Session(asio::io_context& io, const Cluster& cluster, SessionOptions options)
    : cluster_(cluster),
      options_(options),
      socket_(io),
      timer_(io),
      client_id_(random_client_id()),
      target_(options.first_site),
      buffer_(limits::max_datagram_bytes + net::MessageAuth::kOverheadBytes + 1) {
  assert(cluster.size() > 0 && options.first_site < cluster.size());
  udp::resolver resolver(io);
  for (const SiteInfo& site : cluster.sites()) {
    auto results =
        resolver.resolve(site.host, std::to_string(site.port), udp::resolver::numeric_service);
    if (results.empty()) throw std::runtime_error("cannot resolve host of site " + site.name);
    udp::endpoint chosen = results.begin()->endpoint();
    for (const auto& entry : results)
      if (entry.endpoint().address().is_v4()) {
        chosen = entry.endpoint();
        break;
      }
    sites_.push_back(chosen);
  }
  socket_.open(sites_.front().protocol());
  socket_.bind(udp::endpoint(sites_.front().protocol(), 0));
  receive();
}

void Session::close() {
  boost::system::error_code ignored;
  timer_.cancel();
  socket_.close(ignored);
}

void Session::request(net::ClientOp op, std::string key, std::string value, Done done) {
  request(op, std::move(key), std::move(value), std::string(), std::move(done));
}

void Session::request(net::ClientOp op, std::string key, std::string value, std::string expected,
                      Done done) {
  assert(!busy() && done);
  done_ = std::move(done);
  attempt_ = 0;
  // Neither changes anything, so a timeout leaves no outcome unknown.
  is_read_ = op == net::ClientOp::get || op == net::ClientOp::members;
  datagram_ = net::encode(net::ClientRequest{client_id_, ++seq_, op, std::move(key),
                                             std::move(value), std::move(expected)});
  if (options_.auth) options_.auth->seal(datagram_);
  if (options_.health && options_.health->suspect(target_, SiteHealth::Clock::now()))
    target_ = next_site();
  send_attempt();
}

SiteId Session::next_site() const {
  const auto now = SiteHealth::Clock::now();
  SiteId next = target_;
  for (std::size_t i = 0; i < sites_.size(); ++i) {
    next = static_cast<SiteId>((next + 1) % sites_.size());
    if (!options_.health || !options_.health->suspect(next, now)) return next;
  }
  return static_cast<SiteId>((target_ + 1) % sites_.size());
}

void Session::send_attempt() {
  ++attempt_;
  boost::system::error_code ec;
  socket_.send_to(asio::buffer(datagram_), sites_[target_], 0, ec);
  if (attempt_ > 1 && options_.health) {
    // A retry: the site tried last did not answer, and the leader it stood for may have moved
    // or gone with it. Every site not known to be down gets the request too (retries of one
    // seq are applied once, and the first answer wins), so the request does not wait out one
    // timeout per dead site on its way round, and the answer names the leader to go to next.
    const auto now = SiteHealth::Clock::now();
    for (SiteId s = 0; s < sites_.size(); ++s)
      if (s != target_ && !options_.health->suspect(s, now))
        socket_.send_to(asio::buffer(datagram_), sites_[s], 0, ec);
  }
  // A failed send is a lost datagram: the timeout moves on to the next site.
  arm_timeout();
}

void Session::arm_timeout() {
  timer_.expires_after(std::chrono::milliseconds(options_.attempt_timeout_ms));
  // A cancelled wait whose handler was already queued still runs: the generation tells.
  std::uint64_t generation = ++timer_generation_;
  timer_.async_wait([this, generation](const boost::system::error_code& error) {
    if (error || !busy() || generation != timer_generation_) return;
    if (attempt_ >= options_.max_attempts) {
      // Like the site's: a write that timed out may still be applied later.
      const std::string no_reply = "(no reply after " + std::to_string(attempt_) + " attempts)";
      finish(Result{false, std::nullopt,
                    (is_read_ ? "timed out " : "timed out, outcome unknown ") + no_reply,
                    attempt_});
      return;
    }
    if (options_.health) options_.health->timed_out(target_, SiteHealth::Clock::now());
    target_ = next_site();
    send_attempt();
  });
}

void Session::receive() {
  socket_.async_receive_from(asio::buffer(buffer_), sender_,
                             [this](boost::system::error_code ec, std::size_t bytes) {
                               if (ec == asio::error::operation_aborted) return;
                               if (!ec) on_datagram(bytes);
                               if (socket_.is_open()) receive();
                             });
}

void Session::on_datagram(std::size_t bytes) {
  std::string_view datagram(buffer_.data(), bytes);
  if (options_.auth) {
    // A forged reply could fake a completion: without a valid MAC it is not even parsed.
    auto opened = options_.auth->open(buffer_.data(), bytes);
    if (opened.result != net::AuthResult::ok) return;
    datagram = opened.body;
  }
  auto decoded = net::decode_client_reply(datagram);
  const auto* reply = std::get_if<net::ClientReply>(&decoded);
  // Stale replies (an earlier seq, answered after a retry) and strangers are ignored.
  if (reply == nullptr || !busy() || reply->client != client_id_ || reply->seq != seq_) return;
  if (options_.health)
    for (SiteId s = 0; s < sites_.size(); ++s)
      if (sites_[s] == sender_) options_.health->answered(s);
  if (options_.follow_leader_hint && !reply->leader.empty())
    if (auto leader = cluster_.find(reply->leader)) target_ = *leader;
  timer_.cancel();
  ++timer_generation_;
  finish(Result{reply->ok, reply->value, reply->error, attempt_});
}

void Session::finish(Result result) {
  Done done = std::move(done_);
  done_ = nullptr;
  done(result);
}

}  // namespace paxoskv::client
