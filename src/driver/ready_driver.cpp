#include "driver/ready_driver.hpp"

#include <algorithm>
#include <cassert>

#include "log/log.hpp"
#include "storage/data_files.hpp"
#include "storage/kv_file.hpp"
#include "storage/snapshot_file.hpp"
#include "storage/storage_error.hpp"

namespace paxoskv::driver {

namespace {

// SPEC §5: SITE.json is at most 100 ms behind the applied map.
constexpr TimeMs kKvWriteDelayMs = 100;
// A site whose map has not changed for this long is idle: SITE.json is rewritten at the next
// tick, however far apart the rewrites under load were spaced (SPEC §5: written when the site
// goes idle, at most 100 ms late).
constexpr TimeMs kKvIdleMs = 50;
// The periodic SITE.json rewrite may take at most 1/100 of a busy site's time: with a large
// map (100k keys) a 1/20 share was a tenth of each site's CPU profile under load.
constexpr TimeMs kKvWriteCostShare = 100;
// How long decided entries may sit in SITE_log.json unsynced (see persist). Only bounds how
// soon the acceptor records they cover can be forgotten; nothing waits for it, and the fsync
// runs off the site's thread. Each one is an fsync on the disk the acceptors' fsyncs wait on:
// with 20 ms rather than 1 s, a 1-client write's p99 was about 25% longer (4 pairs of runs;
// the p50 moved within the noise).
constexpr TimeMs kLogSyncDelayMs = 100;

// SITE.json is a view rebuilt from the log at every start: failing to write it is worth a loud
// message, not the loss of the site.
template <typename Map>
void write_kv_file_or_complain(const std::filesystem::path& dir, const std::string& site,
                               const Map& kv, bool durable, storage::FileSystem& fs) {
  try {
    storage::write_kv_file(dir, site, kv, durable, fs);
  } catch (const storage::StorageError& error) {
    PAXOSKV_LOG(error) << error.what();
  }
}

// The stores open the files of an existing directory; a fresh site makes its directory.
const std::filesystem::path& ensure_directory(storage::FileSystem& fs,
                                              const std::filesystem::path& dir) {
  try {
    fs.make_dirs(dir);
  } catch (const storage::StorageError& error) {
    throw storage::StorageError("cannot create data directory " + dir.string() + ": " +
                                error.what());
  }
  return dir;
}

}  // namespace

ReadyDriver::ReadyDriver(Replica& replica, const std::filesystem::path& dir,
                         const std::string& site, storage::FileSystem& fs, Executor& executor,
                         ReadySink& sink, DriverOptions options)
    : replica_(replica),
      self_(replica.status().self),
      dir_(dir),
      site_(site),
      fs_(fs),
      executor_(executor),
      sink_(sink),
      bug_(options.bug),
      acceptor_store_(storage::check_data_files(ensure_directory(fs, dir), site, fs), site,
                      options.state_compact_slack, fs),
      // Damage in the log above the point the state file says was fsynced is a power cut's
      // unsynced tail, covered by acceptor records and peers: it is cut, not refused.
      log_store_(dir, site, fs, acceptor_store_.log_durable()) {}

void ReadyDriver::restore() {
  // The state machine from the snapshot (if any), then the log from its start; a log left
  // below the snapshot by a crash mid-compaction is restarted at the snapshot's base.
  std::shared_ptr<const SnapshotImage> snapshot = storage::read_snapshot_file(dir_, site_, fs_);
  std::vector<LogEntry> log = log_store_.take_loaded();
  storage::reconcile_log_with_snapshot(log_store_, log, snapshot.get(), dir_, site_);
  std::vector<AcceptedEntry> accepted;
  accepted.reserve(acceptor_store_.accepted().size());
  // Records below the log's end are dead: those slots are decided and durable.
  for (const auto& [slot, entry] : acceptor_store_.accepted())
    if (slot >= log_store_.end()) accepted.push_back(entry);
  // The log may hold appends of the previous run that were never fsynced (see persist):
  // make them durable before the acceptor records they cover are forgotten.
  log_store_.sync();
  // A crash between a rename and the fsync of its directory (a rewritten log or state file, a
  // snapshot) leaves a name that a power cut can still take back to the old file, with all
  // that this run would append to the new one: the names are made durable before anything
  // rests on them.
  fs_.sync_dir(dir_);
  log_durable_to(log_store_.end());
  PAXOSKV_LOG(info) << "recovered promised=" << to_string(acceptor_store_.promised())
                    << " accepted=" << accepted.size()
                    << " snapshot=" << (snapshot ? snapshot->base : 0)
                    << " log=" << log_store_.start() << ".." << log_store_.end();
  // A site that cannot vouch for what it promised and accepted must not vote until it has
  // recovered from its peers (README, "A voter that lost its files"): one whose recovery has
  // not durably ended, or one with nothing on disk at all (a new site, a wiped disk, or a
  // start that died before its first record was durable). Learners too: a membership change
  // it no longer knows of may have promoted one, and it may have voted since.
  if (acceptor_store_.recovery_pending() ||
      (acceptor_store_.blank() && log_store_.end() == 0 && !snapshot)) {
    PAXOSKV_LOG(info) << "no durable acceptor state: recovering from the other voters before "
                         "voting";
    acceptor_store_.record_recovery_pending();
    replica_.restore_amnesiac(std::move(snapshot), log_store_.start(), log_store_.start_hash(), log,
                              executor_.now());
    return;
  }
  replica_.restore(acceptor_store_.promised(), accepted, std::move(snapshot), log_store_.start(),
                   log_store_.start_hash(), log, executor_.now());
}

void ReadyDriver::start() {
  // The map was rebuilt from the log: SITE.json may be stale (a crash) or absent (a new site).
  kv_dirty_ = true;
  schedule_kv_write();
}

void ReadyDriver::stop() {
  if (stopped_) return;
  stopped_ = true;
  executor_.cancel_timers();
  executor_.wait(Lane::snapshot);
  executor_.wait(Lane::log_sync);
  write_kv(true);
  sync_log();
  // Last, so that it records the log durable to its end: a stopped site's files say exactly
  // what they hold, and any later loss of log entries is refused as damage.
  acceptor_store_.sync();
}

void ReadyDriver::flush() {
  if (stopped_) return;
  Ready ready = replica_.take_ready();
  if (ready.empty()) return;
  sink_.on_ready(ready);
  if (ready.members_changed) sink_.members_changed(replica_.address_book());
  const SiteId self = self_;
  // Accepts go out before this site's own fsync, so the followers' fsyncs overlap with it.
  const bool early = ready.must_persist();
  auto sent_early = [&](const Envelope& envelope) {
    if (bug_ == InjectedBug::ack_before_fsync) return envelope.to != self;
    return sendable_before_persist(envelope, self);
  };
  if (early)
    for (const Envelope& envelope : ready.messages)
      if (sent_early(envelope)) sink_.send(envelope);
  // Completions before this Ready's fsync and messages: a completed command is decided, so
  // durable on a quorum whose acks (this site's own included) left only after their fsyncs,
  // and applied; a read is answered from that applied state. No answer rests on this Ready's
  // records, so under load a reply does not wait for the fsync of the next batch's accepts,
  // and on the 1-client path not behind the commits to the followers either.
  for (const Completion& completion : ready.completions) sink_.complete(completion);
  persist(ready);
  if (ready.snapshot) start_snapshot(std::move(ready.snapshot));
  for (Envelope& envelope : ready.messages) {
    if (early && sent_early(envelope)) continue;  // sent above
    if (envelope.to == self)
      sink_.deliver_to_self(std::move(envelope));
    else
      sink_.send(envelope);
  }
  sink_.ready_sent();
  if (ready.kv_changed) {
    kv_dirty_ = true;
    last_kv_change_ = executor_.now();
    schedule_kv_write();
  }
}

void ReadyDriver::on_tick() {
  if (!stopped_ && kv_dirty_ && executor_.now() - last_kv_change_ >= kKvIdleMs) write_kv(false);
}

template <typename Sync>
void ReadyDriver::timed_sync(SyncedFile file, Sync&& sync) {
  auto start = std::chrono::steady_clock::now();
  sync();
  sink_.observe_fsync(file, std::chrono::steady_clock::now() - start);
}

// The fsyncs that must precede this Ready's messages. Acceptor records (a promise, accepted
// values) are fsynced here: every promise and ack depends on them. Decided entries are only
// appended: a decided slot was accepted by a quorum whose acceptor records are durable, and
// each acceptor keeps those records until its own log is fsynced past them (forget_below runs
// only after a log fsync has returned), so a power cut that loses the log's unsynced tail
// loses nothing that cannot be recovered. The one exception is a promise: it reports this
// site's decided_end, and a new leader never proposes below it, so the log is fsynced before
// a promise leaves.
void ReadyDriver::persist(const Ready& ready) {
  if (!ready.must_persist()) return;
  bool acceptor_records = ready.promised || !ready.accepted.empty();
  // The Ready that ends a recovery carries the promise it ended at: "done" goes with it, in
  // the same append, fsynced below before any message leaves. "done" says that this site's log
  // reaches every slot where its lost votes mattered (README, "A voter that lost its files"),
  // so that log is made durable first: a power cut between the two would leave "done" with the
  // log's unsynced tail lost, and those slots undecided here again (the long run's seed 31035
  // of the mixed sweep decided one slot twice that way).
  const bool log_first = ready.recovered;
  auto record = [&] {
    if (acceptor_records) acceptor_store_.record(ready.promised, ready.accepted, ready.recovered);
  };
  if (!log_first) record();
  const bool installed = ready.compaction && ready.compaction->installed;
  if (!ready.decided.empty() && !installed) {
    assert(ready.decided.front().slot == log_store_.end());
    log_store_.append(ready.decided);
    log_unsynced_ = true;
  }
  if (ready.compaction) compact(*ready.compaction);
  if (log_first) {
    sync_log();
    record();
  }
  if (acceptor_records) timed_sync(SyncedFile::state, [this] { acceptor_store_.sync(); });
  if (ready.promised)
    sync_log();
  else if (log_unsynced_)
    schedule_log_sync();
}

// An installed snapshot's file first, then the log rewritten from its new start, each atomic
// and durable: a crash between them leaves the new snapshot next to the old log, which
// recovery accepts (see storage::reconcile_log_with_snapshot). A snapshot of this site's own
// is on disk already (start_snapshot), and its log is rewritten from the file itself on the
// snapshot lane (copying the entries and writing and fsyncing the file held the site's thread
// for 50-70 ms at 256 clients): appends go on to the old file, which holds everything, until
// install_log_rewrite puts the new one in place. The new log holds what the Replica keeps
// (Ready::compaction): the log_tail entries below the snapshot and those decided since, so
// appends stay O(1) amortised.
void ReadyDriver::compact(const Compaction& compaction) {
  assert(replica_.log_start() == compaction.log_start);
  if (log_rewrite_pending_) {
    // Superseded. Installing it now would append the entries decided since it was staged,
    // taken from the Replica's log, which starts elsewhere by now (at a snapshot installed
    // from a peer, say). Dropping it is safe: the current file still holds the whole log, and
    // this compaction rewrites that again.
    executor_.wait(Lane::snapshot);
    drop_log_rewrite();
  }
  if (compaction.installed) {
    executor_.wait(Lane::snapshot);  // an older snapshot of our own must not land on this one
    storage::write_snapshot_file(dir_, site_, *compaction.snapshot, fs_);
    executor_.wait(Lane::log_sync);  // its fsync must not outlive the file it syncs
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
  executor_.start(
      Lane::snapshot, [this, rewrite, file_start = log_store_.start(), start = compaction.log_start,
                       start_hash = compaction.log_start_hash, end = log_store_.end()] {
        staged_log_ =
            storage::LogStore::stage_rewrite(dir_, site_, file_start, start, start_hash, end, fs_);
        executor_.post([this, rewrite] {
          // A later rewrite may be staging by now (this one was installed by compact()).
          if (!stopped_ && rewrite == log_rewrites_) install_log_rewrite();
        });
      });
  PAXOSKV_LOG(info) << "snapshot at slot " << compaction.snapshot->base << ", log to start at "
                    << compaction.log_start;
}

void ReadyDriver::drop_log_rewrite() {
  log_rewrite_pending_ = false;
  staged_log_.reset();  // removes its file
}

void ReadyDriver::install_log_rewrite() {
  // Dropped already (compact), or the staging failed and its exception is on its way.
  if (!log_rewrite_pending_ || !staged_log_) return;
  log_rewrite_pending_ = false;
  executor_.wait(Lane::log_sync);  // its fsync must not outlive the file it syncs
  log_store_.install_rewrite(std::move(*staged_log_), replica_.log());
  staged_log_.reset();
  log_unsynced_ = false;
  log_durable_to(log_store_.end());
}

// The state as of `source->base` goes to SITE_snapshot.json on the snapshot lane. The log must
// reach that slot durably first: a crash after the snapshot file lands and before the log is
// rewritten must leave a log that continues to the snapshot and loses no entry (recovery
// would otherwise restart a log found below its snapshot empty, at the base).
void ReadyDriver::start_snapshot(std::shared_ptr<const SnapshotSource> source) {
  assert(log_store_.end() >= source->base);
  sync_log();
  executor_.start(Lane::snapshot, [this, source = std::move(source)] {
    std::shared_ptr<const SnapshotImage> image = make_snapshot_image(*source);
    storage::write_snapshot_file(dir_, site_, *image, fs_);
    executor_.post([this, image] {
      if (stopped_) return;
      replica_.snapshot_written(image, executor_.now());
      flush();
    });
  });
}

void ReadyDriver::sync_log() {
  executor_.wait(Lane::log_sync);  // entries a background fsync was syncing are durable after it
  if (log_unsynced_) {
    timed_sync(SyncedFile::log, [this] { log_store_.sync(); });
    log_unsynced_ = false;
  }
  log_durable_to(log_store_.end());
}

// Acceptor records below a durable log are dead: those slots are decided, and their entries
// are on disk. Only here are they forgotten, and only below what is known fsynced: a log
// append whose fsync is still running on the log_sync lane is not durable yet (issue 15,
// defect 2: a compaction inside that window used to forget the records that covered it).
void ReadyDriver::log_durable_to(Slot end) {
  log_durable_end_ = std::max(log_durable_end_, end);
  acceptor_store_.forget_below(log_durable_end_);
}

// The periodic log fsync, on the log_sync lane: everything appended before it starts is
// durable when it returns (appends go on meanwhile), and only then are the acceptor records
// below that point forgotten.
void ReadyDriver::sync_log_in_background() {
  if (!log_unsynced_) return;
  if (executor_.busy(Lane::log_sync)) return schedule_log_sync();
  const Slot synced_end = log_store_.end();
  log_unsynced_ = false;
  if (bug_ == InjectedBug::forget_before_log_durable) log_durable_to(synced_end);
  executor_.start(Lane::log_sync, [this, synced_end] {
    const auto start = std::chrono::steady_clock::now();
    log_store_.sync();
    const auto took = std::chrono::steady_clock::now() - start;
    executor_.post([this, synced_end, took] {
      sink_.observe_fsync(SyncedFile::log, took);
      if (!stopped_) log_durable_to(synced_end);  // stop() wrote the files last
    });
  });
}

void ReadyDriver::schedule_log_sync() {
  if (log_sync_scheduled_ || stopped_) return;
  log_sync_scheduled_ = true;
  executor_.run_after(kLogSyncDelayMs, [this] {
    log_sync_scheduled_ = false;
    if (!stopped_) sync_log_in_background();
  });
}

void ReadyDriver::schedule_kv_write() {
  if (kv_write_scheduled_ || stopped_) return;
  kv_write_scheduled_ = true;
  // A large map takes a while to copy, sort and write: under steady load the rewrites are
  // spaced so that they take at most 1/kKvWriteCostShare of the time.
  executor_.run_after(std::max(kKvWriteDelayMs, kKvWriteCostShare * last_kv_write_ms_), [this] {
    kv_write_scheduled_ = false;
    if (stopped_) return;
    if (kv_dirty_ && executor_.busy(Lane::kv)) return schedule_kv_write();
    write_kv(false);
  });
}

void ReadyDriver::write_kv(bool durable) {
  if (durable) {  // at shutdown: the last word, on this thread
    executor_.wait(Lane::kv);
    write_kv_file_or_complain(dir_, site_, replica_.kv(), true, fs_);
    return;
  }
  if (!kv_dirty_ || executor_.busy(Lane::kv)) return;  // the next tick or timer comes back
  kv_dirty_ = false;
  // Only the copy holds this thread; sorting and writing happen on the kv lane.
  const TimeMs start = executor_.now();
  auto copy = std::make_shared<const KvCopy>(replica_.kv());
  const TimeMs copied = executor_.now() - start;
  executor_.start(Lane::kv, [this, copy, copied] {
    const TimeMs start = executor_.now();
    write_kv_file_or_complain(dir_, site_, *copy, false, fs_);
    const TimeMs took = copied + (executor_.now() - start);
    executor_.post([this, took] { last_kv_write_ms_ = took; });
  });
}

}  // namespace paxoskv::driver
