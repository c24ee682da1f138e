#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "driver/synced_file.hpp"
#include "net/drop_counters.hpp"
#include "paxoskv/cluster.hpp"
#include "paxoskv/message.hpp"
#include "paxoskv/replica.hpp"
#include "site/fault_injection.hpp"

namespace paxoskv::site {

// Counts of fsync latencies in fixed buckets, in the shape of a Prometheus histogram.
class LatencyHistogram {
 public:
  // Upper bounds of the buckets, in seconds; one more bucket (+Inf) takes the rest.
  static constexpr std::array<double, 14> kBoundsSeconds{
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5};

  void observe(std::chrono::steady_clock::duration elapsed);
  // How many observations fell in bucket `i` alone (not cumulative); i == kBoundsSeconds.size()
  // is the +Inf bucket.
  std::uint64_t bucket(std::size_t i) const { return buckets_.at(i); }
  std::uint64_t count() const { return count_; }
  double sum_seconds() const { return sum_seconds_; }

 private:
  std::array<std::uint64_t, kBoundsSeconds.size() + 1> buckets_{};
  std::uint64_t count_ = 0;
  double sum_seconds_ = 0.0;
};

// The files whose fsyncs are timed (by the driver, which reports them).
using driver::SyncedFile;

inline constexpr std::size_t kMessageTypes = std::variant_size_v<MessageBody>;

// The site's counters for /metrics. Fed by the site's driver code only (what goes out of a
// flush, what the transport hands in, the fsyncs of persist): the core stays free of I/O.
// What the core does not report is derived from its messages: a slot's first `accept` at a
// ballot is a proposal, the same slot sent again to the same peer at the same ballot is a
// retry; likewise a `prepare` sent again to a peer at the same ballot.
class Metrics {
 public:
  explicit Metrics(std::size_t sites);

  // Every message a flush produces, before fault injection, including those to this site.
  void count_outgoing(const Envelope& envelope);
  // A datagram handed to the transport.
  void count_sent(const Envelope& envelope);
  // A message the transport decoded and accepted from a peer.
  void count_received(const Message& message);
  void count_submitted(bool read) { ++(read ? reads_submitted_ : writes_submitted_); }
  void count_client_request() { ++client_requests_; }
  void count_completion(const Completion& completion);
  void observe_fsync(SyncedFile file, std::chrono::steady_clock::duration elapsed);

  std::uint64_t sent(std::size_t type) const { return sent_.at(type); }
  std::uint64_t received(std::size_t type) const { return received_.at(type); }
  std::uint64_t proposals() const { return proposals_; }
  std::uint64_t accept_retries() const { return accept_retries_; }
  std::uint64_t prepare_retries() const { return prepare_retries_; }
  std::uint64_t elections() const { return elections_; }
  std::uint64_t writes_submitted() const { return writes_submitted_; }
  std::uint64_t reads_submitted() const { return reads_submitted_; }
  std::uint64_t client_requests() const { return client_requests_; }
  std::uint64_t completed() const { return completed_; }
  std::uint64_t failed() const { return failed_; }
  const LatencyHistogram& fsync(SyncedFile file) const {
    return file == SyncedFile::state ? fsync_state_ : fsync_log_;
  }

 private:
  // Per destination: the last ballot sent and the highest slot sent at it.
  struct PeerProgress {
    Ballot accept_ballot;
    std::optional<Slot> accept_high;
    Ballot prepare_ballot;
  };
  void count_accept(SiteId to, const Accept& accept);
  void count_prepare(SiteId to, const Prepare& prepare);

  std::array<std::uint64_t, kMessageTypes> sent_{};
  std::array<std::uint64_t, kMessageTypes> received_{};
  std::vector<PeerProgress> peers_;
  Ballot proposal_ballot_;
  std::optional<Slot> proposal_high_;
  Ballot election_ballot_;
  std::uint64_t proposals_ = 0;
  std::uint64_t accept_retries_ = 0;
  std::uint64_t prepare_retries_ = 0;
  std::uint64_t elections_ = 0;
  std::uint64_t writes_submitted_ = 0;
  std::uint64_t reads_submitted_ = 0;
  std::uint64_t client_requests_ = 0;
  std::uint64_t completed_ = 0;
  std::uint64_t failed_ = 0;
  LatencyHistogram fsync_state_;
  LatencyHistogram fsync_log_;
};

// The wire name of message type `index` (an index of MessageBody).
const char* message_type_name(std::size_t index);

// Everything /metrics shows, read from the site at the moment of the request.
struct MetricsSnapshot {
  const Cluster& cluster;
  ReplicaStatus status;
  std::size_t kv_keys = 0;
  net::DropCounters drops;
  FaultCounters faults;
  const Metrics& metrics;
};

// The Prometheus text exposition format (version 0.0.4), one HELP and TYPE per family.
std::string format_prometheus(const MetricsSnapshot& snapshot);

}  // namespace paxoskv::site
