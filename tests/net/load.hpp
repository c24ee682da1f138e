#pragma once

// Client load from the root namespace while faults happen, recorded as a history for the
// linearizability checker (sim::ClientHistory: invocation and completion times in ms since
// the load began). Writes are puts and appends of values unique in the run ("c3.17"), so
// that a lost acknowledged write can be looked for by value in the decided log.
//
// Keys change every few seconds (an epoch), so each key's history stays small enough to
// check and an appended value stays far below the value limit.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "sim/client_history.hpp"

namespace net_test {

struct LoadFigures {
  std::uint64_t ok = 0;             // answered successfully
  std::uint64_t failed_reads = 0;   // gets without an answer: no information, left out
  std::uint64_t indeterminate = 0;  // writes without an acknowledgement: may or may not apply
};

struct AckedWrite {
  std::string op;  // "put", "append" or "cas", as in `print log`
  std::string key;
  std::string value;
};

// What the checks after a heal (checks.hpp) need of a load: its history, with final reads, and
// its acknowledged writes.
class CheckedLoad {
 public:
  virtual ~CheckedLoad() = default;
  // After the load: one linearizable get of every key it used, added to the history after
  // everything else. A load of UDP clients asks the sites of `hosts_file`.
  virtual void final_reads(const std::filesystem::path& hosts_file) = 0;
  virtual std::vector<paxoskv::sim::Operation> for_checker() const = 0;
  virtual std::vector<AckedWrite> acked_writes() const = 0;
};

struct LoadOptions {
  // The clients share which sites timed out lately and skip them for a while, and send a retry
  // to every other site as well, as paxoskv-bench does: for a hosts file that lists sites
  // which are down for good (removed, or not added yet).
  bool share_site_health = false;
};

class Load : public CheckedLoad {
 public:
  Load(std::filesystem::path hosts_file, std::size_t clients, std::uint64_t seed,
       LoadOptions options = {});
  ~Load() override;  // joins the load thread
  Load(const Load&) = delete;
  Load& operator=(const Load&) = delete;

  // Runs `clients` closed-loop clients on a thread of their own; no new request starts after
  // `duration`, and the thread ends when the last outstanding one has finished or given up.
  void start(std::chrono::seconds duration);
  // No new request starts from now on (before the duration given to start() is over).
  void stop();
  void join();
  // After join(): one linearizable get of every key the load used, by a fresh client, added
  // to the history (after everything else, so the checker sees the final state). The client
  // asks the sites of `hosts_file` (empty: the load's own).
  void final_reads(const std::filesystem::path& hosts_file = {}) override;

  std::int64_t now_ms() const;
  const paxoskv::sim::ClientHistory& history() const { return history_; }
  std::vector<paxoskv::sim::Operation> for_checker() const override {
    return history_.for_checker();
  }
  LoadFigures figures() const;
  std::vector<AckedWrite> acked_writes() const override;
  const std::set<std::string>& keys() const { return keys_; }

 private:
  void run(std::chrono::seconds duration);

  std::filesystem::path hosts_file_;
  std::size_t clients_;
  std::uint64_t seed_;
  LoadOptions options_;
  std::chrono::steady_clock::time_point start_;
  std::atomic<bool> stopped_{false};
  std::thread thread_;
  paxoskv::sim::ClientHistory history_;
  std::set<std::string> keys_;
};

}  // namespace net_test
