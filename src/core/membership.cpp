#include "core/membership.hpp"

#include <algorithm>
#include <variant>

#include "paxoskv/limits.hpp"
#include "paxoskv/member_change.hpp"

namespace paxoskv {

Membership::Membership(Cluster initial, InjectedBug bug)
    : initial_(initial), bug_(bug), epochs_{MemberEpoch{0, std::move(initial)}} {}

std::vector<MemberEpoch>::const_iterator Membership::governing(Slot slot) const {
  auto after = std::upper_bound(epochs_.begin(), epochs_.end(), slot,
                                [](Slot s, const MemberEpoch& e) { return s < e.from; });
  // Below the first epoch a snapshot kept, every slot is decided and folded into it: what
  // governed it no longer matters, and the oldest configuration known stands in.
  return after == epochs_.begin() ? after : std::prev(after);
}

const Cluster& Membership::at(Slot slot) const {
  return governing(slot)->cluster;
}

std::vector<const Cluster*> Membership::spanning(Slot from, Slot to) const {
  std::vector<const Cluster*> out{&at(from)};
  for (const MemberEpoch& e : epochs_)
    if (e.from > from && e.from <= to) out.push_back(&e.cluster);
  return out;
}

ApplyResult Membership::apply(Slot slot, const Command& command) {
  auto parsed = member_change_of(command);
  if (const std::string* error = std::get_if<std::string>(&parsed)) return {false, *error, false};
  const MemberChange& change = std::get<MemberChange>(parsed);
  if (change.action == MemberAction::transfer) {
    // Changes no configuration, so it may come while a change is in progress.
    const std::optional<SiteId> target = latest().find(change.name);
    if (!target) return {false, "no member " + change.name, false};
    if (!latest().is_voter(*target)) return {false, change.name + " is not a voter", false};
    return {};
  }
  // One change at a time: the previous one must govern before the next is decided, so that a
  // window of slots spans at most two configurations, one site apart.
  if (latest_from() > slot && bug_ != InjectedBug::two_changes_in_flight)
    return {false, "another membership change is in progress", false};
  Cluster next = latest();
  const std::optional<SiteId> site = next.find(change.name);
  switch (change.action) {
    case MemberAction::add: {
      if (site) return {false, "name " + change.name + " is in use", false};
      if (auto at = next.find_endpoint(change.host, change.port))
        return {false,
                change.host + ":" + std::to_string(change.port) + " is in use by " + next.name(*at),
                false};
      next.add(SiteInfo{change.name, change.host, change.port,
                        change.voter ? Role::joining : Role::learner});
      break;
    }
    case MemberAction::remove:
      if (!site) return {false, "no member " + change.name, false};
      if (next.is_voter(*site) && next.voter_count() == 1)
        return {false, "cannot remove the last voter", false};
      next.set_role(*site, Role::removed);
      break;
    case MemberAction::promote:
      if (!site) return {false, "no member " + change.name, false};
      if (next.is_voter(*site)) return {false, change.name + " is already a voter", false};
      next.set_role(*site, Role::voter);
      break;
    case MemberAction::transfer:
      break;
  }
  epochs_.push_back(MemberEpoch{slot + limits::member_change_delay, std::move(next)});
  return {};
}

std::vector<MemberEpoch> Membership::epochs_from(Slot base) const {
  // One epoch alone is also what a snapshot above the last change restores: only the hosts
  // file's, from slot 0, may be left out.
  if (epochs_.size() == 1 && epochs_.front() == MemberEpoch{0, initial_}) return {};
  return std::vector<MemberEpoch>(governing(base), epochs_.cend());
}

void Membership::restore(const std::vector<MemberEpoch>& epochs) {
  if (epochs.empty()) {
    epochs_ = {MemberEpoch{0, initial_}};
    return;
  }
  epochs_ = epochs;
}

}  // namespace paxoskv
