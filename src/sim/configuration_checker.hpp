#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/apply_result.hpp"
#include "core/membership.hpp"
#include "paxoskv/limits.hpp"
#include "paxoskv/member_change.hpp"
#include "paxoskv/ready.hpp"
#include "paxoskv/replica.hpp"

namespace paxoskv::sim {

// "0:s0:voter 1:s1:learner …": every site of the configuration, removed ones included.
std::string describe(const Cluster& cluster);

// Whether some quorum of `a` and some quorum of `b` (majorities of their voters) share no
// voter. With I the voters of both, a quorum of `a` needs at least q_a - |V_a \ I| voters of I,
// and one of `b` at least q_b - |V_b \ I|; two such can be disjoint iff those fit in I side by
// side. The explanation, when they can, names two such quorums.
bool quorums_may_be_disjoint(const Cluster& a, const Cluster& b, std::string* example = nullptr);

// What replaying one slot of the decided log did.
struct ReplayedSlot {
  // A member command that is not a retry of one replayed before.
  bool member = false;
  std::optional<MemberChange> change;  // nullopt for a malformed one or a leader's refusal
  ApplyResult result;
  bool new_configuration = false;  // the change was carried out: a configuration from slot + α
  // The configurations of the slots [end, end + α) are not those before.
  bool window_changed = false;
};

// The configuration checker (README, "Membership"). It replays the decided log in slot order
// from the hosts file: each member command, unless it is a retry of a client's request replayed
// before, goes through the core's own Membership (with the run's injected bug, so that a rule the
// sites break the replay breaks alike). Against that replay:
//   (a) every site's configurations (Replica::member_epochs, from the base of its snapshot to
//       its decided end + α) and its latest one (Replica::members) are the replay's for the
//       same slots: every site computes the same configuration for every slot;
//   (b) any two configurations that govern slots less than α apart have intersecting quorums,
//       which is what the one-change-at-a-time rule is for;
//   (c) the outcome a site reports for a change (applied, or refused and why) is the one of the
//       slot it was decided in.
class ConfigurationChecker {
 public:
  ConfigurationChecker(Cluster initial, InjectedBug bug);

  // Slot end() of the log was decided with `command`.
  ReplayedSlot replay(const Command& command);
  // (b) for the newest configuration, against the older ones it lies within α of.
  std::optional<std::string> check_quorums() const;
  // (a) for one site.
  std::optional<std::string> check_site(SiteId site, const Replica& replica) const;
  // (c) for a completion a site reported for a member command; a time-out is no outcome.
  std::optional<std::string> check_outcome(SiteId site, const Completion& completion) const;

  // Slots replayed: every slot below is decided.
  Slot end() const { return end_; }
  const Cluster& at(Slot slot) const { return membership_.at(slot); }
  // After every change decided so far.
  const Cluster& latest() const { return membership_.latest(); }
  // The first slot the latest configuration governs.
  Slot latest_from() const { return membership_.latest_from(); }
  // The configurations of the slots [end, end + α): those a leader works on now.
  std::vector<const Cluster*> window() const;
  // The configurations of the slots from `from` to the end of the window.
  std::vector<const Cluster*> spanning(Slot from) const {
    return membership_.spanning(from, end_ + limits::member_change_delay - 1);
  }

 private:
  Membership membership_;
  Slot end_ = 0;
  std::map<std::uint64_t, std::uint64_t> last_seq_;  // per client, as the state machine's dedup
  std::map<RequestId, ApplyResult> outcomes_;        // of each member request, when replayed
};

}  // namespace paxoskv::sim
