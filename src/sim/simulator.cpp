#include "sim/simulator.hpp"

#include <algorithm>

#include <cassert>

namespace paxoskv::sim {

namespace {

// An armed crash that found no Ready with records to persist in this long strikes anyway.
constexpr TimeMs kArmedCrashWaitMs = 1000;

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
      break;
  }
  assert(false && "a get is not a command");
  return Op::noop;
}

}  // namespace

void FaultStats::add(const FaultStats& o) {
  for (std::size_t i = 0; i < crashes.size(); ++i) crashes[i] += o.crashes[i];
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
}

std::uint64_t FaultStats::total_crashes() const {
  std::uint64_t n = 0;
  for (std::uint64_t c : crashes) n += c;
  return n;
}

std::string FaultStats::describe() const {
  std::string out = "crashes:";
  for (std::size_t i = 0; i < crashes.size(); ++i)
    out += std::string(" ") + crash_point_name(static_cast<CrashPoint>(i)) + "=" +
           std::to_string(crashes[i]);
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
  return out;
}

Simulator::Simulator(const SimConfig& config)
    : config_(config),
      cluster_(make_cluster(config)),
      random_(config.seed),
      trace_(config.trace_capacity),
      network_(config.sites(), config_, random_, trace_),
      faults_(config_, random_, trace_),
      sites_(config.sites()) {
  assert(config_.validate().empty());
  for (std::uint64_t c = 1; c <= config_.clients; ++c) clients_.emplace_back(c, config_, trace_);
}

RunResult Simulator::run() {
  for (SiteId s = 0; s < sites_.size(); ++s) start(s);
  const TimeMs fault_end = static_cast<TimeMs>(config_.steps) * kTickMs;
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
  for (const Site& site : sites_)
    result_.decided = std::max<Slot>(result_.decided, site.disk.log_end());
  return result_;
}

// One tick of simulated time: the messages due until then, then faults, clients and ticks.
void Simulator::step(bool faults) {
  advance_to(now_ + kTickMs);
  if (!result_.ok) return;
  for (SiteId s = 0; s < sites_.size(); ++s)
    if (!sites_[s].replica && (healed_ || sites_[s].restart_at <= now_)) start(s);
  if (faults) inject_faults();
  finish_snapshots();
  if (!result_.ok) return;
  clients_act();
  for (SiteId s = 0; s < sites_.size() && result_.ok; ++s) {
    if (!sites_[s].replica) continue;
    sites_[s].replica->tick(now_);
    drain(s);
  }
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
    if (!site.replica) continue;
    if (site.armed && now_ >= site.armed_until) crash(s, CrashPoint::idle);
    if (site.replica && !site.armed) candidates.push_back(s);
  }
  if (std::optional<CrashOrder> order = faults_.maybe_crash(candidates)) {
    Site& site = sites_[order->site];
    if (order->point == CrashPoint::idle) {
      crash(order->site, CrashPoint::idle);
    } else {
      site.armed = order->point;
      site.armed_until = now_ + kArmedCrashWaitMs;
    }
  }
  faults_.maybe_repartition(now_, network_, [this] { return leader(); });
}

void Simulator::clients_act() {
  for (SimClient& client : clients_) {
    std::optional<Attempt> a = client.poll(now_, live_sites(), random_, history_);
    if (!a) continue;
    Replica& replica = *sites_[a->site].replica;
    if (a->kind == OpKind::get)
      replica.submit_read(a->id, a->key, now_);
    else
      replica.submit(Command{op_of(a->kind), a->key, a->value, a->id}, now_);
    drain(a->site);
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
              "faults stop: links healed, no loss, crashed sites restart");
  for (SiteId s = 0; s < sites_.size(); ++s) {
    sites_[s].armed.reset();
    if (!sites_[s].replica) start(s);
  }
  for (SimClient& client : clients_) client.on_heal();
}

bool Simulator::settled() const {
  for (const SimClient& client : clients_)
    if (!client.finished()) return false;
  for (const Site& site : sites_)
    if (!site.replica) return false;
  return logs_converged(replicas());
}

// ---- one site ----

void Simulator::deliver(TimeMs at, InFlight m) {
  Site& site = sites_[m.envelope.to];
  if (m.loopback && (!site.replica || m.incarnation != site.incarnation)) return;  // died with it
  if (!site.replica) {
    trace_.message(at, TraceKind::down, m.envelope);
    ++result_.faults.lost_to_down_sites;
    return;
  }
  trace_.message(at, TraceKind::deliver, m.envelope);
  ++result_.deliveries;
  site.replica->step(m.envelope.message, at);
  drain(m.envelope.to);
}

// Handles a site's Ready as its driver does: early accepts and completions, then persist, then
// send; unless an armed crash strikes in the persist.
void Simulator::drain(SiteId s) {
  Site& site = sites_[s];
  Ready ready = site.replica->take_ready();
  if (ready.empty()) return;
  check_decisions(s, ready);
  if (!result_.ok) return;
  // As the site does: accepts leave before the fsyncs, so a crash in them does not stop them.
  if (ready.must_persist()) {
    auto early =
        std::stable_partition(ready.messages.begin(), ready.messages.end(),
                              [&](const Envelope& e) { return !sendable_before_persist(e, s); });
    for (auto it = early; it != ready.messages.end(); ++it) network_.send(std::move(*it), now_);
    ready.messages.erase(early, ready.messages.end());
  }
  // As the site does: completions are reported before the fsyncs (see Ready), so an armed
  // crash in them tests that no answer rests on this site's unsynced records.
  for (const Completion& c : ready.completions) {
    assert(c.id.client >= 1 && c.id.client <= clients_.size());
    clients_[c.id.client - 1].on_completion(s, c, now_, random_, history_);
  }
  ready.completions.clear();
  if (site.armed && ready.must_persist()) {
    crash_in_ready(s, ready);
    return;
  }
  // Like the site: an installed snapshot's file waits for the one the writer thread holds.
  if (ready.compaction && ready.compaction->installed && site.snapshot)
    write_pending_snapshot(site);
  site.disk.persist(ready, *site.replica);
  if (ready.snapshot) {
    assert(!site.snapshot);
    // The writer thread takes a while: the replica goes on meanwhile, and a crash may come
    // before the file is written, or after it and before the replica hears.
    site.snapshot = Site::PendingSnapshot{std::move(ready.snapshot), nullptr,
                                          now_ + random_.between(0, 30 * kTickMs)};
  }
  if (ready.compaction)
    ++(ready.compaction->installed ? result_.faults.snapshots_installed
                                   : result_.faults.snapshots_taken);
  if ((ready.decided.size() || ready.compaction) &&
      site.disk.log_end() != site.replica->log_start() + site.replica->log().size()) {
    fail("durability", *check_durable_log(s, site.disk, *site.replica));
    return;
  }
  send(s, ready);
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
}

void Simulator::send(SiteId s, Ready& ready) {
  for (Envelope& e : ready.messages) {
    if (e.to == s)
      network_.loopback(std::move(e), now_, sites_[s].incarnation);
    else
      network_.send(std::move(e), now_);
  }
}

void Simulator::crash_in_ready(SiteId s, const Ready& ready) {
  Site& site = sites_[s];
  const CrashPoint point = *site.armed;
  const std::size_t records = SimDisk::record_count(ready);
  std::size_t kept = 0;
  if (point == CrashPoint::mid_persist) {
    kept = static_cast<std::size_t>(random_.below(records));
  }
  if (point == CrashPoint::after_persist) kept = records;
  site.disk.persist(ready, *site.replica, kept);
  trace_.note(now_, TraceKind::crash, s,
              std::string(crash_point_name(point)) + ": " + std::to_string(kept) + " of " +
                  std::to_string(records) + " records durable, " +
                  std::to_string(ready.messages.size()) + " messages lost");
  crash(s, point);
}

void Simulator::write_pending_snapshot(Site& site) {
  if (site.snapshot->written) return;
  site.snapshot->written = make_snapshot_image(*site.snapshot->source);
  site.disk.write_snapshot(site.snapshot->written);
}

void Simulator::finish_snapshots() {
  for (SiteId s = 0; s < sites_.size() && result_.ok; ++s) {
    Site& site = sites_[s];
    if (!site.replica || !site.snapshot || site.snapshot->due > now_) continue;
    write_pending_snapshot(site);
    std::shared_ptr<const SnapshotImage> image = std::move(site.snapshot->written);
    site.snapshot.reset();
    if (site.armed) {  // the file is on disk, the log not yet compacted under it
      trace_.note(now_, TraceKind::crash, s,
                  "after writing the snapshot at slot " + std::to_string(image->base));
      crash(s, CrashPoint::idle);
      continue;
    }
    site.replica->snapshot_written(std::move(image), now_);
    drain(s);
  }
}

void Simulator::crash(SiteId s, CrashPoint point) {
  Site& site = sites_[s];
  site.replica.reset();
  site.snapshot.reset();
  site.armed.reset();
  ++site.incarnation;
  ++result_.faults.crashes[static_cast<std::size_t>(point)];
  site.restart_at = now_ + faults_.down_time();
  if (point == CrashPoint::idle) trace_.note(now_, TraceKind::crash, s, "idle");
  for (SimClient& client : clients_) client.on_crash(s);
}

void Simulator::start(SiteId s) {
  Site& site = sites_[s];
  site.replica.emplace(cluster_, s, config_.replica_options(),
                       derive_seed(config_.seed, s, site.incarnation));
  site.disk.restore_into(*site.replica, now_);
  if (site.incarnation > 0)
    trace_.note(now_, TraceKind::restart, s,
                "promised=" + to_string(site.disk.promised()) +
                    " accepted=" + std::to_string(site.disk.accepted().size()) +
                    " log=" + std::to_string(site.disk.log_start()) + ".." +
                    std::to_string(site.disk.log_end()) + " snapshot=" +
                    std::to_string(site.disk.snapshot() ? site.disk.snapshot()->base : 0));
  drain(s);
}

// ---- checks ----

void Simulator::fail(std::string checker, std::string explanation) {
  if (!result_.ok) return;
  result_.ok = false;
  result_.checker = std::move(checker);
  result_.explanation = std::move(explanation);
  trace_.note(now_, TraceKind::check, Trace::kNoSite, result_.checker + ": " + result_.explanation);
}

void Simulator::final_checks() {
  for (SiteId s = 0; s < sites_.size(); ++s)
    if (auto e = check_durable_log(s, sites_[s].disk, *sites_[s].replica))
      return fail("durability", *e);
  if (auto e = check_identical_logs(replicas())) return fail("identical logs", *e);
  for (SiteId s = 0; s < sites_.size(); ++s)
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
    ReplicaStatus st = sites_[s].replica->status();
    out += "\n  s" + std::to_string(s) + ": decided " + std::to_string(st.decided_end) +
           (st.is_leader ? ", leader" : "") + ", ballot " + to_string(st.ballot);
  }
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

std::vector<const Replica*> Simulator::replicas() const {
  std::vector<const Replica*> out;
  for (const Site& site : sites_) out.push_back(site.replica ? &*site.replica : nullptr);
  return out;
}

RunResult run_simulation(const SimConfig& config, std::string* trace) {
  Simulator simulator(config);
  RunResult result = simulator.run();
  if (trace) *trace = simulator.trace().render();
  return result;
}

}  // namespace paxoskv::sim
