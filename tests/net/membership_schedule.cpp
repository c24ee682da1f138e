// Acceptance 2 of issue 16: membership changes of a 3-site cluster of real processes while the
// net tests' client load runs and minorities are partitioned or killed (-9). Sites are added
// with --join (as a voter the leader promotes, or as a learner promoted by hand), voters are
// removed (the leader among them), leadership is transferred, and sites are replaced: a new
// site on a new address comes in, an original goes out and is stopped for good. Then every
// fault is healed and the run must show what the other schedules show, on the sites that are
// members at the end: a linearizable history, no acknowledged write missing from the decided
// log, and one chain head.
//
// Changes are typed at the shell of a running member, or sent with paxoskv-client, as an
// operator would: a change refused while another is in progress is tried again; one whose
// outcome is unknown (it timed out in a fault) is checked with `print members`, once the site
// asked has caught up, before it is tried again after the heal.

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "checks.hpp"
#include "environment.hpp"
#include "faults.hpp"
#include "load.hpp"
#include "net_cluster.hpp"

using namespace net_test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kInitialSites = 3;
// delta, epsilon and zeta: namespaces and addresses ready from the start, sites only once
// added.
constexpr std::size_t kSpareSites = 3;
// After a heal, a change (retries included) or a promotion must be done within this.
constexpr auto kChangeDeadline = 60s;
// The shell gives up on a command after 3 attempts of 2 s (and a watchdog 2 s later).
constexpr auto kShellAnswer = 15s;

enum class Role { none, learner, voter };

// One `print members` line, "NAME HOST:PORT ROLE".
struct MemberLine {
  std::string endpoint;
  Role role = Role::none;
};

std::map<std::string, MemberLine> parse_members(const e2e::Lines& lines) {
  std::map<std::string, MemberLine> members;
  for (const std::string& line : lines) {
    std::istringstream words(line);
    std::string name, endpoint, role, extra;
    // Anything else is a stale answer to an earlier question.
    if (!(words >> name >> endpoint >> role) || (words >> extra)) continue;
    if (role == "voter" || role == "learner")
      members[name] = {endpoint, role == "voter" ? Role::voter : Role::learner};
  }
  return members;
}

enum class FaultKind {
  partition_minority,
  partition_without_leader,
  isolate_leader,
  kill_minority,
  kill_leader
};

// What an operator does to bring one change through, and how it tells whether it happened.
struct Change {
  std::string command;  // as typed at the shell
  std::string what;     // "member add", "member remove", "member promote", "leader transfer"
  std::string name;     // the site it names
  // Refusals that say the change is already made (an earlier try that timed out was applied).
  std::vector<std::string> already_done;
  // Refusals that say: not now, try again (another change in progress, a learner behind).
  std::vector<std::string> not_yet;
  // After an unknown outcome: whether `print members` shows the change made.
  std::function<bool(const std::map<std::string, MemberLine>&)> shows_done;
  bool with_client = false;  // sent with paxoskv-client instead of typed at a shell

  // Progress, across the fault and the heal.
  bool done = false;
  bool unknown = false;
  std::optional<std::size_t> done_at;  // the site whose shell reported it done
};

class MembershipRun {
 public:
  MembershipRun(NetCluster& cluster, Faults& faults, std::uint64_t seed,
                std::filesystem::path client_hosts, Clock::time_point start)
      : cluster_(cluster),
        faults_(faults),
        random_(seed),
        client_hosts_(std::move(client_hosts)),
        start_(start),
        roles_(cluster.size(), Role::none) {
    for (std::size_t i = 0; i < cluster.initial_sites(); ++i) roles_[i] = Role::voter;
  }

  void run_steps();
  // Partitions and kills of minorities, one after the other, until `end`.
  void cycle_faults(Clock::time_point end);

  std::vector<std::size_t> members() const { return with_role({Role::voter, Role::learner}); }
  std::vector<std::size_t> voters() const { return with_role({Role::voter}); }
  const std::map<std::string, std::uint64_t>& counts() const { return counts_; }
  const std::vector<std::string>& events() const { return events_; }
  // `print members` at a member against what the run made: true if they are the same.
  bool members_as_made(std::size_t at);

 private:
  std::vector<std::size_t> with_role(std::vector<Role> roles) const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < roles_.size(); ++i)
      if (std::find(roles.begin(), roles.end(), roles_[i]) != roles.end()) out.push_back(i);
    return out;
  }
  bool reachable(std::size_t site) {
    return cluster_.running(site) && !cluster_.paused(site) &&
           std::find(cut_.begin(), cut_.end(), site) == cut_.end();
  }
  std::size_t pick(const std::vector<std::size_t>& from) {
    BOOST_TEST_REQUIRE(!from.empty());
    return from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(random_)];
  }
  // Some of `sites`, at least one and fewer than half of `voters`.
  std::vector<std::size_t> minority_of(std::vector<std::size_t> sites, std::size_t voters) {
    std::shuffle(sites.begin(), sites.end(), random_);
    sites.resize(std::min(
        sites.size(), std::uniform_int_distribution<std::size_t>(1, (voters - 1) / 2)(random_)));
    return sites;
  }
  std::optional<std::size_t> leader() { return find_leader(cluster_, members()); }
  std::string member_address(std::size_t site) const {
    return Topology::site_address(site) + " " + std::to_string(kSitePort);
  }
  void note(const std::string& event) {
    const double at = std::chrono::duration<double>(Clock::now() - start_).count();
    std::ostringstream line;
    line.precision(1);
    line << std::fixed << at << " s " << event;
    events_.push_back(line.str());
    BOOST_TEST_MESSAGE(line.str());
  }

  // Injects the fault and returns when it is to be healed.
  Clock::time_point inject(FaultKind kind);
  void heal() {
    faults_.heal();
    cut_.clear();
  }
  // One step: the fault, the change typed while it lasts, the heal, the change finished.
  void step(FaultKind kind, const std::function<void(Clock::time_point)>& during,
            const std::function<void()>& after);

  // Tries `change` until it is done, or until `until` (true if done). Before the heal
  // (`healed` false) an unknown outcome stops the tries: it is checked after the heal.
  bool attempt(Change& change, Clock::time_point until, bool healed);
  // Answers "the change is done" from `print members` at `at` once `at` has caught up.
  std::optional<bool> check_members(Change& change, std::size_t at);
  // The answer of a change typed at `at`'s shell or sent with paxoskv-client through `at`.
  std::optional<std::string> send(const Change& change, std::size_t at);

  Change add_change(std::size_t site, bool voter);
  Change remove_change(std::size_t site);
  Change promote_change(std::size_t site);
  Change transfer_change(std::size_t site);

  // The change brought through: tried during the fault, finished after the heal.
  void during(Change& change, Clock::time_point hold_end) { attempt(change, hold_end, false); }
  void finish(Change& change);
  // Starts an added site with --join through a member that knows it; false if none could be
  // used yet (or the join was refused): try again later.
  bool start_joined(std::size_t site, std::optional<std::size_t> hint);
  // Until `print members` at a member shows the site as a voter.
  void wait_promoted(std::size_t site);
  // After a removal: the removed site is stopped for good (after the others follow another
  // leader, if it led, for a few seconds at most).
  void retire(std::size_t site);

  NetCluster& cluster_;
  Faults& faults_;
  std::mt19937_64 random_;
  std::filesystem::path client_hosts_;
  Clock::time_point start_;
  std::vector<Role> roles_;       // the latest configuration, as this run made it
  std::vector<std::size_t> cut_;  // the side of the partition in force
  std::map<std::string, std::uint64_t> counts_;
  std::vector<std::string> events_;
};

Clock::time_point MembershipRun::inject(FaultKind kind) {
  const std::vector<std::size_t> v = voters();
  std::optional<std::size_t> lead;
  if (kind == FaultKind::partition_without_leader || kind == FaultKind::isolate_leader ||
      kind == FaultKind::kill_leader)
    lead = leader();
  switch (kind) {
    case FaultKind::partition_minority:
    case FaultKind::partition_without_leader:
    case FaultKind::isolate_leader: {
      if (kind == FaultKind::isolate_leader && lead) {
        cut_ = {*lead};
      } else {
        std::vector<std::size_t> from = v;
        if (kind == FaultKind::partition_without_leader && lead)
          from.erase(std::remove(from.begin(), from.end(), *lead), from.end());
        cut_ = minority_of(from, v.size());
      }
      faults_.partition(cut_);
      std::string names;
      for (std::size_t s : cut_) names += " " + cluster_.name(s);
      note(std::string(kind == FaultKind::isolate_leader ? "the leader" : "partition:") + names +
           " cut off");
      return Clock::now() + 3s;
    }
    case FaultKind::kill_minority:
    case FaultKind::kill_leader: {
      std::vector<std::size_t> victims = kind == FaultKind::kill_leader && lead
                                             ? std::vector<std::size_t>{*lead}
                                             : minority_of(v, v.size());
      std::string names;
      for (std::size_t s : victims) {
        faults_.kill9(s);
        names += " " + cluster_.name(s);
      }
      note(std::string(kind == FaultKind::kill_leader ? "kill -9 of the leader:" : "kill -9:") +
           names);
      // Down as long as kill_minority's victims.
      return Clock::now() + 1500ms;
    }
  }
  return Clock::now();
}

void MembershipRun::step(FaultKind kind, const std::function<void(Clock::time_point)>& during,
                         const std::function<void()>& after) {
  const Clock::time_point hold_end = inject(kind);
  during(hold_end);
  std::this_thread::sleep_until(hold_end);  // the fault's length, whatever the change did
  heal();
  note("healed");
  after();
}

Change MembershipRun::add_change(std::size_t site, bool voter) {
  const std::string name = cluster_.name(site);
  const std::string endpoint = Topology::site_address(site) + ":" + std::to_string(kSitePort);
  Change c;
  c.command = "member add " + name + " " + member_address(site) + (voter ? " voter" : " learner");
  c.what = "member add";
  c.name = name;
  c.already_done = {"name " + name + " is in use", endpoint + " is in use by " + name};
  c.not_yet = {"another membership change is in progress"};
  c.shows_done = [name, endpoint](const std::map<std::string, MemberLine>& m) {
    auto it = m.find(name);
    return it != m.end() && it->second.endpoint == endpoint;
  };
  return c;
}

Change MembershipRun::remove_change(std::size_t site) {
  const std::string name = cluster_.name(site);
  Change c;
  c.command = "member remove " + name;
  c.what = "member remove";
  c.name = name;
  c.already_done = {"no member " + name};
  // The leader refuses while the voters left that answer it would be no quorum (a voter down
  // or recovering during a fault): retried after healing.
  c.not_yet = {"another membership change is in progress",
               "would leave too few voters answering for a quorum"};
  c.shows_done = [name](const std::map<std::string, MemberLine>& m) { return !m.count(name); };
  return c;
}

Change MembershipRun::promote_change(std::size_t site) {
  const std::string name = cluster_.name(site);
  Change c;
  c.command = "member promote " + name;
  c.what = "member promote";
  c.name = name;
  c.already_done = {name + " is already a voter"};
  // The leader refuses until the learner has been heard from and has caught up.
  c.not_yet = {"another membership change is in progress", "has not been heard from",
               name + " is behind"};
  c.shows_done = [name](const std::map<std::string, MemberLine>& m) {
    auto it = m.find(name);
    return it != m.end() && it->second.role == Role::voter;
  };
  return c;
}

Change MembershipRun::transfer_change(std::size_t site) {
  const std::string name = cluster_.name(site);
  Change c;
  c.command = "leader transfer " + name;
  c.what = "leader transfer";
  c.name = name;
  // A transfer changes no configuration: repeating one is harmless, nothing to check first.
  c.shows_done = [](const std::map<std::string, MemberLine>&) { return false; };
  c.with_client = true;
  return c;
}

std::optional<std::string> MembershipRun::send(const Change& change, std::size_t at) {
  if (change.with_client) {
    // From the root namespace, like the load's clients: to `at` first, then round the others.
    auto [out, code] = e2e::run_client("--hosts " + client_hosts_.string() + " --site " +
                                       cluster_.name(at) + " --attempts 6 " + change.command);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    if (out.empty()) return std::nullopt;
    return out.substr(out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1);
  }
  const std::string done_line = change.what + " " + change.name + " completed";
  const std::string refused = "unable to execute " + change.what + ":";
  return cluster_.ask(
      at, change.command,
      [&](const std::string& line) {
        return line == done_line || line.rfind(refused, 0) == 0 ||
               line.rfind("invalid command", 0) == 0;
      },
      kShellAnswer);
}

std::optional<bool> MembershipRun::check_members(Change& change, std::size_t at) {
  // A linearizable read completes once `at` has applied every slot decided before it: what
  // `print members` shows afterwards includes a change decided before the read.
  auto read = cluster_.ask(
      at, "get membership-check",
      [](const std::string& line) {
        return line.rfind("get membership-check returned", 0) == 0 ||
               line.rfind("unable to execute get:", 0) == 0;
      },
      kShellAnswer);
  if (!read || read->rfind("get ", 0) != 0) return std::nullopt;
  auto lines = cluster_.print_members(at, kShellAnswer);
  if (!lines) return std::nullopt;
  ++counts_["outcomes checked with print members"];
  return change.shows_done(parse_members(*lines));
}

bool MembershipRun::attempt(Change& change, Clock::time_point until, bool healed) {
  while (!change.done) {
    std::vector<std::size_t> running;
    for (std::size_t s : members())
      if (cluster_.running(s) && !cluster_.paused(s)) running.push_back(s);
    if (running.empty() || Clock::now() >= until) return false;
    // Any running member, even one cut off by the partition: the operator does not know.
    const std::size_t at = pick(running);
    if (change.unknown) {
      if (!healed) return false;
      const std::optional<bool> shown = check_members(change, at);
      if (!shown) continue;  // `at` did not catch up: ask another
      change.unknown = false;
      if (*shown) {
        change.done = true;
        change.done_at = at;
        note(change.command + ": an earlier try was applied (print members at " +
             cluster_.name(at) + ")");
        return true;
      }
      ++counts_["retries after an unknown outcome"];
    }
    ++counts_["commands sent"];
    const std::optional<std::string> answer = send(change, at);
    const std::string text = answer.value_or("(no answer)");
    auto says = [&](const std::vector<std::string>& phrases) {
      for (const std::string& p : phrases)
        if (text.find(p) != std::string::npos) return true;
      return false;
    };
    if (text == change.what + " " + change.name + " completed") {
      change.done = true;
      change.done_at = change.with_client ? std::nullopt : std::optional<std::size_t>(at);
      note(change.command + " completed at " + cluster_.name(at));
      return true;
    }
    if (says(change.already_done)) {
      // Decided in the log, so every site refuses alike: the earlier try was applied.
      change.done = true;
      change.done_at = at;
      note(change.command + ": " + text + " (an earlier try was applied)");
      return true;
    }
    if (says(change.not_yet)) {
      for (const std::string& p : change.not_yet)
        if (text.find(p) != std::string::npos) {
          ++counts_["refused (" + p + ")"];
          break;
        }
      std::this_thread::sleep_for(200ms);  // a polling interval, as an operator retries
      continue;
    }
    if (!answer || text.find("timed out") != std::string::npos) {
      ++counts_["outcome unknown (timed out)"];
      note(change.command + " at " + cluster_.name(at) + ": " + text);
      // A transfer may simply be sent again; anything else is checked first.
      change.unknown = change.what != "leader transfer";
      if (!healed) return false;
      continue;
    }
    BOOST_TEST_REQUIRE(false, change.command << " at " << cluster_.name(at)
                                             << ": unexpected answer `" << text << "`");
  }
  return true;
}

void MembershipRun::finish(Change& change) {
  if (change.done) return;
  BOOST_TEST_REQUIRE(
      attempt(change, Clock::now() + kChangeDeadline, true),
      change.command << " not done within " << kChangeDeadline.count() << " s after the heal");
}

bool MembershipRun::start_joined(std::size_t site, std::optional<std::size_t> hint) {
  if (cluster_.running(site)) return true;
  // The contact must know the new site (or the join is refused) and be reachable from it.
  std::optional<std::size_t> contact;
  if (hint && reachable(*hint) && roles_[*hint] != Role::none) contact = hint;
  for (std::size_t s : members())
    if (!contact && s != site && reachable(s) && cluster_.has_process(s)) {
      auto lines = cluster_.print_members(s, kShellAnswer);
      if (lines && parse_members(*lines).count(cluster_.name(site))) contact = s;
    }
  if (!contact) return false;
  cluster_.join_through(site, *contact);
  if (cluster_.try_start(site)) {
    note(cluster_.name(site) + " started with --join through " + cluster_.name(*contact));
    return true;
  }
  note(cluster_.name(site) + ": the join through " + cluster_.name(*contact) + " failed");
  cluster_.kill9(site);
  return false;
}

void MembershipRun::wait_promoted(std::size_t site) {
  const Clock::time_point deadline = Clock::now() + kChangeDeadline;
  for (;;) {
    for (std::size_t s : members())
      if (s != site && reachable(s)) {
        auto lines = cluster_.print_members(s, kShellAnswer);
        if (!lines) continue;
        auto m = parse_members(*lines);
        auto it = m.find(cluster_.name(site));
        if (it != m.end() && it->second.role == Role::voter) {
          note(cluster_.name(site) + " is a voter (print members at " + cluster_.name(s) + ")");
          return;
        }
        break;
      }
    BOOST_TEST_REQUIRE(bool(Clock::now() < deadline), cluster_.name(site)
                                                          << " was not promoted within "
                                                          << kChangeDeadline.count() << " s");
    std::this_thread::sleep_for(200ms);  // a polling interval, as an operator would look again
  }
}

void MembershipRun::retire(std::size_t site) {
  if (cluster_.running(site) && !cluster_.paused(site)) {
    const Clock::time_point deadline = Clock::now() + 5s;
    while (Clock::now() < deadline) {
      auto lead = leader();
      if (lead && *lead != site) break;
      std::this_thread::sleep_for(100ms);  // a polling interval
    }
  }
  cluster_.retire(site);
  note(cluster_.name(site) + " stopped for good");
}

void MembershipRun::run_steps() {
  const std::size_t delta = kInitialSites, epsilon = kInitialSites + 1, zeta = kInitialSites + 2;

  // Grow: delta, added as a voter while a minority is cut off; the leader promotes it.
  {
    Change add = add_change(delta, true);
    step(
        FaultKind::partition_minority,
        [&](Clock::time_point hold_end) {
          during(add, hold_end);
          if (add.done) {
            roles_[delta] = Role::learner;
            start_joined(delta, add.done_at);
          }
        },
        [&] {
          finish(add);
          roles_[delta] = Role::learner;
          BOOST_TEST_REQUIRE(start_joined(delta, add.done_at), "delta could not join");
          wait_promoted(delta);
          roles_[delta] = Role::voter;
        });
  }
  // Leadership moves to another voter while a minority is down.
  {
    std::optional<std::size_t> lead = leader();
    std::vector<std::size_t> others;
    for (std::size_t s : voters())
      if (!lead || s != *lead) others.push_back(s);
    Change transfer = transfer_change(pick(others));
    step(
        FaultKind::kill_minority, [&](Clock::time_point hold_end) { during(transfer, hold_end); },
        [&] { finish(transfer); });
  }
  // The leader is removed (it hands over) while a minority without it is cut off.
  {
    std::optional<std::size_t> lead = leader();
    const std::size_t removed = lead ? *lead : pick(voters());
    Change remove = remove_change(removed);
    step(
        FaultKind::partition_without_leader,
        [&](Clock::time_point hold_end) { during(remove, hold_end); },
        [&] {
          finish(remove);
          roles_[removed] = Role::none;
          retire(removed);
        });
  }
  // Replacement of an original: epsilon comes in while a minority is down ...
  {
    Change add = add_change(epsilon, true);
    step(
        FaultKind::kill_minority,
        [&](Clock::time_point hold_end) {
          during(add, hold_end);
          if (add.done) {
            roles_[epsilon] = Role::learner;
            start_joined(epsilon, add.done_at);
          }
        },
        [&] {
          finish(add);
          roles_[epsilon] = Role::learner;
          BOOST_TEST_REQUIRE(start_joined(epsilon, add.done_at), "epsilon could not join");
          wait_promoted(epsilon);
          roles_[epsilon] = Role::voter;
        });
  }
  // ... and an original goes, while the leader is isolated, and is stopped for good.
  {
    std::vector<std::size_t> originals;
    for (std::size_t s : voters())
      if (s < kInitialSites) originals.push_back(s);
    const std::size_t removed = pick(originals);
    Change remove = remove_change(removed);
    step(
        FaultKind::isolate_leader, [&](Clock::time_point hold_end) { during(remove, hold_end); },
        [&] {
          finish(remove);
          roles_[removed] = Role::none;
          retire(removed);
        });
  }
  // zeta joins as a learner while the leader is killed, and is promoted by hand.
  {
    Change add = add_change(zeta, false);
    Change promote = promote_change(zeta);
    step(
        FaultKind::kill_leader,
        [&](Clock::time_point hold_end) {
          during(add, hold_end);
          if (add.done) {
            roles_[zeta] = Role::learner;
            if (start_joined(zeta, add.done_at)) during(promote, hold_end);
          }
        },
        [&] {
          finish(add);
          roles_[zeta] = Role::learner;
          BOOST_TEST_REQUIRE(start_joined(zeta, add.done_at), "zeta could not join");
          finish(promote);
          roles_[zeta] = Role::voter;
        });
  }
  // Leadership goes to the newest voter while a minority is cut off.
  {
    Change transfer = transfer_change(zeta);
    step(
        FaultKind::partition_minority,
        [&](Clock::time_point hold_end) { during(transfer, hold_end); }, [&] { finish(transfer); });
  }
  // Back to three voters: one that does not lead is removed while a minority is down.
  {
    std::optional<std::size_t> lead = leader();
    std::vector<std::size_t> others;
    for (std::size_t s : voters())
      if (!lead || s != *lead) others.push_back(s);
    const std::size_t removed = pick(others);
    Change remove = remove_change(removed);
    step(
        FaultKind::kill_minority, [&](Clock::time_point hold_end) { during(remove, hold_end); },
        [&] {
          finish(remove);
          roles_[removed] = Role::none;
          retire(removed);
        });
  }
}

void MembershipRun::cycle_faults(Clock::time_point end) {
  for (int round = 0; Clock::now() + 2s < end; ++round) {
    const Clock::time_point hold_end =
        inject(round % 2 == 0 ? FaultKind::partition_minority : FaultKind::kill_minority);
    std::this_thread::sleep_until(std::min(hold_end, end));
    heal();
    std::this_thread::sleep_until(std::min(Clock::now() + 1s, end));
  }
}

bool MembershipRun::members_as_made(std::size_t at) {
  auto lines = cluster_.print_members(at, kShellAnswer);
  if (!lines) return false;
  auto shown = parse_members(*lines);
  bool same = shown.size() == members().size();
  for (std::size_t s : members()) {
    auto it = shown.find(cluster_.name(s));
    same = same && it != shown.end() && it->second.role == roles_[s];
  }
  if (!same)
    BOOST_TEST_MESSAGE("print members at " << cluster_.name(at) << ":\n"
                                           << e2e::join_lines(*lines));
  return same;
}

// Stops the load when the run ends early (a failed requirement), so its thread ends soon.
struct StopLoad {
  Load& load;
  ~StopLoad() { load.stop(); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(schedules)

BOOST_AUTO_TEST_CASE(three_sites_membership_changes) {
  const int seconds = load_seconds();
  const std::uint64_t seed = 16002;
  Topology topology(tools(), kInitialSites + kSpareSites);
  // As in the other schedules: compactions happen, every slot stays in the log.
  NetCluster cluster(topology, {"--snapshot-every", "5000", "--log-tail", "1000000"},
                     kInitialSites);
  cluster.start_all();
  Faults faults(topology, cluster);
  // The clients know every site that will ever be, from the start (README, "Clients across
  // changes"), and skip those that do not answer.
  std::vector<std::size_t> everyone(cluster.size());
  for (std::size_t i = 0; i < everyone.size(); ++i) everyone[i] = i;
  const auto client_hosts = cluster.write_hosts_file("client_hosts.txt", everyone);
  Load load(client_hosts, 2 * kInitialSites, seed, LoadOptions{true});
  StopLoad stop_load{load};

  const auto start = Clock::now();
  // The load runs until the changes are done and the time is over, whichever is later (the
  // duration is only a bound).
  load.start(std::chrono::seconds(seconds) + 300s);
  MembershipRun run(cluster, faults, seed, client_hosts, start);
  run.run_steps();
  const double steps_s = std::chrono::duration<double>(Clock::now() - start).count();
  run.cycle_faults(start + std::chrono::seconds(seconds));
  load.stop();
  load.join();
  faults.heal();

  const std::vector<std::size_t> members = run.members();
  const auto member_hosts = cluster.write_hosts_file("member_hosts.txt", members);
  HealedChecks checks = check_after_heal(cluster, load, members, member_hosts);
  // Every member shows the configuration the run made.
  for (std::size_t s : members)
    BOOST_TEST(run.members_as_made(s), cluster.name(s) << " shows other members");

  std::string member_list, counts;
  for (std::size_t s : members) member_list += " " + cluster.name(s);
  for (const auto& [kind, n] : run.counts())
    counts += (counts.empty() ? "" : ", ") + kind + " " + std::to_string(n);
  const double total_s = std::chrono::duration<double>(Clock::now() - start).count();
  std::cout << "net run: 3 sites + 3 to add, membership changes under partitions and kill -9, "
            << seconds << " s of load at least, seed " << seed << "\n"
            << "  membership: changes done after " << steps_s
            << " s, members at the end:" << member_list << "; " << counts << "\n"
            << describe(checks, load.figures(), cluster, members, faults.describe_counts())
            << "\n  run: " << total_s << " s" << std::endl;
  for (const std::string& event : run.events()) std::cout << "    " << event << "\n";
  std::cout << std::flush;
}

BOOST_AUTO_TEST_SUITE_END()
