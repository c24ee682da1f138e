#include "site/client_service.hpp"

#include <cstdlib>
#include <string>

#include "core/members_json.hpp"
#include "log/log.hpp"

namespace paxoskv::site {

namespace {

// Bounds the requests one site holds for clients; beyond it new ones are dropped and the
// clients retry (a closed-loop client has one outstanding request).
constexpr std::size_t kMaxPendingClientRequests = 100'000;

double drop_probability_from_env() {
  const char* text = std::getenv("PAXOSKV_DROP_CLIENT_REPLIES");
  if (text == nullptr || *text == '\0') return 0;
  char* end = nullptr;
  double p = std::strtod(text, &end);
  if (end == text || *end != '\0' || !(p >= 0 && p <= 1)) {
    PAXOSKV_LOG(warning) << "ignoring PAXOSKV_DROP_CLIENT_REPLIES='" << text
                         << "': not a probability";
    return 0;
  }
  PAXOSKV_LOG(warning) << "fault injection: dropping client replies with probability " << p;
  return p;
}

}  // namespace

ClientService::ClientService(Replica& replica, net::UdpTransport& transport, const Cluster& initial)
    : replica_(replica),
      transport_(transport),
      initial_(initial),
      drop_reply_probability_(drop_probability_from_env()),
      rng_(std::random_device{}()) {}

void ClientService::on_request(const net::ClientRequest& request,
                               const boost::asio::ip::udp::endpoint& from, TimeMs now) {
  if (request.op == net::ClientOp::members) return answer_members(request, from);
  auto [it, fresh] = pending_.try_emplace(request.id(), from);
  if (!fresh) {
    it->second = from;  // a retry while pending: answer wherever the client listens now
    return;
  }
  if (pending_.size() > kMaxPendingClientRequests) {
    pending_.erase(it);
    return;
  }
  if (request.is_read())
    replica_.submit_read(request.id(), request.key, now);
  else
    replica_.submit(request.command(), now);
}

bool ClientService::complete(const Completion& completion) {
  auto it = pending_.find(completion.id);
  if (it == pending_.end()) return false;
  boost::asio::ip::udp::endpoint to = it->second;
  pending_.erase(it);
  send(to, net::ClientReply{completion.id.client, completion.id.seq, completion.ok,
                            completion.value, completion.reason, ""});
  return true;
}

void ClientService::answer_members(const net::ClientRequest& request,
                                   const boost::asio::ip::udp::endpoint& to) {
  send(to,
       net::ClientReply{request.client, request.seq, true,
                        encode_known_members(KnownMembers{initial_, replica_.members()}), "", ""});
}

void ClientService::send(const boost::asio::ip::udp::endpoint& to, net::ClientReply reply) {
  // The leader may have joined after this site started: the transport's configuration, which
  // names every site this one has heard, names it.
  if (std::optional<SiteId> leader = replica_.status().leader)
    reply.leader = transport_.members().name(*leader);
  if (drop_reply_probability_ > 0 &&
      std::uniform_real_distribution<double>(0, 1)(rng_) < drop_reply_probability_) {
    PAXOSKV_LOG(info) << "fault injection: dropped client_reply " << reply.client << "/"
                      << reply.seq;
    return;
  }
  transport_.send_to_client(to, net::encode(reply));
}

}  // namespace paxoskv::site
