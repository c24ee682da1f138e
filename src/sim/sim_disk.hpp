#pragma once

#include <cstddef>
#include <map>
#include <vector>

#include "paxoskv/ready.hpp"
#include "paxoskv/replica.hpp"

namespace paxoskv::sim {

// Where in the handling of a Ready a crash strikes. The driver persists (fsync) a Ready's
// records, then sends its messages, then reports its completions.
enum class CrashPoint : std::uint8_t {
  idle,            // between two inputs: everything handled so far is durable and sent
  before_persist,  // the Ready is lost entirely: nothing durable, nothing sent
  mid_persist,     // a prefix of its records is durable (a torn last write), nothing sent
  after_persist,   // its records are durable, but no message left and no client heard
};

const char* crash_point_name(CrashPoint point);

// A site's durable state, as its files hold it after fsync: the promised ballot, the latest
// accepted entry per undecided slot, and the decided log. A crash loses only what a Ready had
// not yet made durable; this object survives every crash of its site.
class SimDisk {
 public:
  // A Ready's records, in the order the site writes them: the promise, the accepted entries,
  // then the decided log entries; or, with a compaction, the snapshot file when it was
  // installed from a peer, and then the rewritten log.
  static std::size_t record_count(const Ready& ready);

  // Makes the first `records` records of `ready` durable (all of them by default). `replica`
  // is the one that produced `ready`: a compaction writes its log as it stands.
  void persist(const Ready& ready, const Replica& replica, std::size_t records = ~std::size_t{0});
  // A snapshot of the site's own, written by its writer thread (Ready::snapshot).
  void write_snapshot(std::shared_ptr<const SnapshotImage> image) { snapshot_ = std::move(image); }
  // Rebuilds a replica from what is durable, as the site does at start (which first restarts
  // a log left entirely below the snapshot by a crash mid-compaction at the snapshot's base).
  void restore_into(Replica& replica, TimeMs now);

  Ballot promised() const { return promised_; }
  const std::map<Slot, AcceptedEntry>& accepted() const { return accepted_; }
  const std::vector<LogEntry>& log() const { return log_; }
  Slot log_start() const { return log_start_; }
  Slot log_end() const { return log_start_ + log_.size(); }
  const std::shared_ptr<const SnapshotImage>& snapshot() const { return snapshot_; }

 private:
  std::shared_ptr<const SnapshotImage> snapshot_;
  Slot log_start_ = 0;
  Hash log_start_hash_ = genesis_hash;
  Ballot promised_;
  std::map<Slot, AcceptedEntry> accepted_;
  std::vector<LogEntry> log_;
};

}  // namespace paxoskv::sim
