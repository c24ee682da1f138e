#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "driver/executor.hpp"
#include "driver/synced_file.hpp"
#include "paxoskv/replica.hpp"
#include "storage/acceptor_store.hpp"
#include "storage/file_system.hpp"
#include "storage/log_store.hpp"

namespace paxoskv::driver {

// Where a Ready's effects go: the site's transport and clients, or the simulator's network
// and clients.
class ReadySink {
 public:
  virtual ~ReadySink() = default;
  // A Ready as taken from the replica, before any of it is carried out.
  virtual void on_ready(const Ready&) {}
  // The address book changed (Ready::members_changed, Replica::address_book), before the
  // Ready's messages are sent: they may go to sites added by it.
  virtual void members_changed(const Cluster&) {}
  // To another site.
  virtual void send(const Envelope& envelope) = 0;
  // To this site's own replica, as a later input (never stepped from inside a flush).
  virtual void deliver_to_self(Envelope envelope) = 0;
  virtual void complete(const Completion& completion) = 0;
  // The Ready's messages are all out: envelopes passed to send() are gone.
  virtual void ready_sent() {}
  virtual void observe_fsync(SyncedFile, std::chrono::steady_clock::duration) {}
};

struct DriverOptions {
  // Dead acceptor records tolerated before SITE_state.json is rewritten (AcceptorStore).
  std::size_t state_compact_slack = storage::AcceptorStore::kDefaultCompactSlack;
  // For the simulator: forget_before_log_durable and ack_before_fsync are the driver's.
  InjectedBug bug = InjectedBug::none;
};

// The one place that carries out a Replica's Ready: what is written to which file, what is
// fsynced before which message leaves, when completions are reported, and what runs off the
// site's thread (the deferred log fsync, the snapshot writer, the staged log rewrite,
// SITE.json). The site runs it over the JSON files and Asio; the simulator runs this same
// class over its simulated disk and clock. The safety rules it keeps are in the README
// ("The Ready driver").
class ReadyDriver {
 public:
  // Opens the site's files in `dir` on `fs`; throws storage::StorageError for a file it cannot
  // trust. `replica`, `fs`, `executor` and `sink` must outlive the driver.
  ReadyDriver(Replica& replica, const std::filesystem::path& dir, const std::string& site,
              storage::FileSystem& fs, Executor& executor, ReadySink& sink,
              DriverOptions options = {});
  ReadyDriver(const ReadyDriver&) = delete;
  ReadyDriver& operator=(const ReadyDriver&) = delete;

  // Rebuilds the replica from the files (once, before anything else).
  void restore();
  // After restore: SITE.json is rebuilt from the log soon.
  void start();
  // Takes the replica's Ready and carries it out.
  void flush();
  // Every tick: SITE.json is rewritten once the map has been still for a while.
  void on_tick();
  // Final writes: waits for the work in hand, writes SITE.json and syncs the files. Nothing
  // runs after it.
  void stop();
  bool stopped() const { return stopped_; }
  // The decided end a restart finds at the least, whatever the crash: the log is fsynced up to
  // here (and a snapshot's base is never above it). The replica's own decided end may be
  // higher: entries not yet written, or written and not yet fsynced, which a crash can take.
  Slot durable_decided_end() const { return log_durable_end_; }

 private:
  void persist(const Ready& ready);
  void compact(const Compaction& compaction);
  void install_log_rewrite();
  void drop_log_rewrite();
  void start_snapshot(std::shared_ptr<const SnapshotSource> source);
  void sync_log();
  void log_durable_to(Slot end);
  void sync_log_in_background();
  void schedule_log_sync();
  void schedule_kv_write();
  void write_kv(bool durable);
  template <typename Sync>
  void timed_sync(SyncedFile file, Sync&& sync);

  Replica& replica_;
  SiteId self_;
  std::filesystem::path dir_;
  std::string site_;
  storage::FileSystem& fs_;
  Executor& executor_;
  ReadySink& sink_;
  InjectedBug bug_;
  storage::AcceptorStore acceptor_store_;
  storage::LogStore log_store_;
  // A compacted log staged on the snapshot lane and not yet in place (see compact()).
  std::optional<storage::LogStore::StagedRewrite> staged_log_;
  bool log_rewrite_pending_ = false;
  std::uint64_t log_rewrites_ = 0;  // rewrites started, to tell a report from its successor's
  // Log entries appended and no fsync started since (see persist()).
  bool log_unsynced_ = false;
  // The log is fsynced up to here: acceptor records below it may go (log_durable_to).
  Slot log_durable_end_ = 0;
  bool log_sync_scheduled_ = false;
  bool kv_write_scheduled_ = false;
  // The map changed since the last SITE.json copy was taken, the last time at last_kv_change_.
  bool kv_dirty_ = false;
  TimeMs last_kv_change_ = 0;
  TimeMs last_kv_write_ms_ = 0;
  bool stopped_ = false;
};

}  // namespace paxoskv::driver
