#include "sim/sim_client.hpp"

#include <algorithm>
#include <cassert>

namespace paxoskv::sim {

namespace {
// A client pauses this long at most between two operations.
constexpr TimeMs kMaxThinkMs = 40;

std::string op_text(const Attempt& a) {
  std::string text = std::string(op_kind_name(a.kind)) + "(" + a.key;
  if (a.kind == OpKind::put || a.kind == OpKind::append) text += ", " + quoted(a.value);
  return text + ")";
}
}  // namespace

SimClient::SimClient(std::uint64_t id, const SimConfig& config, Trace& trace)
    : id_(id),
      keys_(config.keys),
      timeout_ms_(config.client_timeout_ms),
      max_attempts_(config.client_max_attempts),
      ops_after_heal_(config.ops_after_heal),
      trace_(trace) {
  assert(id_ != 0);  // client 0 is the no-op's
}

std::optional<std::size_t> SimClient::pending() const {
  if (!current_) return std::nullopt;
  return current_->history_index;
}

std::string SimClient::label() const {
  return "c" + std::to_string(id_) + "." + std::to_string(seq_) + " ";
}

void SimClient::on_heal() {
  healed_ = true;
  remaining_after_heal_ = ops_after_heal_;
}

std::optional<Attempt> SimClient::poll(TimeMs now, const std::vector<SiteId>& live,
                                       SimRandom& random, ClientHistory& history) {
  if (live.empty()) return std::nullopt;
  if (current_) return retry(now, live, random, history);
  if (now < next_start_ || (healed_ && remaining_after_heal_ == 0)) return std::nullopt;
  if (healed_) --remaining_after_heal_;
  return start(now, live, random, history);
}

std::optional<Attempt> SimClient::start(TimeMs now, const std::vector<SiteId>& live,
                                        SimRandom& random, ClientHistory& history) {
  ++seq_;
  Attempt a;
  a.id = RequestId{id_, seq_};
  a.key = "k" + std::to_string(random.below(keys_));
  const std::uint64_t dice = random.below(100);
  a.kind = dice < 30   ? OpKind::get
           : dice < 60 ? OpKind::put
           : dice < 85 ? OpKind::append
                       : OpKind::del;
  // Values name their writer, so a wrong read points at the write it saw.
  const std::string tag = std::to_string(id_) + "." + std::to_string(seq_);
  if (a.kind == OpKind::put) a.value = "p" + tag;
  if (a.kind == OpKind::append) a.value = "a" + tag + ",";
  a.site = pick_site(live, random);

  Current c{a, history.invoke(id_, a.kind, a.key, a.value, now), 1, now + timeout_ms_, false};
  current_ = c;
  trace_.note(now, TraceKind::client, a.site, label() + "invoke " + op_text(a));
  return a;
}

std::optional<Attempt> SimClient::retry(TimeMs now, const std::vector<SiteId>& live,
                                        SimRandom& random, ClientHistory& history) {
  Current& c = *current_;
  if (!c.retry_now && now < c.deadline) return std::nullopt;
  if (!healed_ && c.attempts >= max_attempts_) {
    trace_.note(now, TraceKind::client, Trace::kNoSite, label() + "gives up");
    history.abandon(c.history_index);
    finish(now, random);
    return std::nullopt;
  }
  // Another site when there is one: the one tried last may be cut off or stuck.
  std::vector<SiteId> others;
  for (SiteId s : live)
    if (s != c.attempt.site) others.push_back(s);
  c.attempt.site = pick_site(others.empty() ? live : others, random);
  ++c.attempts;
  c.deadline = now + timeout_ms_;
  c.retry_now = false;
  trace_.note(now, TraceKind::client, c.attempt.site,
              label() + "retry #" + std::to_string(c.attempts));
  return c.attempt;
}

SiteId SimClient::pick_site(const std::vector<SiteId>& live, SimRandom& random) const {
  assert(!live.empty());
  return live[random.below(live.size())];
}

void SimClient::on_completion(SiteId site, const Completion& completion, TimeMs now,
                              SimRandom& random, ClientHistory& history) {
  if (!current_ || completion.id != current_->attempt.id) return;  // an earlier operation's
  if (!completion.ok) {
    // Only the site the client is waiting on can make it move on; a failure from a site it
    // left earlier says nothing new.
    if (site == current_->attempt.site) current_->retry_now = true;
    trace_.note(now, TraceKind::client, site, label() + "failed: " + completion.reason);
    return;
  }
  // Any site's success counts: the same request id may be pending at several sites.
  std::optional<std::string> result;
  if (current_->attempt.kind == OpKind::get) result = completion.value;
  history.complete(current_->history_index, now, std::move(result));
  trace_.note(now, TraceKind::client, site,
              label() + "complete " + describe(history.at(current_->history_index)));
  finish(now, random);
}

void SimClient::on_crash(SiteId site) {
  if (current_ && current_->attempt.site == site) current_->retry_now = true;
}

void SimClient::finish(TimeMs now, SimRandom& random) {
  current_.reset();
  next_start_ = now + random.between(0, kMaxThinkMs);
}

}  // namespace paxoskv::sim
