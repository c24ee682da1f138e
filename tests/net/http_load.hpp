#pragma once

// Client load over the HTTP KV API (SPEC §6c) while faults happen, recorded for the
// linearizability checker like the UDP load (load.hpp): puts (`PUT /v1/kv/KEY`),
// compare-and-swaps (`PUT /v1/kv/KEY?prev_value=V`) and linearizable gets (`GET /v1/kv/KEY`)
// from closed-loop clients, each on a thread of its own with a blocking keep-alive
// connection, from the root namespace to the sites' --http-bind addresses. A client goes on
// to the next site when one does not answer (connection refused, timeout), has no quorum
// (503) or could not tell (504); it also moves to a random site every 2 s, so that clients
// stay spread over the sites. Half the clients wait 3 s for an answer, the others 8 s, longer
// than a site takes to give up on a write (504).
//
// What an answer means for the history:
//   - 200: done (a cas applied); 404 to a get: the key is absent;
//   - 412 to a cas: its condition failed, no effect; it found the reply's `current`;
//   - 503: refused, nothing was done: left out of the history;
//   - 504 (a write timed out, "outcome unknown"), or no answer once the request may have been
//     sent: the write may or may not take effect (a get without an answer says nothing).
// Any other status is a failure of the test.
//
// Values are unique in the run ("h3.17"), so a lost write can be looked for in the log, and a
// cas expects the value its client last saw for the key (read, written, or found by a failed
// cas), so that cas race each other and both outcomes are frequent. Keys change every few
// seconds, as in the UDP load.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "load.hpp"
#include "sim/client_history.hpp"

namespace net_test {

struct HttpLoadFigures {
  std::uint64_t puts = 0, cas_applied = 0, cas_failed = 0, gets = 0;  // answered
  std::uint64_t indeterminate = 0;  // writes without an outcome: 504 or no answer
  std::uint64_t outcome_unknown_504 = 0;
  std::uint64_t refused_503 = 0;            // writes and gets
  std::uint64_t failed_reads = 0;           // gets without an answer (503 included)
  std::uint64_t not_connected = 0;          // requests never sent: no site took the connection
  std::uint64_t site_switches = 0;          // moves included
  std::map<int, std::uint64_t> unexpected;  // status (0: unreadable reply) -> count
};

class HttpLoad : public CheckedLoad {
 public:
  // `addresses`: the sites' HTTP addresses, all on `port`.
  HttpLoad(std::vector<std::string> addresses, std::uint16_t port, std::size_t clients,
           std::uint64_t seed);
  ~HttpLoad() override;  // joins the client threads
  HttpLoad(const HttpLoad&) = delete;
  HttpLoad& operator=(const HttpLoad&) = delete;

  // Starts the clients; no new request starts after `duration`.
  void start(std::chrono::seconds duration);
  void join();
  // A linearizable GET of every key used, at the sites the load was given (`hosts_file` is
  // not used): each is retried at the next site until one answers, for up to 60 s.
  void final_reads(const std::filesystem::path& hosts_file) override;
  std::vector<paxoskv::sim::Operation> for_checker() const override;
  std::vector<AckedWrite> acked_writes() const override;

  HttpLoadFigures figures() const;
  std::size_t keys() const;
  std::size_t final_reads_missing() const { return final_reads_missing_; }

 private:
  class Client;
  friend class Client;
  struct Exchange;

  // Records the outcome of request `index` of a client, whose `seen` it updates; false when
  // the client should go on to the next site.
  bool record(std::size_t index, paxoskv::sim::OpKind kind, const std::string& key,
              const std::string& value, const Exchange& exchange,
              std::map<std::string, std::string>& seen);

  std::int64_t now_ms() const;
  void run_client(std::size_t id, std::chrono::steady_clock::time_point end);

  std::vector<std::string> addresses_;
  std::uint16_t port_;
  std::size_t clients_;
  std::uint64_t seed_;
  std::chrono::steady_clock::time_point start_;
  std::vector<std::thread> threads_;
  std::size_t final_reads_missing_ = 0;

  mutable std::mutex mutex_;  // guards what follows
  paxoskv::sim::ClientHistory history_;
  std::set<std::string> keys_;
  std::vector<AckedWrite> acked_;
  HttpLoadFigures figures_;
};

}  // namespace net_test
