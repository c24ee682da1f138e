#include "sim/sim_operator.hpp"

#include <algorithm>
#include <cassert>

namespace paxoskv::sim {

namespace {

// Sites the operator may add in a run, besides the hosts file's.
constexpr std::size_t kMaxAdded = 4;
// Above this many voters it neither promotes nor adds voters: FaultLiveness looks at every
// subset of the voters.
constexpr std::size_t kMaxVoters = 7;
// A change comes with a second one at once this often.
constexpr double kBurstChance = 0.3;
// New sites' ports start above the hosts file's (1 to 11).
constexpr std::uint16_t kFirstNewPort = 100;

std::string change_text(const MemberChange& c) {
  return "member " + c.name + " " + member_command(c, {}).value;
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

template <typename T>
const T& pick(const std::vector<T>& from, SimRandom& random) {
  assert(!from.empty());
  return from[random.below(from.size())];
}

}  // namespace

SimOperator::SimOperator(const SimConfig& config, Trace& trace)
    : trace_(trace),
      enabled_(config.member_changes),
      mean_interval_ms_(config.mean_member_change_interval_ms),
      timeout_ms_(config.client_timeout_ms),
      max_attempts_(config.client_max_attempts),
      max_sites_(config.sites() + kMaxAdded),
      next_at_(config.mean_member_change_interval_ms) {
  // The clients are 1 to config.clients.
  lanes_[0].client = config.clients + 1;
  lanes_[1].client = config.clients + 2;
}

bool SimOperator::owns(RequestId id) const {
  return std::any_of(lanes_.begin(), lanes_.end(),
                     [&](const Lane& lane) { return lane.client == id.client; });
}

bool SimOperator::waits_for(RequestId id) const {
  return std::any_of(lanes_.begin(), lanes_.end(), [&](const Lane& lane) {
    return lane.pending && lane.pending->attempt.command.id == id;
  });
}

bool SimOperator::finished() const {
  return std::none_of(lanes_.begin(), lanes_.end(),
                      [](const Lane& lane) { return lane.pending.has_value(); });
}

void SimOperator::on_heal() {
  healed_ = true;
}

std::string SimOperator::label(const Lane& lane) const {
  return "c" + std::to_string(lane.client) + "." + std::to_string(lane.seq) + " ";
}

std::vector<MemberChange> SimOperator::under_way() const {
  std::vector<MemberChange> out;
  auto add = [&](const Command& command) {
    if (auto change = member_change_of(command); std::holds_alternative<MemberChange>(change))
      out.push_back(std::get<MemberChange>(change));
  };
  for (const Lane& lane : lanes_)
    if (lane.pending) add(lane.pending->attempt.command);
  for (const Command& command : given_up_) add(command);
  return out;
}

void SimOperator::on_decided(RequestId id) {
  std::erase_if(given_up_,
                [&](const Command& c) { return c.id.client == id.client && c.id.seq <= id.seq; });
}

std::vector<MemberAttempt> SimOperator::poll(
    TimeMs now, const std::vector<SiteId>& live, const Cluster& latest,
    const std::function<bool(const std::vector<MemberChange>&)>& safe,
    const std::function<std::optional<SiteId>()>& leader, SimRandom& random) {
  std::vector<MemberAttempt> out;
  if (!enabled_ || live.empty()) return out;
  for (Lane& lane : lanes_)
    if (lane.pending)
      if (std::optional<MemberAttempt> a = retry(lane, now, live, random)) out.push_back(*a);
  if (healed_ || !finished() || now < next_at_) return out;
  const std::optional<SiteId> at_the_helm = leader();
  const std::optional<MemberChange> first = choose(latest, at_the_helm, nullptr, random);
  if (!first || !safe({*first})) {
    next_at_ = now + random.between(kTickMs, 2 * mean_interval_ms_);
    return out;
  }
  out.push_back(start(lanes_[0], *first, now, live, random));
  if (!random.chance(kBurstChance)) return out;
  const std::optional<MemberChange> second = choose(latest, at_the_helm, &*first, random);
  if (!second || !safe({*first, *second})) return out;
  // Through another site when there is one: the two may meet at the leader in either order.
  std::vector<SiteId> others;
  for (SiteId s : live)
    if (s != out.back().site) others.push_back(s);
  out.push_back(start(lanes_[1], *second, now, others.empty() ? live : others, random));
  ++stats_.bursts;
  return out;
}

std::optional<MemberChange> SimOperator::add(const Cluster& latest, SimRandom& random) {
  if (latest.size() >= max_sites_) return std::nullopt;
  ++added_;
  MemberChange c;
  c.action = MemberAction::add;
  c.name = "n" + std::to_string(added_);
  c.host = "sim";
  c.port = static_cast<std::uint16_t>(kFirstNewPort + added_);
  c.voter = latest.voter_count() < kMaxVoters && random.chance(0.3);
  return c;
}

std::optional<MemberChange> SimOperator::choose(const Cluster& latest, std::optional<SiteId> leader,
                                                const MemberChange* first, SimRandom& random) {
  std::vector<SiteId> members, voters, others, removable;
  for (SiteId id = 0; id < latest.size(); ++id) {
    if (!latest.is_member(id)) continue;
    if (first && latest.name(id) == first->name) continue;
    members.push_back(id);
    (latest.is_voter(id) ? voters : others).push_back(id);
    removable.push_back(id);
  }
  // The leader as a target: removable, and not the burst's first change's.
  SiteId lead = leader.value_or(Trace::kNoSite);
  if (std::find(removable.begin(), removable.end(), lead) == removable.end()) lead = Trace::kNoSite;
  MemberChange c;
  auto named = [&](MemberAction action, SiteId id) {
    c.action = action;
    c.name = latest.name(id);
    return c;
  };
  // A burst's second change changes the voters when it can: two such changes decided less
  // than α apart are what the one-change-at-a-time rule exists to refuse.
  const bool voters_please = first && random.chance(0.7);
  const std::uint64_t dice = voters_please ? 30 + random.below(50) : random.below(100);
  if (dice < 30) return add(latest, random);
  if (dice < 50) {
    if (!others.empty() && latest.voter_count() < kMaxVoters)
      return named(MemberAction::promote, pick(others, random));
    return std::nullopt;
  }
  if (dice < 80) {
    // The leader one time in three, while some other voter is left.
    if (lead != Trace::kNoSite && latest.voter_count() > 1 && random.below(3) == 0)
      return named(MemberAction::remove, lead);
    // The last voter is removed only as a bait, and refused.
    std::erase_if(removable,
                  [&](SiteId id) { return latest.is_voter(id) && latest.voter_count() == 1; });
    if (removable.empty()) return std::nullopt;
    return named(MemberAction::remove, pick(removable, random));
  }
  if (dice < 92) {
    if (voters.empty()) return std::nullopt;
    return named(MemberAction::transfer, pick(voters, random));
  }
  // Bound to be refused, each for its own reason.
  switch (random.below(5)) {
    case 0:  // a name in use
      if (members.empty()) return std::nullopt;
      if (std::optional<MemberChange> a = add(latest, random)) {
        a->name = latest.name(pick(members, random));
        return a;
      }
      return std::nullopt;
    case 1:  // an endpoint in use
      if (members.empty()) return std::nullopt;
      if (std::optional<MemberChange> a = add(latest, random)) {
        a->port = latest.site(pick(members, random)).port;
        return a;
      }
      return std::nullopt;
    case 2:  // no such member
      c.action = random.chance(0.5) ? MemberAction::remove : MemberAction::promote;
      c.name = "ghost";
      return c;
    case 3:  // already a voter, or the last one
      if (voters.empty()) return std::nullopt;
      return named(voters.size() == 1 && latest.voter_count() == 1 ? MemberAction::remove
                                                                   : MemberAction::promote,
                   pick(voters, random));
    default:  // not a voter
      if (others.empty()) return std::nullopt;
      return named(MemberAction::transfer, pick(others, random));
  }
}

MemberAttempt SimOperator::start(Lane& lane, const MemberChange& change, TimeMs now,
                                 const std::vector<SiteId>& live, SimRandom& random) {
  ++lane.seq;
  ++stats_.submitted;
  MemberAttempt a{pick(live, random), member_command(change, RequestId{lane.client, lane.seq})};
  lane.pending = Pending{a, 1, now + timeout_ms_, false};
  trace_.note(now, TraceKind::member, a.site, label(lane) + "invoke " + change_text(change));
  return a;
}

std::optional<MemberAttempt> SimOperator::retry(Lane& lane, TimeMs now,
                                                const std::vector<SiteId>& live,
                                                SimRandom& random) {
  Pending& p = *lane.pending;
  if (!p.retry_now && now < p.deadline) return std::nullopt;
  if (!healed_ && p.attempts >= max_attempts_) {
    trace_.note(now, TraceKind::member, Trace::kNoSite, label(lane) + "gives up");
    ++stats_.given_up;
    given_up_.push_back(p.attempt.command);  // may still be decided: still under way
    finish(lane, now, random);
    return std::nullopt;
  }
  std::vector<SiteId> others;
  for (SiteId s : live)
    if (s != p.attempt.site) others.push_back(s);
  p.attempt.site = pick(others.empty() ? live : others, random);
  ++p.attempts;
  p.deadline = now + timeout_ms_;
  p.retry_now = false;
  trace_.note(now, TraceKind::member, p.attempt.site,
              label(lane) + "retry #" + std::to_string(p.attempts));
  return p.attempt;
}

void SimOperator::on_completion(SiteId site, const Completion& c, TimeMs now, SimRandom& random) {
  for (Lane& lane : lanes_) {
    if (lane.client != c.id.client || !lane.pending || lane.pending->attempt.command.id != c.id)
      continue;
    // A time-out says nothing of the outcome: the change may still be decided. Only the
    // site the operator waits on makes it move on.
    if (!c.ok && starts_with(c.reason, "timed out")) {
      if (site == lane.pending->attempt.site) lane.pending->retry_now = true;
      trace_.note(now, TraceKind::member, site, label(lane) + "failed: " + c.reason);
      return;
    }
    trace_.note(now, TraceKind::member, site,
                label(lane) + (c.ok ? std::string("applied") : "refused: " + c.reason));
    finish(lane, now, random);
    return;
  }
}

void SimOperator::on_crash(SiteId site) {
  for (Lane& lane : lanes_)
    if (lane.pending && lane.pending->attempt.site == site) lane.pending->retry_now = true;
}

void SimOperator::finish(Lane& lane, TimeMs now, SimRandom& random) {
  lane.pending.reset();
  if (finished()) next_at_ = now + random.between(0, 2 * mean_interval_ms_);
}

}  // namespace paxoskv::sim
