#include "sim/sim_disk.hpp"

#include <algorithm>
#include <cassert>

namespace paxoskv::sim {

const char* crash_point_name(CrashPoint point) {
  switch (point) {
    case CrashPoint::idle:
      return "idle";
    case CrashPoint::before_persist:
      return "before-persist";
    case CrashPoint::mid_persist:
      return "torn-write";
    case CrashPoint::after_persist:
      return "after-persist-before-send";
  }
  return "?";
}

std::size_t SimDisk::record_count(const Ready& ready) {
  const std::size_t compaction = ready.compaction && ready.compaction->installed ? 2 : 1;
  return (ready.promised ? 1 : 0) + ready.accepted.size() +
         (ready.compaction ? compaction : ready.decided.size());
}

void SimDisk::persist(const Ready& ready, const Replica& replica, std::size_t records) {
  std::size_t left = std::min(records, record_count(ready));
  if (left > 0 && ready.promised) {
    promised_ = *ready.promised;
    --left;
  }
  for (std::size_t i = 0; left > 0 && i < ready.accepted.size(); ++i, --left)
    accepted_[ready.accepted[i].slot] = ready.accepted[i];
  if (ready.compaction) {
    // Like the site: an installed snapshot's file first, then the log rewritten from its new
    // start.
    if (left > 0 && ready.compaction->installed) {
      snapshot_ = ready.compaction->snapshot;
      --left;
    }
    if (left > 0) {
      assert(replica.log_start() == ready.compaction->log_start);
      log_start_ = replica.log_start();
      log_start_hash_ = replica.log_start_hash();
      log_ = replica.log();
      --left;
    }
  } else {
    for (std::size_t i = 0; left > 0 && i < ready.decided.size(); ++i, --left) {
      // The core hands out decided entries contiguously, continuing the log.
      assert(ready.decided[i].slot == log_end());
      log_.push_back(ready.decided[i]);
    }
  }
  // Like the site: accepted records below the log's end are dead, those slots are decided.
  if (!ready.decided.empty() || ready.compaction)
    accepted_.erase(accepted_.begin(), accepted_.lower_bound(log_end()));
}

void SimDisk::restore_into(Replica& replica, TimeMs now) {
  // A crash between writing a snapshot and rewriting the log can leave a log that ends below
  // the snapshot's base: the site then starts its log afresh at the base (see the site's
  // recovery), and so does this.
  if (snapshot_ && log_end() < snapshot_->base) {
    log_start_ = snapshot_->base;
    log_start_hash_ = snapshot_->base_hash;
    log_.clear();
  }
  assert(!snapshot_ || log_start_ <= snapshot_->base);
  assert(snapshot_ || log_start_ == 0);
  accepted_.erase(accepted_.begin(), accepted_.lower_bound(log_end()));
  std::vector<AcceptedEntry> accepted;
  accepted.reserve(accepted_.size());
  for (const auto& [slot, entry] : accepted_) accepted.push_back(entry);
  replica.restore(promised_, accepted, snapshot_, log_start_, log_start_hash_, log_, now);
}

}  // namespace paxoskv::sim
