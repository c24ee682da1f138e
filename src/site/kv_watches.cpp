#include "site/kv_watches.hpp"

#include <boost/json.hpp>

#include "site/http_reply.hpp"

namespace paxoskv::site {

namespace json = boost::json;

namespace {

HttpReply json_reply(unsigned status, const json::object& body) {
  return HttpReply{status, "application/json", json::serialize(body) + "\n", {}};
}

}  // namespace

KvWatches::KvWatches(boost::asio::io_context& io, const Replica& replica)
    : replica_(replica), timer_(io) {}

void KvWatches::watch(std::string key, bool is_prefix, std::uint64_t since,
                      std::chrono::steady_clock::duration timeout, HttpRespond respond) {
  if (stopped_) return;
  const auto now = std::chrono::steady_clock::now();
  Poll poll{std::move(key), is_prefix, since, now + timeout, std::move(respond)};
  if (try_answer(poll, now)) return;
  polls_.push_back(std::move(poll));
  arm();
}

bool KvWatches::try_answer(Poll& poll, std::chrono::steady_clock::time_point now) const {
  const ChangeHistory& history = replica_.changes();
  const auto revision = static_cast<std::int64_t>(history.revision());
  if (!history.covers_after(poll.since)) {
    json::object body{{"error", "revision compacted"},
                      {"compacted_revision", history.compacted()},
                      {"cluster_revision", revision}};
    poll.respond(json_reply(410, body));
    return true;
  }
  std::vector<KeyChange> changes = history.after(poll.since, poll.key, poll.is_prefix, kMaxEvents);
  if (changes.empty() && now < poll.deadline) return false;
  json::array events;
  for (const KeyChange& change : changes) {
    json::object event{{"type", change.value ? "put" : "delete"},
                       {"key", change.key},
                       {"revision", change.revision}};
    if (change.value) event["value"] = *change.value;
    events.push_back(std::move(event));
  }
  poll.respond(
      json_reply(200, json::object{{"events", std::move(events)}, {"cluster_revision", revision}}));
  return true;
}

void KvWatches::arm() {
  if (armed_ || stopped_ || polls_.empty()) return;
  armed_ = true;
  timer_.expires_after(kPollInterval);
  timer_.async_wait([this](const boost::system::error_code& error) {
    armed_ = false;
    if (error || stopped_) return;
    const auto now = std::chrono::steady_clock::now();
    for (auto it = polls_.begin(); it != polls_.end();)
      it = try_answer(*it, now) ? polls_.erase(it) : std::next(it);
    arm();
  });
}

void KvWatches::stop() {
  stopped_ = true;
  timer_.cancel();
  polls_.clear();
}

}  // namespace paxoskv::site
