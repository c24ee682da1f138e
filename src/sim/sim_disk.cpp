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
  return (ready.promised ? 1 : 0) + ready.accepted.size() + ready.decided.size();
}

void SimDisk::persist(const Ready& ready, std::size_t records) {
  std::size_t left = std::min(records, record_count(ready));
  if (left > 0 && ready.promised) {
    promised_ = *ready.promised;
    --left;
  }
  for (std::size_t i = 0; left > 0 && i < ready.accepted.size(); ++i, --left)
    accepted_[ready.accepted[i].slot] = ready.accepted[i];
  for (std::size_t i = 0; left > 0 && i < ready.decided.size(); ++i, --left) {
    // The core hands out decided entries contiguously, continuing the log.
    assert(ready.decided[i].slot == log_.size());
    log_.push_back(ready.decided[i]);
  }
  // Like the site: accepted records below the log's end are dead, those slots are decided.
  if (!ready.decided.empty())
    accepted_.erase(accepted_.begin(), accepted_.lower_bound(log_.size()));
}

void SimDisk::restore_into(Replica& replica, TimeMs now) const {
  std::vector<AcceptedEntry> accepted;
  accepted.reserve(accepted_.size());
  for (const auto& [slot, entry] : accepted_) {
    assert(slot >= log_.size());
    accepted.push_back(entry);
  }
  replica.restore(promised_, accepted, log_, now);
}

}  // namespace paxoskv::sim
