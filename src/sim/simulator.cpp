#include "sim/simulator.hpp"

#include <algorithm>
#include <cassert>
#include <tuple>

#include "core/membership.hpp"
#include "paxoskv/limits.hpp"
#include "paxoskv/member_change.hpp"
#include "storage/storage_error.hpp"

namespace paxoskv::sim {

namespace {

// An armed crash that met no operation on the disk in this long strikes anyway.
constexpr TimeMs kArmedCrashWaitMs = 1000;
// An armed crash strikes inside one of this many next operations that change the disk.
constexpr std::uint64_t kArmedCrashOps = 8;
// Where every site keeps its files, on its own disk.
const std::filesystem::path kDataDir = "/data";
// A site added by a change is started this long after the change is decided, at most.
constexpr TimeMs kMaxStartDelayMs = 500;
// A removed site is stopped this long after its removal governs, at most, when that is safe
// (Simulator::may_retire) and has been for kRetireAfterSafeMs; else it is asked again.
constexpr TimeMs kMaxRetireDelayMs = 1000;
constexpr TimeMs kRetireAfterSafeMs = 300;
constexpr TimeMs kRetryRetireMs = 100;
const std::string kInProgress = "another membership change is in progress";

// The driver as the site runs it, but with SITE_state.json rewritten every few dozen records
// rather than every few thousand, so that runs rewrite it often (and crash inside rewrites).
driver::DriverOptions driver_options(const SimConfig& config) {
  driver::DriverOptions options;
  options.state_compact_slack = 16;
  options.bug = config.bug;
  return options;
}

Cluster make_cluster(const SimConfig& config) {
  std::vector<SiteInfo> sites;
  for (std::size_t i = 0; i < config.sites(); ++i) {
    SiteInfo info;
    info.name = "s" + std::to_string(i);
    info.host = "sim";
    info.port = static_cast<std::uint16_t>(i + 1);
    info.role = i < config.voters ? Role::voter : Role::learner;
    sites.push_back(std::move(info));
  }
  return Cluster(std::move(sites));
}

Op op_of(OpKind kind) {
  switch (kind) {
    case OpKind::put:
      return Op::put;
    case OpKind::append:
      return Op::append;
    case OpKind::del:
      return Op::del;
    case OpKind::get:
    case OpKind::cas:  // never issued by the simulated clients
      break;
  }
  assert(false && "a get is not a command, and simulated clients issue no cas");
  return Op::noop;
}

}  // namespace

void FaultStats::add(const FaultStats& o) {
  for (std::size_t i = 0; i < crashes.size(); ++i) crashes[i] += o.crashes[i];
  for (std::size_t i = 0; i < crashes_in_io.size(); ++i) crashes_in_io[i] += o.crashes_in_io[i];
  crashes_with_work_in_flight += o.crashes_with_work_in_flight;
  pages_lost += o.pages_lost;
  for (std::size_t i = 0; i < network_changes.size(); ++i)
    network_changes[i] += o.network_changes[i];
  network.sent += o.network.sent;
  network.dropped += o.network.dropped;
  network.cut += o.network.cut;
  network.duplicated += o.network.duplicated;
  network.late += o.network.late;
  lost_to_down_sites += o.lost_to_down_sites;
  unknown_outcomes += o.unknown_outcomes;
  snapshots_taken += o.snapshots_taken;
  snapshots_installed += o.snapshots_installed;
  members.add(o.members);
}

std::uint64_t FaultStats::total_crashes() const {
  std::uint64_t n = 0;
  for (std::uint64_t c : crashes) n += c;
  for (std::uint64_t c : crashes_in_io) n += c;
  return n;
}

std::string FaultStats::describe() const {
  std::string out = "crashes:";
  for (std::size_t i = 0; i < crashes.size(); ++i)
    out += std::string(" ") + crash_kind_name(static_cast<CrashKind>(i)) + "=" +
           std::to_string(crashes[i]) + "+" + std::to_string(crashes_in_io[i]) + " in I/O";
  out += ", with a lane's work in flight=" + std::to_string(crashes_with_work_in_flight) +
         ", unsynced pages lost=" + std::to_string(pages_lost);
  out += "; network changes:";
  for (std::size_t i = 0; i < network_changes.size(); ++i)
    out += std::string(" ") + network_shape_name(static_cast<NetworkShape>(i)) + "=" +
           std::to_string(network_changes[i]);
  out += "; messages: sent=" + std::to_string(network.sent) +
         " dropped=" + std::to_string(network.dropped) + " cut=" + std::to_string(network.cut) +
         " duplicated=" + std::to_string(network.duplicated) +
         " late=" + std::to_string(network.late) +
         " to-down-site=" + std::to_string(lost_to_down_sites) +
         "; operations given up=" + std::to_string(unknown_outcomes) +
         "; snapshots: taken=" + std::to_string(snapshots_taken) +
         " installed=" + std::to_string(snapshots_installed);
  return out + "; " + members.describe();
}

// Where a site's driver sends what it carries out: the simulated network and clients.
class Simulator::Sink final : public driver::ReadySink {
 public:
  Sink(Simulator& sim, SiteId site) : sim_(sim), site_(site) {}

  void on_ready(const Ready& ready) override {
    sim_.check_decisions(site_, ready);
    if (ready.compaction)
      ++(ready.compaction->installed ? sim_.result_.faults.snapshots_installed
                                     : sim_.result_.faults.snapshots_taken);
  }
  void send(const Envelope& envelope) override {
    if (envelope.to >= sim_.sites_.size()) {
      // An id only this site's configuration has (a change it used before it was decided).
      sim_.trace_.message(sim_.now_, TraceKind::down, envelope);
      ++sim_.result_.faults.lost_to_down_sites;
      return;
    }
    sim_.network_.send(envelope, sim_.now_);
  }
  void deliver_to_self(Envelope envelope) override {
    sim_.network_.loopback(std::move(envelope), sim_.now_, sim_.sites_[site_].incarnation);
  }
  void complete(const Completion& c) override {
    sim_.fault_liveness_.completed(site_, c.id, sim_.now_);
    if (sim_.operator_.owns(c.id)) {
      if (sim_.operator_.waits_for(c.id))
        if (auto wrong = sim_.configuration_.check_outcome(site_, c))
          return sim_.fail("configuration", *wrong);
      sim_.operator_.on_completion(site_, c, sim_.now_, sim_.random_);
      return;
    }
    assert(c.id.client >= 1 && c.id.client <= sim_.clients_.size());
    sim_.clients_[c.id.client - 1].on_completion(site_, c, sim_.now_, sim_.random_, sim_.history_);
  }

 private:
  Simulator& sim_;
  SiteId site_;
};

Simulator::Simulator(const SimConfig& config)
    : config_(config),
      cluster_(make_cluster(config)),
      random_(config.seed),
      trace_(config.trace_capacity),
      network_(config.sites(), config_, random_, trace_),
      faults_(config_, random_, trace_),
      sites_(config.sites()),
      operator_(config_, trace_),
      configuration_(cluster_, config.bug),
      fault_liveness_(config.fault_liveness_bound_ms()) {
  assert(config_.validate().empty());
  for (SiteId s = 0; s < sites_.size(); ++s) {
    sites_[s].name = cluster_.name(s);
    sites_[s].disk = std::make_unique<SimFileSystem>(random_);
  }
  for (std::uint64_t c = 1; c <= config_.clients; ++c) clients_.emplace_back(c, config_, trace_);
}

Simulator::~Simulator() = default;

RunResult Simulator::run() {
  for (SiteId s = 0; s < sites_.size() && result_.ok; ++s) start(s);
  const TimeMs fault_end = static_cast<TimeMs>(config_.steps) * kTickMs;
  topology_changed();
  while (result_.ok && now_ < fault_end) step(true);
  if (result_.ok) heal();
  const TimeMs deadline = now_ + config_.liveness_bound_ms;
  while (result_.ok && !settled() && now_ < deadline) step(false);
  if (result_.ok && !settled()) fail("liveness", describe_stuck());
  if (result_.ok) final_checks();
  result_.end_ms = now_;
  result_.operations = history_.size();
  result_.completed = history_.count_completed();
  result_.faults.unknown_outcomes = history_.count_abandoned();
  result_.faults.network = network_.stats();
  result_.faults.network_changes = faults_.shapes();
  const MemberStats& asked = operator_.stats();
  result_.faults.members.submitted = asked.submitted;
  result_.faults.members.bursts = asked.bursts;
  result_.faults.members.given_up = asked.given_up;
  result_.requests_in_connected_quorum = fault_liveness_.covered_requests();
  result_.longest_in_connected_quorum_ms = fault_liveness_.longest_ms();
  for (const Site& site : sites_)
    if (site.up())
      result_.decided =
          std::max<Slot>(result_.decided, site.replica->log_start() + site.replica->log().size());
  return result_;
}

// One tick of simulated time: the messages due until then; what the sites' lanes reported
// since the last tick; faults (a crash now lands between a lane's work and its report, or
// with the work still in flight); the lanes' work and timers due; clients; ticks.
void Simulator::step(bool faults) {
  advance_to(now_ + kTickMs);
  if (!result_.ok) return;
  for (SiteId s = 0; s < sites_.size() && result_.ok; ++s)
    if (!sites_[s].up() && !sites_[s].retired && sites_[s].restart_at <= now_) start(s);
  for (SiteId s = 0; s < sites_.size() && result_.ok; ++s)
    if (sites_[s].retire_at && *sites_[s].retire_at <= now_) retire_when_safe(s);
  for (SiteId s = 0; s < sites_.size() && result_.ok; ++s)
    if (sites_[s].up()) at_site(s, [&] { sites_[s].executor->run_posted(); });
  if (faults && result_.ok) inject_faults();
  for (SiteId s = 0; s < sites_.size() && result_.ok; ++s)
    if (sites_[s].up()) at_site(s, [&] { sites_[s].executor->run_due(); });
  if (!result_.ok) return;
  clients_act();
  if (result_.ok) operator_acts();
  if (faults && result_.ok && config_.fault_liveness_timeouts > 0)
    if (std::optional<std::string> overdue = fault_liveness_.check(now_))
      return fail("liveness during faults", *overdue);
  for (SiteId s = 0; s < sites_.size() && result_.ok; ++s) {
    if (!sites_[s].up()) continue;
    at_site(s, [&] { sites_[s].replica->tick(now_); });
    if (sites_[s].up()) at_site(s, [&] { sites_[s].driver->on_tick(); });
  }
  for (SiteId s = 0; s < sites_.size() && result_.ok; ++s)
    if (sites_[s].up())
      if (auto wrong = configuration_.check_site(s, *sites_[s].replica))
        fail("configuration", *wrong);
}

void Simulator::advance_to(TimeMs until) {
  while (result_.ok) {
    std::optional<std::pair<TimeMs, InFlight>> due = network_.pop_due(until);
    if (!due) break;
    assert(due->first >= now_);
    now_ = due->first;
    deliver(due->first, std::move(due->second));
  }
  now_ = until;
}

void Simulator::inject_faults() {
  std::vector<SiteId> candidates;
  for (SiteId s = 0; s < sites_.size(); ++s) {
    Site& site = sites_[s];
    if (!site.up()) continue;
    if (site.armed && now_ >= site.armed_until) crash(s, *site.armed, false);
    if (site.up() && !site.armed) candidates.push_back(s);
  }
  if (std::optional<CrashOrder> order = faults_.maybe_crash(candidates)) {
    Site& site = sites_[order->site];
    if (order->kind == CrashKind::wipe && !may_wipe(order->site))
      order->kind = CrashKind::power_cut;
    if (!order->in_io) {
      crash(order->site, order->kind, false);
    } else {
      site.armed = order->kind;
      site.armed_until = now_ + kArmedCrashWaitMs;
      site.disk->arm_crash(1 + random_.below(kArmedCrashOps));
    }
  }
  if (faults_.maybe_repartition(now_, network_, [this] { return leader(); })) topology_changed();
}

void Simulator::topology_changed() {
  // A voter recovering from lost state does not vote yet: a quorum that needs it cannot
  // serve until it has heard from enough of the others (README, "A voter that lost its files").
  std::vector<bool> up;
  for (const Site& site : sites_) up.push_back(site.up() && !site.recovering);
  fault_liveness_.changed(
      now_, up, [this](SiteId from, SiteId to) { return network_.is_cut(from, to); },
      configuration_.window());
}

// The disks the README says a cluster can lose and recover from; otherwise the power goes
// instead. One lost disk at a time (README, "A voter that lost its files"): a voter's disk goes
// only while every other site can vouch for its votes, and the voters that keep their state
// must still be a quorum of every configuration: two voters of three without their state, or
// one of two, is data loss in any majority-quorum system (and a voter without its state cannot
// recover without a leader, which needs a quorum).
bool Simulator::may_wipe(SiteId s) const {
  if (votes_somewhere(s) && state_lost()) return false;
  return keeps_quorum_with_state({}, s);
}

bool Simulator::state_lost() const {
  return std::any_of(sites_.begin(), sites_.end(),
                     [](const Site& s) { return s.wiped || s.recovering; });
}

bool Simulator::keeps_quorum_with_state(const std::vector<MemberChange>& more,
                                        SiteId also_lost) const {
  auto holds = [&](const Cluster& c) {
    return c.is_quorum([&](SiteId id) {
      return id != also_lost &&
             !(id < sites_.size() && (sites_[id].wiped || sites_[id].recovering));
    });
  };
  // From the lowest decided end of a site still in the cluster: a site behind the log still
  // needs the configurations of the slots it has not learned, and their quorums (the simulator
  // wiped the one other voter of a configuration of two that another site had not yet left
  // behind, mixed seed 489). Its durable decided end, not the one in its memory: a crash takes
  // the log's unwritten and unsynced tail, so a site that had decided past a configuration can
  // come back before it (mixed seed 66873: s3 decided up to 1059 from a catch-up reply and
  // crashed inside the write, came back at 1057, and s0, the other voter of slots 792 to 1058,
  // had been wiped meanwhile: s0 cannot recover without a leader, nor s3 lead without s0).
  Slot from = configuration_.end();
  for (SiteId id = 0; id < sites_.size(); ++id) {
    const Site& site = sites_[id];
    if (id == also_lost || site.retired) continue;
    from = std::min(from, site.up() ? site.driver->durable_decided_end() : site.durable_when_down);
  }
  for (const Cluster* config : configuration_.spanning(from))
    if (!holds(*config)) return false;
  // What the changes under way and `more` could make of the latest configuration: any of them
  // may be refused (a second one in progress) or never decided, so every subset, in every
  // order, each change by the core's rules.
  std::vector<MemberChange> changes = operator_.under_way();
  // A leader promotes a joining site by itself: a promotion it proposed may be decided at any
  // time, even after the site lost its disk (mixed seed 56137).
  for (const SiteInfo& site : configuration_.latest().sites())
    if (site.role == Role::joining)
      changes.push_back(MemberChange{MemberAction::promote, site.name, "", 0, false});
  for (const MemberChange& change : more)
    if (std::find(changes.begin(), changes.end(), change) == changes.end())
      changes.push_back(change);
  auto order = [](const MemberChange& a, const MemberChange& b) {
    return std::tie(a.action, a.name, a.host, a.port, a.voter) <
           std::tie(b.action, b.name, b.host, b.port, b.voter);
  };
  std::sort(changes.begin(), changes.end(), order);
  do {
    for (std::size_t n = 1; n <= changes.size(); ++n) {
      Membership future(configuration_.latest());
      for (std::size_t i = 0; i < n; ++i)
        future.apply(i * limits::member_change_delay, member_command(changes[i], RequestId{}));
      if (!holds(future.latest())) return false;
    }
  } while (std::next_permutation(changes.begin(), changes.end(), order));
  return holds(configuration_.latest());
}

bool Simulator::votes_somewhere(SiteId s) const {
  for (const Cluster* config : configuration_.window())
    if (config->is_voter(s)) return true;
  const Cluster& latest = configuration_.latest();
  // A joining site may be promoted by the leader at any time.
  return latest.is_voter(s) || (s < latest.size() && latest.site(s).role == Role::joining);
}

void Simulator::clients_act() {
  for (SimClient& client : clients_) {
    std::optional<Attempt> a = client.poll(now_, live_sites(), random_, history_);
    if (!a) continue;
    at_site(a->site, [&] {
      Replica& replica = *sites_[a->site].replica;
      if (a->kind == OpKind::get)
        replica.submit_read(a->id, a->key, now_);
      else
        replica.submit(Command{op_of(a->kind), a->key, a->value, a->id}, now_);
      if (!healed_) fault_liveness_.submitted(a->site, a->id, now_);
    });
    if (!result_.ok) return;
  }
}

void Simulator::operator_acts() {
  const std::vector<MemberAttempt> attempts = operator_.poll(
      now_, live_sites(), configuration_.latest(),
      [this](const std::vector<MemberChange>& more) {
        return keeps_quorum_with_state(more, Trace::kNoSite);
      },
      [this] { return leader(); }, random_);
  for (const MemberAttempt& a : attempts) {
    if (!sites_[a.site].up()) continue;  // it crashed in the previous one's submission
    at_site(a.site, [&] {
      sites_[a.site].replica->submit(a.command, now_);
      if (!healed_) fault_liveness_.submitted(a.site, a.command.id, now_);
    });
    if (!result_.ok) return;
  }
}

void Simulator::heal() {
  healed_ = true;
  result_.healed = true;
  result_.heal_ms = now_;
  network_.heal();
  network_.stop_faults();
  trace_.note(now_, TraceKind::phase, Trace::kNoSite,
              "faults stop: links healed, no loss; crashed sites restart when they are due");
  for (Site& site : sites_) {
    site.armed.reset();
    site.disk->disarm();
  }
  for (SimClient& client : clients_) client.on_heal();
  operator_.on_heal();
}

bool Simulator::settled() const {
  for (const SimClient& client : clients_)
    if (!client.finished()) return false;
  if (!operator_.finished()) return false;
  const Cluster& latest = configuration_.latest();
  for (SiteId s = 0; s < sites_.size(); ++s)
    if (latest.is_member(s) && !sites_[s].up()) return false;
  return logs_converged(member_replicas());
}

// ---- one site ----

void Simulator::deliver(TimeMs at, InFlight m) {
  Site& site = sites_[m.envelope.to];
  if (m.loopback && (!site.up() || m.incarnation != site.incarnation)) return;  // died with it
  if (!site.up()) {
    trace_.message(at, TraceKind::down, m.envelope);
    ++result_.faults.lost_to_down_sites;
    return;
  }
  trace_.message(at, TraceKind::deliver, m.envelope);
  ++result_.deliveries;
  at_site(m.envelope.to, [&] { site.replica->step(m.envelope.message, at); });
}

template <typename Action>
void Simulator::at_site(SiteId s, Action&& action) {
  Site& site = sites_[s];
  assert(site.up());
  try {
    action();
    if (site.up()) site.driver->flush();
    if (site.up() && site.replica->recovering() != site.recovering) {
      site.recovering = !site.recovering;
      if (!site.recovering) site.wiped = false;
      topology_changed();
    }
  } catch (const SimulatedCrash&) {
    crash(s, *site.armed, true);
  } catch (const storage::StorageError& error) {
    fail("recovery", "s" + std::to_string(s) + ": " + error.what());
  }
}

void Simulator::check_decisions(SiteId s, const Ready& ready) {
  auto observe = [&](Slot slot, const Command& command, const char* source) {
    if (!result_.ok) return;
    if (std::optional<std::string> conflict = agreement_.observe(slot, command, s, now_, source))
      fail("agreement", *conflict);
  };
  for (const LogEntry& e : ready.decided) {
    observe(e.slot, e.command, "log");
    if (trace_.enabled())
      trace_.note(now_, TraceKind::decide, s,
                  "slot " + std::to_string(e.slot) + ": " + describe(e.command));
  }
  for (const Envelope& e : ready.messages) {
    if (const Commit* m = std::get_if<Commit>(&e.message.body))
      for (const SlotCommand& sc : m->entries) observe(sc.slot, sc.command, "commit");
    if (const CatchupReply* m = std::get_if<CatchupReply>(&e.message.body))
      for (const SlotCommand& sc : m->entries) observe(sc.slot, sc.command, "catch-up reply");
  }
  replay_decisions();
}

void Simulator::replay_decisions() {
  while (result_.ok) {
    const Slot slot = configuration_.end();
    const Command* command = agreement_.decided(slot);
    if (command == nullptr) return;
    const ReplayedSlot replayed = configuration_.replay(*command);
    if (operator_.owns(command->id)) operator_.on_decided(command->id);
    if (replayed.member) member_decided(slot, *command, replayed);
    if (replayed.window_changed) {
      schedule_retirements();
      topology_changed();
    }
  }
}

void Simulator::member_decided(Slot slot, const Command& command, const ReplayedSlot& r) {
  MemberStats& stats = result_.faults.members;
  const Cluster& latest = configuration_.latest();
  if (!r.result.ok) {
    ++stats.refused;
    if (r.result.reason == kInProgress) ++stats.refused_in_progress;
  } else {
    ++stats.applied;
    if (command.id.client == 0) ++stats.by_leader;
  }
  trace_.note(
      now_, TraceKind::member, Trace::kNoSite,
      "slot " + std::to_string(slot) + ": " + describe(command) + " " +
          (r.result.ok ? "applied" : "refused: " + r.result.reason) +
          (r.new_configuration ? "; from slot " + std::to_string(configuration_.latest_from()) +
                                     ": " + describe(latest)
                               : ""));
  if (r.new_configuration)
    if (auto wrong = configuration_.check_quorums()) return fail("configuration", *wrong);
  if (!r.result.ok || !r.change) return;
  switch (r.change->action) {
    case MemberAction::add:
      ++stats.added;
      if (r.change->voter) ++stats.added_as_voter;
      add_site(r.change->name);
      break;
    case MemberAction::remove: {
      ++stats.removed;
      // The removed one is the newest site of that name: a name comes back only as a new site.
      SiteId removed = 0;
      for (SiteId id = 0; id < latest.size(); ++id)
        if (latest.name(id) == r.change->name) removed = id;
      if (leader() == removed) ++stats.removed_leader;
      break;
    }
    case MemberAction::promote:
      ++stats.promoted;
      break;
    case MemberAction::transfer:
      ++stats.transfers;
      break;
  }
}

void Simulator::add_site(const std::string& name) {
  const auto id = static_cast<SiteId>(sites_.size());
  assert(id + 1 == configuration_.latest().size());
  Site& site = sites_.emplace_back();
  site.name = name;
  site.disk = std::make_unique<SimFileSystem>(random_);
  site.wiped = true;  // nothing on disk: it recovers before it votes, like a wiped site
  site.restart_at = now_ + random_.between(0, kMaxStartDelayMs);
  network_.add_site();
  faults_.add_site();
  trace_.note(now_, TraceKind::member, id,
              "added as " + name + ", its process starts at " + std::to_string(site.restart_at) +
                  " ms with an empty disk");
  topology_changed();
}

void Simulator::schedule_retirements() {
  const Cluster& governing = configuration_.at(configuration_.end());
  for (SiteId s = 0; s < sites_.size() && s < governing.size(); ++s) {
    Site& site = sites_[s];
    if (site.retired || site.retire_at || governing.site(s).role != Role::removed) continue;
    site.retire_at = now_ + random_.between(0, kMaxRetireDelayMs);
    site.removed_by = configuration_.end();
  }
}

// Stopping a removed site is like losing its disk, as far as the slots it was a voter of are
// concerned: their decisions may rest on its votes. It is safe once every member has decided
// them (it never needs the old configuration again), and, as for a wiped disk, while no other
// site is without its state.
bool Simulator::may_retire(SiteId r) const {
  const Cluster& latest = configuration_.latest();
  for (SiteId s = 0; s < sites_.size(); ++s) {
    const Site& site = sites_[s];
    if (s == r || site.retired) continue;
    if (site.wiped || site.recovering) return false;
    if (!latest.is_member(s)) continue;
    if (!site.up() || site.replica->log_start() + site.replica->log().size() < sites_[r].removed_by)
      return false;
  }
  return true;
}

// The members' logs must stay decided that far across a power cut: the driver fsyncs the log
// within kLogSyncDelayMs of an append, so the condition must have held a while.
void Simulator::retire_when_safe(SiteId s) {
  Site& site = sites_[s];
  if (!may_retire(s)) {
    site.may_retire_since.reset();
    site.retire_at = now_ + kRetryRetireMs;
    return;
  }
  if (!site.may_retire_since) site.may_retire_since = now_;
  if (now_ - *site.may_retire_since < kRetireAfterSafeMs) {
    site.retire_at = now_ + kRetryRetireMs;
    return;
  }
  retire(s);
}

void Simulator::retire(SiteId s) {
  Site& site = sites_[s];
  site.retire_at.reset();
  site.retired = true;
  site.armed.reset();
  site.disk->disarm();
  ++result_.faults.members.sites_retired;
  trace_.note(now_, TraceKind::member, s,
              "retired: its removal governs, its process stops for good");
  if (site.up()) {
    if (auto wrong = check_files(s)) return fail("durability", *wrong);
    if (auto wrong = check_chain(*site.replica))
      return fail("chain", "s" + std::to_string(s) + ": " + *wrong);
    site.driver.reset();
    site.sink.reset();
    site.executor.reset();
    site.replica.reset();
    ++site.incarnation;
  }
  // What a retired site never finished does not hold back the one-lost-disk rule.
  site.wiped = false;
  site.recovering = false;
  for (SimClient& client : clients_) client.on_crash(s);
  operator_.on_crash(s);
  fault_liveness_.crashed(s);
  topology_changed();
}

// The process dies with everything in its memory: its Replica, its driver, the work on its
// lanes; a power cut also takes what its disk had not made durable.
void Simulator::crash(SiteId s, CrashKind kind, bool in_io) {
  Site& site = sites_[s];
  site.durable_when_down = site.driver->durable_decided_end();
  const bool work_in_flight = site.executor->background_work();
  std::uint64_t pages_lost = 0;
  if (kind == CrashKind::power_cut) {
    pages_lost = site.disk->power_cut();
  } else if (kind == CrashKind::wipe) {
    site.disk->wipe();
    site.wiped = true;
  } else {
    site.disk->process_crash();
  }
  // Destroyed after the disk went down, so what their destructors do reaches no file.
  site.driver.reset();
  site.sink.reset();
  site.executor.reset();
  site.replica.reset();
  site.armed.reset();
  ++site.incarnation;
  ++(in_io ? result_.faults.crashes_in_io : result_.faults.crashes)[static_cast<std::size_t>(kind)];
  if (work_in_flight) ++result_.faults.crashes_with_work_in_flight;
  if (s >= cluster_.size()) {
    ++result_.faults.members.added_crashed;
    if (kind == CrashKind::wipe) ++result_.faults.members.added_wiped;
  }
  result_.faults.pages_lost += pages_lost;
  site.restart_at = now_ + faults_.down_time();
  trace_.note(now_, TraceKind::crash, s,
              std::string(crash_kind_name(kind)) + (in_io ? " inside a disk operation" : "") +
                  (work_in_flight ? ", a lane's work in flight" : "") +
                  (pages_lost ? ", " + std::to_string(pages_lost) + " unsynced pages lost" : ""));
  for (SimClient& client : clients_) client.on_crash(s);
  operator_.on_crash(s);
  fault_liveness_.crashed(s);
  topology_changed();
}

// The site starts as the real one does: the driver opens its files and restores the core.
void Simulator::start(SiteId s) {
  Site& site = sites_[s];
  site.disk->restart();
  site.replica.emplace(cluster_, s, config_.replica_options(),
                       derive_seed(config_.seed, s, site.incarnation));
  site.executor = std::make_unique<SimExecutor>(now_, random_);
  site.sink = std::make_unique<Sink>(*this, s);
  try {
    site.driver =
        std::make_unique<driver::ReadyDriver>(*site.replica, kDataDir, site.name, *site.disk,
                                              *site.executor, *site.sink, driver_options(config_));
    site.driver->restore();
  } catch (const storage::StorageError& error) {
    site.driver.reset();
    site.replica.reset();
    return fail("recovery", "s" + std::to_string(s) + " refuses to start: " + error.what());
  }
  if (site.incarnation == 0 && s >= cluster_.size()) {
    ++result_.faults.members.sites_started;
    trace_.note(now_, TraceKind::restart, s, "first start of " + site.name);
  }
  if (site.incarnation > 0)
    trace_.note(now_, TraceKind::restart, s,
                "log=" + std::to_string(site.replica->log_start()) + ".." +
                    std::to_string(site.replica->log_start() + site.replica->log().size()) +
                    " snapshot=" +
                    std::to_string(site.replica->snapshot() ? site.replica->snapshot()->base : 0));
  site.recovering = site.replica->recovering();
  if (!site.recovering) site.wiped = false;  // a learner has nothing to recover
  site.driver->start();
  topology_changed();
  at_site(s, [] {});
}

// ---- checks ----

void Simulator::fail(std::string checker, std::string explanation) {
  if (!result_.ok) return;
  result_.ok = false;
  result_.checker = std::move(checker);
  result_.explanation = std::move(explanation);
  trace_.note(now_, TraceKind::check, Trace::kNoSite, result_.checker + ": " + result_.explanation);
}

// The site stops as the real one does (its last writes) and a new core is restored from its
// disk by a new driver, the way the next start would.
std::optional<std::string> Simulator::check_files(SiteId s) {
  struct NoSink final : driver::ReadySink {
    void send(const Envelope&) override {}
    void deliver_to_self(Envelope) override {}
    void complete(const Completion&) override {}
  };
  Site& site = sites_[s];
  site.driver->stop();
  Replica restored(cluster_, s, config_.replica_options(), 0);
  SimExecutor executor(now_, random_);
  NoSink sink;
  try {
    driver::ReadyDriver reader(restored, kDataDir, site.name, *site.disk, executor, sink,
                               driver_options(config_));
    reader.restore();
  } catch (const storage::StorageError& error) {
    return "s" + std::to_string(s) + " cannot reopen its files: " + error.what();
  }
  return check_durable_log(s, restored, *site.replica);
}

// Besides the logs and the history: every site's files hold what its memory holds, and its
// configurations are the log's.
void Simulator::final_checks() {
  for (SiteId s = 0; s < sites_.size(); ++s) {
    if (!sites_[s].up()) continue;
    if (auto e = configuration_.check_site(s, *sites_[s].replica)) return fail("configuration", *e);
    if (auto e = check_files(s)) return fail("durability", *e);
  }
  if (auto e = check_identical_logs(member_replicas())) return fail("identical logs", *e);
  for (SiteId s = 0; s < sites_.size(); ++s)
    if (sites_[s].up())
      if (auto e = check_chain(*sites_[s].replica))
        return fail("chain", "s" + std::to_string(s) + ": " + *e);
  if (auto e = check_history(history_, result_.linearizability_inconclusive))
    return fail("linearizability", *e);
}

std::string Simulator::describe_stuck() const {
  std::string out =
      "not settled " + std::to_string(config_.liveness_bound_ms) + " ms after the faults stopped.";
  for (const SimClient& client : clients_)
    if (std::optional<std::size_t> i = client.pending())
      out += "\n  pending: " + describe(history_.at(*i));
  for (SiteId s = 0; s < sites_.size(); ++s) {
    if (!sites_[s].replica) continue;
    const ReplicaStatus st = sites_[s].replica->status();
    // Its role by the log in the slot it is to decide next and in the latest configuration, and
    // in its own latest view: a site that is behind may not know what it is.
    auto role = [&](const Cluster& c) {
      return std::string(s < c.size() ? role_name(c.site(s).role) : "unknown");
    };
    out += "\n  s" + std::to_string(s) + " (" + sites_[s].name + "): decided " +
           std::to_string(st.decided_end) + (st.is_leader ? ", leader" : "") + ", ballot " +
           to_string(st.ballot) + (st.recovering ? ", recovering" : "") + "; " +
           role(configuration_.at(st.decided_end)) + " at slot " + std::to_string(st.decided_end) +
           ", latest " + role(configuration_.latest()) + " (" + role(sites_[s].replica->members()) +
           " in its view)";
  }
  if (!operator_.finished()) out += "\n  a membership change is pending";
  return out;
}

std::vector<SiteId> Simulator::live_sites() const {
  std::vector<SiteId> live;
  for (SiteId s = 0; s < sites_.size(); ++s)
    if (sites_[s].replica) live.push_back(s);
  return live;
}

std::optional<SiteId> Simulator::leader() const {
  std::optional<SiteId> best;
  Ballot best_ballot;
  for (SiteId s = 0; s < sites_.size(); ++s) {
    if (!sites_[s].replica) continue;
    ReplicaStatus st = sites_[s].replica->status();
    if (st.is_leader && (!best || st.ballot > best_ballot)) {
      best = s;
      best_ballot = st.ballot;
    }
  }
  return best;
}

std::vector<const Replica*> Simulator::member_replicas() const {
  std::vector<const Replica*> out;
  const Cluster& latest = configuration_.latest();
  for (SiteId s = 0; s < sites_.size(); ++s)
    out.push_back(sites_[s].replica && latest.is_member(s) ? &*sites_[s].replica : nullptr);
  return out;
}

RunResult run_simulation(const SimConfig& config, std::string* trace) {
  Simulator simulator(config);
  RunResult result = simulator.run();
  if (trace) *trace = simulator.trace().render();
  return result;
}

}  // namespace paxoskv::sim
