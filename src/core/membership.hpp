#pragma once

#include <vector>

#include "core/apply_result.hpp"
#include "paxoskv/cluster.hpp"
#include "paxoskv/command.hpp"
#include "paxoskv/replica.hpp"
#include "paxoskv/snapshot.hpp"

namespace paxoskv {

// Which configuration governs each slot (README, "Membership"). The hosts file governs from
// slot 0; a change decided in slot s governs the slots from s + member_change_delay on. A slot's
// configuration therefore depends only on decided slots, which every site learns alike, and is
// known to a site for every slot below its decided end plus the delay. One change at a time: a
// change decided before the previous one governs is refused, so the configurations of any
// window of slots a leader works on are at most two, one site apart.
class Membership {
 public:
  // `bug`: two_changes_in_flight drops the one-change-at-a-time refusal (for the simulator).
  explicit Membership(Cluster initial, InjectedBug bug = InjectedBug::none);

  // The configuration of `slot`. Meaningful for slots below decided end + the delay, and at or
  // above the base of the snapshot restored (below it, the oldest configuration known).
  const Cluster& at(Slot slot) const;
  // The configuration after every change applied so far (what `print members` shows).
  const Cluster& latest() const { return epochs_.back().cluster; }
  // The first slot the latest configuration governs.
  Slot latest_from() const { return epochs_.back().from; }
  // Every configuration known, oldest first.
  const std::vector<MemberEpoch>& epochs() const { return epochs_; }
  // The distinct configurations of the slots [from, to], oldest first.
  std::vector<const Cluster*> spanning(Slot from, Slot to) const;

  // Carries out a `member` command decided in `slot` (slots come in order); the same at every
  // site, so a refusal is too.
  ApplyResult apply(Slot slot, const Command& command);

  // The epochs that still govern slots from `base` on, for a snapshot at `base`.
  std::vector<MemberEpoch> epochs_from(Slot base) const;
  // From a snapshot: its epochs, or none when it predates membership changes (the hosts file
  // then governs every slot it covers).
  void restore(const std::vector<MemberEpoch>& epochs);

 private:
  // The epoch in force at `slot` (the first one below it).
  std::vector<MemberEpoch>::const_iterator governing(Slot slot) const;

  Cluster initial_;
  InjectedBug bug_;
  std::vector<MemberEpoch> epochs_;  // by `from`, ascending; the first from 0
};

}  // namespace paxoskv
