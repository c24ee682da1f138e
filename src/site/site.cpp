#include "site/site.hpp"

#include <cassert>
#include <chrono>
#include <random>

#include "log/log.hpp"
#include "storage/data_files.hpp"
#include "storage/kv_file.hpp"
#include "storage/snapshot_file.hpp"
#include "storage/storage_error.hpp"

namespace paxoskv::site {

namespace {

constexpr auto kTickInterval = std::chrono::milliseconds(10);
// SPEC §5: SITE.json is at most 100 ms behind the applied map.
constexpr auto kKvWriteDelay = std::chrono::milliseconds(100);
// A site whose map has not changed for this long is idle: SITE.json is rewritten at the next
// tick, however far apart the rewrites under load were spaced (SPEC §5: written when the site
// goes idle, at most 100 ms late).
constexpr auto kKvIdle = std::chrono::milliseconds(50);
// The periodic SITE.json rewrite may take at most 1/100 of a busy site's time: with a large
// map (100k keys) a 1/20 share was a tenth of each site's CPU profile under load.
constexpr int kKvWriteCostShare = 100;
// How long decided entries may sit in SITE_log.json unsynced (see Site::persist). Only bounds
// how soon the acceptor records they cover can be forgotten; nothing waits for it, and the
// fsync runs off the site's thread. Each one is an fsync on the disk the acceptors' fsyncs
// wait on: with 20 ms rather than 1 s, a 1-client write's p99 was about 25% longer (4 pairs of
// runs; the p50 moved within the noise).
constexpr auto kLogSyncDelay = std::chrono::milliseconds(100);

// True when `b` is `a` addressed to another site: an accept or a commit the core copied for
// each recipient. Within one ballot a slot carries one value, and a decided slot has one
// value, so the ballot and the slots (with the command ids, for good measure) settle it
// without comparing the commands themselves.
bool same_wire_body(const Message& a, const Message& b) {
  auto same_entries = [](const std::vector<SlotCommand>& x, const std::vector<SlotCommand>& y) {
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (x[i].slot != y[i].slot || x[i].command.id != y[i].command.id) return false;
    return true;
  };
  if (a.from != b.from) return false;
  if (const auto* x = std::get_if<Accept>(&a.body)) {
    const auto* y = std::get_if<Accept>(&b.body);
    return y && x->ballot == y->ballot && x->decided_end == y->decided_end &&
           same_entries(x->entries, y->entries);
  }
  if (const auto* x = std::get_if<Commit>(&a.body)) {
    const auto* y = std::get_if<Commit>(&b.body);
    return y && x->decided_end == y->decided_end && same_entries(x->entries, y->entries);
  }
  return false;
}

std::uint64_t random_seed() {
  std::random_device device;
  return (std::uint64_t{device()} << 32) | device();
}

// Runs one store's sync() and records how long it took.
template <typename Sync>
void timed_sync(Metrics& metrics, SyncedFile file, Sync&& sync) {
  auto start = std::chrono::steady_clock::now();
  sync();
  metrics.observe_fsync(file, std::chrono::steady_clock::now() - start);
}

// SITE.json is a view rebuilt from the log at every start: failing to write it is worth a loud
// message, not the loss of the site.
template <typename Map>
void write_kv_file_or_complain(const std::filesystem::path& dir, const std::string& site,
                               const Map& kv, bool durable) {
  try {
    storage::write_kv_file(dir, site, kv, durable);
  } catch (const storage::StorageError& error) {
    PAXOSKV_LOG(error) << error.what();
  }
}

// The stores open the files of an existing directory; a fresh site makes its directory.
const std::filesystem::path& ensure_directory(const std::filesystem::path& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error)
    throw storage::StorageError("cannot create data directory " + dir.string() + ": " +
                                error.message());
  return dir;
}

// A voter that cannot vouch for what it promised and accepted must not vote until it has
// recovered from its peers (README, "A voter that lost its files"): one whose recovery has not
// durably ended, or one with nothing on disk at all (a new site, a wiped disk, or a start that
// died before its first record was durable). A learner never votes: nothing to recover.
bool must_recover_before_voting(const Cluster& cluster, SiteId self,
                                const storage::AcceptorStore& acceptor_store,
                                const storage::LogStore& log_store, const SnapshotImage* snapshot) {
  if (!cluster.is_voter(self)) return false;
  if (acceptor_store.recovery_pending()) return true;
  return acceptor_store.blank() && log_store.end() == 0 && !snapshot;
}

}  // namespace

TimeMs now_ms() {
  auto since_epoch = std::chrono::steady_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count();
}

Site::Site(boost::asio::io_context& io, const Cluster& cluster, SiteId self,
           const std::filesystem::path& data_dir, ReplicaOptions options)
    : io_(io),
      cluster_(cluster),
      self_(self),
      data_dir_(data_dir),
      acceptor_store_(storage::check_data_files(ensure_directory(data_dir), cluster.name(self)),
                      cluster.name(self)),
      // Damage in the log above the point the state file says was fsynced is a power cut's
      // unsynced tail, covered by acceptor records and peers: it is cut, not refused.
      log_store_(data_dir, cluster.name(self), storage::posix_file_system(),
                 acceptor_store_.log_durable()),
      replica_(cluster, self, options, random_seed()),
      transport_(io, cluster_, self),
      clients_(replica_, transport_, cluster_),
      tick_timer_(io),
      kv_timer_(io),
      log_sync_timer_(io) {
  restore();
}

void Site::restore() {
  // The state machine from the snapshot (if any), then the log from its start; a log left
  // below the snapshot by a crash mid-compaction is restarted at the snapshot's base.
  std::shared_ptr<const SnapshotImage> snapshot = storage::read_snapshot_file(data_dir_, name());
  std::vector<LogEntry> log = log_store_.take_loaded();
  storage::reconcile_log_with_snapshot(log_store_, log, snapshot.get(), data_dir_, name());
  std::vector<AcceptedEntry> accepted;
  accepted.reserve(acceptor_store_.accepted().size());
  // Records below the log's end are dead: those slots are decided and durable.
  for (const auto& [slot, entry] : acceptor_store_.accepted())
    if (slot >= log_store_.end()) accepted.push_back(entry);
  // The log may hold appends of the previous run that were never fsynced (see persist):
  // make them durable before the acceptor records they cover are forgotten.
  log_store_.sync();
  log_durable_to(log_store_.end());
  PAXOSKV_LOG(info) << "recovered promised=" << to_string(acceptor_store_.promised())
                    << " accepted=" << accepted.size()
                    << " snapshot=" << (snapshot ? snapshot->base : 0)
                    << " log=" << log_store_.start() << ".." << log_store_.end();
  if (must_recover_before_voting(cluster_, self_, acceptor_store_, log_store_, snapshot.get())) {
    PAXOSKV_LOG(info) << "no durable acceptor state: recovering from the other voters before "
                         "voting";
    acceptor_store_.record_recovery_pending();
    replica_.restore_amnesiac(std::move(snapshot), log_store_.start(), log_store_.start_hash(), log,
                              now_ms());
    return;
  }
  replica_.restore(acceptor_store_.promised(), accepted, std::move(snapshot), log_store_.start(),
                   log_store_.start_hash(), log, now_ms());
}

void Site::start() {
  transport_.start(
      [this](const Message& message) {
        assert(message.from != self_);
        metrics_.count_received(message);
        if (faults_ && faults_->ignore_incoming(message)) return;
        replica_.step(message, now_ms());
      },
      [this] { flush(); });
  transport_.on_client_request(
      [this](const net::ClientRequest& request, const boost::asio::ip::udp::endpoint& from) {
        metrics_.count_client_request();
        clients_.on_request(request, from, now_ms());
      });
  arm_tick();
  // The map was rebuilt from the log: SITE.json may be stale (a crash) or absent (a new site).
  kv_dirty_ = true;
  schedule_kv_write();
  flush();
}

void Site::stop() {
  if (stopped_) return;
  stopped_ = true;
  tick_timer_.cancel();
  kv_timer_.cancel();
  log_sync_timer_.cancel();
  transport_.close();
  snapshot_task_.wait();
  log_sync_task_.wait();
  write_kv(true);
  acceptor_store_.sync();
  sync_log();
}

void Site::inject_faults(FaultRates rates) {
  faults_.emplace(rates, random_seed());
  PAXOSKV_LOG(warning) << "fault injection on: fail-rate " << rates.fail_rate << ", drop-rate "
                       << rates.drop_rate;
}

void Site::submit(const Command& command) {
  metrics_.count_submitted(false);
  replica_.submit(command, now_ms());
  flush();
}

void Site::submit_read(RequestId id, const std::string& key) {
  metrics_.count_submitted(true);
  replica_.submit_read(id, key, now_ms());
  flush();
}

void Site::arm_tick() {
  // Ticks keep a steady cadence; after a stall the next one comes a full interval later.
  auto next = tick_timer_.expiry() + kTickInterval;
  auto now = std::chrono::steady_clock::now();
  tick_timer_.expires_at(next > now ? next : now + kTickInterval);
  tick_timer_.async_wait([this](const boost::system::error_code& error) {
    if (error || stopped_) return;
    replica_.tick(now_ms());
    flush();
    if (kv_dirty_ && std::chrono::steady_clock::now() - last_kv_change_ >= kKvIdle) write_kv(false);
    arm_tick();
  });
}

void Site::flush() {
  if (stopped_) return;
  Ready ready = replica_.take_ready();
  last_sent_ = nullptr;  // the previous Ready's messages are gone
  // Accepts go out before this site's own fsync, so the followers' fsyncs overlap with it.
  const bool early = ready.must_persist();
  if (early)
    for (const Envelope& envelope : ready.messages)
      if (sendable_before_persist(envelope, self_)) send(envelope);
  // Completions before this Ready's fsync and messages: a completed command is decided, so
  // durable on a quorum whose acks (this site's own included) left only after their fsyncs,
  // and applied; a read is answered from that applied state. No answer rests on this Ready's
  // records, so under load a reply does not wait for the fsync of the next batch's accepts,
  // and on the 1-client path not behind the commits to the followers either.
  for (const Completion& completion : ready.completions) {
    metrics_.count_completion(completion);
    if (!clients_.complete(completion) && on_completion_) on_completion_(completion);
  }
  persist(ready);
  if (ready.snapshot) start_snapshot(std::move(ready.snapshot));
  for (Envelope& envelope : ready.messages) {
    if (early && sendable_before_persist(envelope, self_)) continue;  // sent above
    if (envelope.to == self_) {
      metrics_.count_outgoing(envelope);
      deliver_to_self(std::move(envelope.message));
    } else {
      send(envelope);
    }
  }
  if (ready.kv_changed) {
    kv_dirty_ = true;
    last_kv_change_ = std::chrono::steady_clock::now();
    schedule_kv_write();
  }
  last_sent_ = nullptr;
}

void Site::send(const Envelope& envelope) {
  metrics_.count_outgoing(envelope);
  if (faults_ && faults_->drop_outgoing(envelope)) return;
  metrics_.count_sent(envelope);
  const bool same = last_sent_ && same_wire_body(*last_sent_, envelope.message);
  transport_.send(envelope, same);
  last_sent_ = &envelope.message;
}

// The fsyncs that must precede this Ready's messages. Acceptor records (a promise, accepted
// values) are fsynced here: every promise and ack depends on them. Decided entries are only
// appended: a decided slot was accepted by a quorum whose acceptor records are durable, and
// each acceptor keeps those records until its own log is fsynced past them (forget_below runs
// only after sync_log), so a crash that loses the log's unsynced tail loses nothing that
// cannot be recovered. The one exception is a promise: it reports this site's decided_end,
// and a new leader never proposes below it, so the log is fsynced before a promise leaves.
void Site::persist(const Ready& ready) {
  if (!ready.must_persist()) return;
  bool acceptor_records = ready.promised || !ready.accepted.empty();
  if (acceptor_records) acceptor_store_.record(ready.promised, ready.accepted, ready.recovered);
  const bool installed = ready.compaction && ready.compaction->installed;
  if (!ready.decided.empty() && !installed) {
    assert(ready.decided.front().slot == log_store_.end());
    log_store_.append(ready.decided);
    log_unsynced_ = true;
  }
  if (ready.compaction) compact(*ready.compaction);
  if (acceptor_records) timed_sync(metrics_, SyncedFile::state, [this] { acceptor_store_.sync(); });
  if (ready.promised)
    sync_log();
  else if (log_unsynced_)
    schedule_log_sync();
}

// An installed snapshot's file first, then the log rewritten from its new start, each atomic
// and durable: a crash between them leaves the new snapshot next to the old log, which
// recovery accepts (see storage::reconcile_log_with_snapshot). A snapshot of this site's own
// is on disk already (start_snapshot), and its log is rewritten from the file itself on
// snapshot_task_ (copying the entries and writing and fsyncing the file held this thread for
// 50-70 ms at 256 clients): appends go on to the old file, which holds everything, until
// install_log_rewrite puts the new one in place. The new log holds what the Replica keeps
// (Ready::compaction): the log_tail entries below the snapshot and those decided since, so
// appends stay O(1) amortised.
void Site::compact(const Compaction& compaction) {
  assert(replica_.log_start() == compaction.log_start);
  if (log_rewrite_pending_) {
    // Superseded. Installing it now would append the entries decided since it was staged,
    // taken from the Replica's log, which starts elsewhere by now (at a snapshot installed
    // from a peer, say). Dropping it is safe: the current file still holds the whole log, and
    // this compaction rewrites that again.
    snapshot_task_.wait();
    drop_log_rewrite();
  }
  if (compaction.installed) {
    snapshot_task_.wait();  // an older snapshot of our own must not land on top of this one
    storage::write_snapshot_file(data_dir_, name(), *compaction.snapshot);
    log_sync_task_.wait();  // its fsync must not outlive the file it syncs
    log_store_.rewrite(compaction.log_start, compaction.log_start_hash, replica_.log());
    log_unsynced_ = false;
    log_durable_to(log_store_.end());
    PAXOSKV_LOG(info) << "installed a snapshot received from a peer at slot "
                      << compaction.snapshot->base << " (" << compaction.snapshot->bytes.size()
                      << " bytes)";
    return;
  }
  log_rewrite_pending_ = true;
  const std::uint64_t rewrite = ++log_rewrites_;
  snapshot_task_.start([this, rewrite, file_start = log_store_.start(),
                        start = compaction.log_start, start_hash = compaction.log_start_hash,
                        end = log_store_.end()] {
    staged_log_ =
        storage::LogStore::stage_rewrite(data_dir_, name(), file_start, start, start_hash, end);
    boost::asio::post(io_, [this, rewrite] {
      // A later rewrite may be staging by now (this one was installed by compact()).
      if (!stopped_ && rewrite == log_rewrites_) install_log_rewrite();
    });
  });
  PAXOSKV_LOG(info) << "snapshot at slot " << compaction.snapshot->base << ", log to start at "
                    << compaction.log_start;
}

void Site::drop_log_rewrite() {
  log_rewrite_pending_ = false;
  staged_log_.reset();  // removes its file
}

void Site::install_log_rewrite() {
  // Dropped already (compact), or the staging failed and its exception is on its way.
  if (!log_rewrite_pending_ || !staged_log_) return;
  log_rewrite_pending_ = false;
  log_sync_task_.wait();  // its fsync must not outlive the file it syncs
  log_store_.install_rewrite(std::move(*staged_log_), replica_.log());
  staged_log_.reset();
  log_unsynced_ = false;
  log_durable_to(log_store_.end());
}

// The state as of `source->base` goes to SITE_snapshot.json off this thread. The log must
// reach that slot durably first: a crash after the snapshot file lands and before the log is
// rewritten must leave a log that continues to the snapshot and loses no entry (recovery
// would otherwise restart a log found below its snapshot empty, at the base).
void Site::start_snapshot(std::shared_ptr<const SnapshotSource> source) {
  assert(log_store_.end() >= source->base);
  sync_log();
  snapshot_task_.start([this, source = std::move(source)] {
    std::shared_ptr<const SnapshotImage> image = make_snapshot_image(*source);
    storage::write_snapshot_file(data_dir_, name(), *image);
    boost::asio::post(io_, [this, image] {
      if (stopped_) return;
      replica_.snapshot_written(image, now_ms());
      flush();
    });
  });
}

void Site::sync_log() {
  log_sync_task_.wait();  // entries a background fsync was syncing are durable only after it
  if (log_unsynced_) {
    timed_sync(metrics_, SyncedFile::log, [this] { log_store_.sync(); });
    log_unsynced_ = false;
  }
  log_durable_to(log_store_.end());
}

// Acceptor records below a durable log are dead: those slots are decided, and their entries
// are on disk. Only here are they forgotten, and only below what is known fsynced: a log
// append whose fsync is still running on log_sync_task_ is not durable yet (issue 15, defect
// 2: a compaction inside that window used to forget the records that covered it).
void Site::log_durable_to(Slot end) {
  log_durable_end_ = std::max(log_durable_end_, end);
  acceptor_store_.forget_below(log_durable_end_);
}

// The periodic log fsync, on log_sync_task_: everything appended before it starts is durable
// when it returns (appends go on meanwhile), and only then are the acceptor records below
// that point forgotten.
void Site::sync_log_in_background() {
  if (!log_unsynced_) return;
  if (log_sync_task_.busy()) return schedule_log_sync();
  const Slot synced_end = log_store_.end();
  log_unsynced_ = false;
  log_sync_task_.start([this, synced_end] {
    const auto start = std::chrono::steady_clock::now();
    log_store_.sync();
    const auto took = std::chrono::steady_clock::now() - start;
    boost::asio::post(io_, [this, synced_end, took] {
      metrics_.observe_fsync(SyncedFile::log, took);
      if (!stopped_) log_durable_to(synced_end);  // stop() wrote the files last
    });
  });
}

void Site::schedule_log_sync() {
  if (log_sync_scheduled_ || stopped_) return;
  log_sync_scheduled_ = true;
  log_sync_timer_.expires_after(kLogSyncDelay);
  log_sync_timer_.async_wait([this](const boost::system::error_code& error) {
    log_sync_scheduled_ = false;
    if (error || stopped_) return;
    sync_log_in_background();
  });
}

void Site::deliver_to_self(Message message) {
  // Posted rather than stepped here, so the Replica never sees an input while it is still
  // handing out the Ready that produced it. Everything queued before the handler runs is
  // stepped together and flushed once: a batch of self-accepts costs one fsync.
  self_inbox_.push_back(std::move(message));
  if (self_inbox_.size() > 1) return;
  boost::asio::post(io_, [this] { step_self_messages(); });
}

void Site::step_self_messages() {
  std::vector<Message> inbox;
  inbox.swap(self_inbox_);
  if (stopped_) return;
  TimeMs now = now_ms();
  for (const Message& message : inbox)
    if (!faults_ || !faults_->ignore_incoming(message)) replica_.step(message, now);
  flush();
}

void Site::schedule_kv_write() {
  if (kv_write_scheduled_ || stopped_) return;
  kv_write_scheduled_ = true;
  // A large map takes a while to copy, sort and write: under steady load the rewrites are
  // spaced so that they take at most 1/kKvWriteCostShare of the time.
  kv_timer_.expires_after(std::max<std::chrono::steady_clock::duration>(
      kKvWriteDelay, kKvWriteCostShare * last_kv_write_duration_));
  kv_timer_.async_wait([this](const boost::system::error_code& error) {
    kv_write_scheduled_ = false;
    if (error || stopped_) return;
    if (kv_dirty_ && kv_task_.busy()) return schedule_kv_write();
    write_kv(false);
  });
}

void Site::write_kv(bool durable) {
  if (durable) {  // at shutdown: the last word, on this thread
    kv_task_.wait();
    write_kv_file_or_complain(data_dir_, name(), replica_.kv(), true);
    return;
  }
  if (!kv_dirty_ || kv_task_.busy()) return;  // the next tick or timer comes back
  kv_dirty_ = false;
  // Only the copy holds this thread; sorting and writing happen on kv_task_.
  const auto start = std::chrono::steady_clock::now();
  auto copy = std::make_shared<const KvCopy>(replica_.kv());
  const auto copied = std::chrono::steady_clock::now() - start;
  kv_task_.start([this, copy, copied] {
    const auto start = std::chrono::steady_clock::now();
    write_kv_file_or_complain(data_dir_, name(), *copy, false);
    const auto took = copied + (std::chrono::steady_clock::now() - start);
    boost::asio::post(io_, [this, took] { last_kv_write_duration_ = took; });
  });
}

}  // namespace paxoskv::site
