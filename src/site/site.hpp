#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "net/udp_transport.hpp"
#include "paxoskv/replica.hpp"
#include "site/background_task.hpp"
#include "site/client_service.hpp"
#include "site/fault_injection.hpp"
#include "site/metrics.hpp"
#include "storage/acceptor_store.hpp"
#include "storage/log_store.hpp"

namespace paxoskv::site {

// Milliseconds of std::chrono::steady_clock: the time the core is told.
TimeMs now_ms();

// One running site: the Replica driven by the network, a 10 ms tick and local submissions,
// with its files and its UDP socket. After every input it runs the group-commit cycle of the
// Ready contract: persist and fsync, then send, then report completions.
class Site {
 public:
  using CompletionHandler = std::function<void(const Completion&)>;

  // Opens (and recovers from) the files in `data_dir`, then binds the UDP endpoint. Throws
  // storage::StorageError for a file it cannot trust, std::runtime_error if it cannot bind.
  // `cluster` must outlive the site.
  Site(boost::asio::io_context& io, const Cluster& cluster, SiteId self,
       const std::filesystem::path& data_dir, ReplicaOptions options = {});
  Site(const Site&) = delete;
  Site& operator=(const Site&) = delete;

  void start();
  // Final writes: cancels the timers, closes the socket, writes SITE.json and syncs the files.
  void stop();

  void on_completion(CompletionHandler handler) { on_completion_ = std::move(handler); }
  // --fail-rate / --drop-rate: from now on, injected faults eat messages (see FaultInjector).
  void inject_faults(FaultRates rates);
  void submit(const Command& command);
  void submit_read(RequestId id, const std::string& key);

  const Cluster& cluster() const { return cluster_; }
  SiteId self() const { return self_; }
  const std::string& name() const { return cluster_.name(self_); }
  const Replica& replica() const { return replica_; }
  net::UdpTransport& transport() { return transport_; }
  const ClientService& clients() const { return clients_; }
  // For the status page and /metrics (--http).
  const Metrics& metrics() const { return metrics_; }
  FaultCounters fault_counters() const { return faults_ ? faults_->counters() : FaultCounters{}; }

 private:
  void restore();
  void arm_tick();
  void flush();
  // To another site, through the fault flags and the metrics.
  void send(const Envelope& envelope);
  void persist(const Ready& ready);
  void compact(const Compaction& compaction);
  void install_log_rewrite();
  void drop_log_rewrite();
  void start_snapshot(std::shared_ptr<const SnapshotSource> source);
  void deliver_to_self(Message message);
  void step_self_messages();
  void sync_log();
  void log_durable_to(Slot end);
  void sync_log_in_background();
  void schedule_log_sync();
  void schedule_kv_write();
  void write_kv(bool durable);

  boost::asio::io_context& io_;
  const Cluster& cluster_;
  SiteId self_;
  std::filesystem::path data_dir_;
  storage::AcceptorStore acceptor_store_;
  storage::LogStore log_store_;
  Replica replica_;
  net::UdpTransport transport_;
  ClientService clients_;
  // A compacted log written by snapshot_task_ and not yet in place (see compact()); declared
  // before the task, so that the task's thread is joined before it goes.
  std::optional<storage::LogStore::StagedRewrite> staged_log_;
  bool log_rewrite_pending_ = false;
  std::uint64_t log_rewrites_ = 0;  // rewrites started, to tell a report from its successor's
  BackgroundTask snapshot_task_{io_};
  BackgroundTask kv_task_{io_};
  BackgroundTask log_sync_task_{io_};
  boost::asio::steady_timer tick_timer_;
  boost::asio::steady_timer kv_timer_;
  boost::asio::steady_timer log_sync_timer_;
  bool kv_write_scheduled_ = false;
  // The map changed since the last SITE.json copy was taken, the last time at last_kv_change_.
  bool kv_dirty_ = false;
  std::chrono::steady_clock::time_point last_kv_change_;
  std::chrono::steady_clock::duration last_kv_write_duration_{};
  // Messages to this site, stepped together by one posted handler with one flush (one fsync).
  std::vector<Message> self_inbox_;
  // Log entries appended and no fsync started since (see persist()).
  bool log_unsynced_ = false;
  // The log is fsynced up to here: acceptor records below it may go (log_durable_to).
  Slot log_durable_end_ = 0;
  bool log_sync_scheduled_ = false;
  bool stopped_ = false;
  CompletionHandler on_completion_;
  std::optional<FaultInjector> faults_;
  Metrics metrics_{cluster_.size()};
  // The message of the last transport send in this flush: the next one may reuse its datagram.
  const Message* last_sent_ = nullptr;
};

}  // namespace paxoskv::site
