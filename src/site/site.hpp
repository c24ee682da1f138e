#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "core/members_json.hpp"
#include "driver/ready_driver.hpp"
#include "net/udp_transport.hpp"
#include "paxoskv/replica.hpp"
#include "site/asio_executor.hpp"
#include "site/client_service.hpp"
#include "site/fault_injection.hpp"
#include "site/metrics.hpp"

namespace paxoskv::site {

// Milliseconds of std::chrono::steady_clock: the time the core is told.
TimeMs now_ms();

// One running site: the Replica driven by the network, a 10 ms tick and local submissions,
// with its files and its UDP socket. After every input its ReadyDriver carries out the
// Ready: persist and fsync, then send, then report completions; the site is where the
// driver's messages and completions go.
class Site : private driver::ReadySink {
 public:
  using CompletionHandler = std::function<void(const Completion&)>;

  // Opens (and recovers from) the files in `data_dir`, then binds the UDP endpoint. Throws
  // storage::StorageError for a file it cannot trust, std::runtime_error if it cannot bind.
  // The log replays from `members.initial`; `members.latest` names this site (`self`) and the
  // sites it may hear from before its log has caught up (a site that joined: site/join.hpp).
  // A site of a hosts file has the file's configuration as both.
  Site(boost::asio::io_context& io, const KnownMembers& members, SiteId self,
       const std::filesystem::path& data_dir, ReplicaOptions options = {});
  Site(const Site&) = delete;
  Site& operator=(const Site&) = delete;

  void start();
  // Final writes: cancels the timers, closes the socket, writes SITE.json and syncs the files.
  void stop();

  void on_completion(CompletionHandler handler) { on_completion_ = std::move(handler); }
  // Another client of the site (the HTTP API): offered every completion before the shell's
  // handler, it returns true for those that were its own.
  void claim_completions(std::function<bool(const Completion&)> claim) {
    claim_completions_ = std::move(claim);
  }
  // --fail-rate / --drop-rate: from now on, injected faults eat messages (see FaultInjector).
  void inject_faults(FaultRates rates);
  void submit(const Command& command);
  void submit_read(RequestId id, const std::string& key);

  // The latest configuration this site knows, which names every site it hears from: the
  // replica's, or the one a site that joined learned while its log is still behind it. For the
  // shell and the status page; `print members` shows the replica's own.
  const Cluster& cluster() const { return transport_.members(); }
  SiteId self() const { return self_; }
  const std::string& name() const { return cluster().name(self_); }
  const Replica& replica() const { return replica_; }
  net::UdpTransport& transport() { return transport_; }
  const ClientService& clients() const { return clients_; }
  // For the status page and /metrics (--http).
  const Metrics& metrics() const { return metrics_; }
  FaultCounters fault_counters() const { return faults_ ? faults_->counters() : FaultCounters{}; }

 private:
  void arm_tick();
  void flush() { driver_.flush(); }
  // driver::ReadySink: to another site, through the fault flags and the metrics; to itself;
  // to the client that asked.
  void send(const Envelope& envelope) override;
  void deliver_to_self(Envelope envelope) override;
  void complete(const Completion& completion) override;
  void ready_sent() override { last_sent_ = nullptr; }
  void members_changed(const Cluster& members) override { transport_.set_members(members); }
  void observe_fsync(driver::SyncedFile file,
                     std::chrono::steady_clock::duration elapsed) override {
    metrics_.observe_fsync(file, elapsed);
  }
  void step_self_messages();
  // Logs (info) when the leader this site follows changes: an operator reading the log of a
  // membership change or a transfer sees who led when.
  void log_leader_change();

  boost::asio::io_context& io_;
  const Cluster initial_;  // what `members` requests are told governs slot 0
  SiteId self_;
  Replica replica_;
  // Declared before the executor: the executor's lane threads, which run the driver's work,
  // are joined before the driver goes.
  driver::ReadyDriver driver_;
  AsioExecutor executor_;
  net::UdpTransport transport_;
  ClientService clients_;
  boost::asio::steady_timer tick_timer_;
  // Messages to this site, stepped together by one posted handler with one flush (one fsync).
  std::vector<Message> self_inbox_;
  bool stopped_ = false;
  CompletionHandler on_completion_;
  std::function<bool(const Completion&)> claim_completions_;
  std::optional<FaultInjector> faults_;
  Metrics metrics_{transport_.members().size()};
  // The message of the last transport send in this Ready: the next one may reuse its datagram.
  const Message* last_sent_ = nullptr;
  std::optional<SiteId> logged_leader_;
};

}  // namespace paxoskv::site
