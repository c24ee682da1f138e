#include "site/site.hpp"

#include <cassert>
#include <chrono>
#include <random>

#include "log/log.hpp"

namespace paxoskv::site {

namespace {

constexpr auto kTickInterval = std::chrono::milliseconds(10);

// True when `b` is `a` addressed to another site: an accept or a commit the core copied for
// each recipient. Within one ballot a slot carries one value, and a decided slot has one
// value, so the ballot and the slots (with the command ids, for good measure) settle it
// without comparing the commands themselves.
bool same_wire_body(const Message& a, const Message& b) {
  auto same_entries = [](const std::vector<SlotCommand>& x, const std::vector<SlotCommand>& y) {
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (x[i].slot != y[i].slot || x[i].command.id != y[i].command.id) return false;
    return true;
  };
  if (a.from != b.from) return false;
  if (const auto* x = std::get_if<Accept>(&a.body)) {
    const auto* y = std::get_if<Accept>(&b.body);
    return y && x->ballot == y->ballot && x->decided_end == y->decided_end &&
           same_entries(x->entries, y->entries);
  }
  if (const auto* x = std::get_if<Commit>(&a.body)) {
    const auto* y = std::get_if<Commit>(&b.body);
    return y && x->decided_end == y->decided_end && same_entries(x->entries, y->entries);
  }
  return false;
}

std::uint64_t random_seed() {
  std::random_device device;
  return (std::uint64_t{device()} << 32) | device();
}

}  // namespace

TimeMs now_ms() {
  auto since_epoch = std::chrono::steady_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count();
}

Site::Site(boost::asio::io_context& io, const KnownMembers& members, SiteId self,
           const std::filesystem::path& data_dir, ReplicaOptions options)
    : io_(io),
      initial_(members.initial),
      self_(self),
      replica_(members.initial, self, options, random_seed()),
      driver_(replica_, data_dir, members.latest.name(self), storage::posix_file_system(),
              executor_, *this, driver::DriverOptions{}),
      executor_(io),
      transport_(io, members.latest, self),
      clients_(replica_, transport_, initial_),
      tick_timer_(io) {
  driver_.restore();
}

void Site::start() {
  transport_.start(
      [this](const Message& message) {
        assert(message.from != self_);
        metrics_.count_received(message);
        if (faults_ && faults_->ignore_incoming(message)) return;
        replica_.step(message, now_ms());
      },
      [this] { flush(); });
  transport_.on_client_request(
      [this](const net::ClientRequest& request, const boost::asio::ip::udp::endpoint& from) {
        metrics_.count_client_request();
        clients_.on_request(request, from, now_ms());
      });
  arm_tick();
  driver_.start();
  flush();
}

void Site::stop() {
  if (stopped_) return;
  stopped_ = true;
  tick_timer_.cancel();
  transport_.close();
  driver_.stop();
}

void Site::inject_faults(FaultRates rates) {
  faults_.emplace(rates, random_seed());
  PAXOSKV_LOG(warning) << "fault injection on: fail-rate " << rates.fail_rate << ", drop-rate "
                       << rates.drop_rate;
}

void Site::submit(const Command& command) {
  metrics_.count_submitted(false);
  replica_.submit(command, now_ms());
  flush();
}

void Site::submit_read(RequestId id, const std::string& key) {
  metrics_.count_submitted(true);
  replica_.submit_read(id, key, now_ms());
  flush();
}

void Site::arm_tick() {
  // Ticks keep a steady cadence; after a stall the next one comes a full interval later.
  auto next = tick_timer_.expiry() + kTickInterval;
  auto now = std::chrono::steady_clock::now();
  tick_timer_.expires_at(next > now ? next : now + kTickInterval);
  tick_timer_.async_wait([this](const boost::system::error_code& error) {
    if (error || stopped_) return;
    replica_.tick(now_ms());
    flush();
    driver_.on_tick();
    log_leader_change();
    arm_tick();
  });
}

void Site::log_leader_change() {
  const ReplicaStatus status = replica_.status();
  if (status.leader == logged_leader_) return;
  logged_leader_ = status.leader;
  const Cluster& names = transport_.members();
  if (!status.leader)
    PAXOSKV_LOG(info) << "no leader known";
  else if (*status.leader < names.size())
    PAXOSKV_LOG(info) << "leader is " << names.name(*status.leader) << " (ballot "
                      << to_string(status.ballot) << ")";
}

void Site::complete(const Completion& completion) {
  metrics_.count_completion(completion);
  if (clients_.complete(completion)) return;
  if (claim_completions_ && claim_completions_(completion)) return;
  if (on_completion_) on_completion_(completion);
}

void Site::send(const Envelope& envelope) {
  metrics_.count_outgoing(envelope);
  if (faults_ && faults_->drop_outgoing(envelope)) return;
  metrics_.count_sent(envelope);
  const bool same = last_sent_ && same_wire_body(*last_sent_, envelope.message);
  transport_.send(envelope, same);
  last_sent_ = &envelope.message;
}

void Site::deliver_to_self(Envelope envelope) {
  metrics_.count_outgoing(envelope);
  // Posted rather than stepped here, so the Replica never sees an input while it is still
  // handing out the Ready that produced it. Everything queued before the handler runs is
  // stepped together and flushed once: a batch of self-accepts costs one fsync.
  self_inbox_.push_back(std::move(envelope.message));
  if (self_inbox_.size() > 1) return;
  boost::asio::post(io_, [this] { step_self_messages(); });
}

void Site::step_self_messages() {
  std::vector<Message> inbox;
  inbox.swap(self_inbox_);
  if (stopped_) return;
  TimeMs now = now_ms();
  for (const Message& message : inbox)
    if (!faults_ || !faults_->ignore_incoming(message)) replica_.step(message, now);
  flush();
}

}  // namespace paxoskv::site
