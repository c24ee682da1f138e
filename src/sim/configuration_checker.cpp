#include "sim/configuration_checker.hpp"

#include <algorithm>
#include <variant>

#include "paxoskv/limits.hpp"

namespace paxoskv::sim {

namespace {

constexpr Slot kDelay = limits::member_change_delay;

std::vector<SiteId> voters_of(const Cluster& c) {
  std::vector<SiteId> out;
  for (SiteId id = 0; id < c.size(); ++id)
    if (c.is_voter(id)) out.push_back(id);
  return out;
}

std::string names(const Cluster& a, const Cluster& b, const std::vector<SiteId>& ids) {
  std::string out = "{";
  for (SiteId id : ids) {
    if (out.size() > 1) out += ",";
    out += id < a.size() ? a.name(id) : b.name(id);
  }
  return out + "}";
}

// The configuration a site's epochs give `slot`: the last one from at or below it, or the
// oldest known (Membership::at).
const Cluster& site_at(const std::vector<MemberEpoch>& epochs, Slot slot) {
  auto after = std::upper_bound(epochs.begin(), epochs.end(), slot,
                                [](Slot s, const MemberEpoch& e) { return s < e.from; });
  return (after == epochs.begin() ? after : std::prev(after))->cluster;
}

std::string outcome_text(bool ok, const std::string& reason) {
  return ok ? "applied" : "refused (" + reason + ")";
}

}  // namespace

std::string describe(const Cluster& cluster) {
  std::string out;
  for (SiteId id = 0; id < cluster.size(); ++id) {
    if (!out.empty()) out += ' ';
    out += std::to_string(id) + ":" + cluster.name(id) + ":" +
           std::string(role_name(cluster.site(id).role));
  }
  return out;
}

bool quorums_may_be_disjoint(const Cluster& a, const Cluster& b, std::string* example) {
  const std::vector<SiteId> va = voters_of(a);
  const std::vector<SiteId> vb = voters_of(b);
  std::vector<SiteId> both, only_a, only_b;
  for (SiteId id : va) (b.is_voter(id) ? both : only_a).push_back(id);
  for (SiteId id : vb)
    if (!a.is_voter(id)) only_b.push_back(id);
  const std::size_t qa = a.quorum(), qb = b.quorum();
  const std::size_t need_a = qa > only_a.size() ? qa - only_a.size() : 0;
  const std::size_t need_b = qb > only_b.size() ? qb - only_b.size() : 0;
  if (need_a + need_b > both.size()) return false;
  if (example) {
    // Each quorum takes what only it has first, then its share of the common voters.
    std::vector<SiteId> quorum_a(only_a.begin(), only_a.begin() + (qa - need_a));
    quorum_a.insert(quorum_a.end(), both.begin(), both.begin() + need_a);
    std::vector<SiteId> quorum_b(only_b.begin(), only_b.begin() + (qb - need_b));
    quorum_b.insert(quorum_b.end(), both.end() - need_b, both.end());
    *example = names(a, b, quorum_a) + " and " + names(a, b, quorum_b);
  }
  return true;
}

ConfigurationChecker::ConfigurationChecker(Cluster initial, InjectedBug bug)
    : membership_(std::move(initial), bug) {}

ReplayedSlot ConfigurationChecker::replay(const Command& command) {
  const Slot slot = end_++;
  ReplayedSlot out;
  // A change governs from slot + α, so the one whose epoch begins at the new end leaves the
  // window's oldest configuration behind.
  for (const MemberEpoch& e : membership_.epochs())
    if (e.from == end_) out.window_changed = true;
  if (command.op == Op::noop) return out;
  // The state machine acts on a client's request once (KvStore::apply_once): a retry decided
  // again in a later slot changes nothing, whatever it is. A leader's own commands (client 0)
  // are carried out every time.
  if (command.id.client != 0) {
    std::uint64_t& last = last_seq_[command.id.client];
    if (command.id.seq <= last) return out;
    last = command.id.seq;
  }
  if (command.op != Op::member) return out;
  out.member = true;
  auto parsed = member_change_of(command);
  if (const MemberChange* change = std::get_if<MemberChange>(&parsed)) out.change = *change;
  const std::size_t epochs = membership_.epochs().size();
  out.result = membership_.apply(slot, command);
  out.new_configuration = membership_.epochs().size() > epochs;
  out.window_changed = out.window_changed || out.new_configuration;
  outcomes_.emplace(command.id, out.result);
  return out;
}

std::vector<const Cluster*> ConfigurationChecker::window() const {
  return membership_.spanning(end_, end_ + kDelay - 1);
}

std::optional<std::string> ConfigurationChecker::check_quorums() const {
  const std::vector<MemberEpoch>& epochs = membership_.epochs();
  const std::size_t k = epochs.size() - 1;
  for (std::size_t j = k; j-- > 0;) {
    // The slots of epoch j end where epoch j + 1 begins; the nearest slots of j and k are
    // epochs[k].from - epochs[j + 1].from + 1 apart.
    const Slot last_of_j = epochs[j + 1].from - 1;
    if (epochs[k].from - last_of_j >= kDelay) break;
    std::string example;
    if (!quorums_may_be_disjoint(epochs[j].cluster, epochs[k].cluster, &example)) continue;
    return "the configuration of slots " + std::to_string(epochs[j].from) + ".." +
           std::to_string(last_of_j) + " [" + describe(epochs[j].cluster) +
           "] and the one from slot " + std::to_string(epochs[k].from) + " [" +
           describe(epochs[k].cluster) + "] govern slots " +
           std::to_string(epochs[k].from - last_of_j) + " apart (less than " +
           std::to_string(kDelay) + ") but have disjoint quorums: " + example;
  }
  return std::nullopt;
}

std::optional<std::string> ConfigurationChecker::check_site(SiteId s, const Replica& r) const {
  const Slot site_end = r.log_start() + r.log().size();
  const Slot end = std::min(site_end, end_);
  const Slot lo = r.snapshot() ? r.snapshot()->base : 0;
  const std::vector<MemberEpoch>& epochs = r.member_epochs();
  const std::string site = "s" + std::to_string(s);
  if (lo < end + kDelay) {
    // Both sides are constant between epoch boundaries: comparing at each boundary of either
    // compares every slot of [lo, end + α).
    std::vector<Slot> points{lo};
    for (const auto* list : {&epochs, &membership_.epochs()})
      for (const MemberEpoch& e : *list)
        if (e.from > lo && e.from < end + kDelay) points.push_back(e.from);
    for (Slot p : points) {
      const Cluster& mine = site_at(epochs, p);
      if (mine == membership_.at(p)) continue;
      return site + " (decided end " + std::to_string(site_end) + ") has for slot " +
             std::to_string(p) + " the configuration [" + describe(mine) +
             "] but the decided log gives [" + describe(membership_.at(p)) + "]";
    }
  }
  if (site_end > end_) return std::nullopt;  // its latest is the log's beyond the replay
  const Cluster& expected = membership_.at(site_end + kDelay - 1);
  if (r.members() == expected) return std::nullopt;
  return site + " (decided end " + std::to_string(site_end) + ") has the latest configuration [" +
         describe(r.members()) + "] but its decided log gives [" + describe(expected) + "]";
}

std::optional<std::string> ConfigurationChecker::check_outcome(SiteId s,
                                                               const Completion& c) const {
  if (!c.ok && c.reason.compare(0, 9, "timed out") == 0) return std::nullopt;
  const std::string what = "s" + std::to_string(s) + " reported change " +
                           std::to_string(c.id.client) + "." + std::to_string(c.id.seq) + " " +
                           outcome_text(c.ok, c.reason);
  auto it = outcomes_.find(c.id);
  if (it == outcomes_.end()) return what + ", but the decided log has not carried it out";
  const ApplyResult& r = it->second;
  if (r.ok == c.ok && (r.ok || r.reason == c.reason)) return std::nullopt;
  return what + ", but the decided log has it " + outcome_text(r.ok, r.reason);
}

}  // namespace paxoskv::sim
