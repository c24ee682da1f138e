#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "paxoskv/command.hpp"
#include "paxoskv/ready.hpp"
#include "paxoskv/replica.hpp"
#include "sim/client_history.hpp"
#include "sim/sim_config.hpp"
#include "sim/sim_random.hpp"
#include "sim/trace.hpp"

namespace paxoskv::sim {

// One submission of an operation to a site.
struct Attempt {
  SiteId site = 0;
  RequestId id;
  OpKind kind = OpKind::get;
  std::string key;
  std::string value;
};

// A client of the key-value store: one operation at a time on a few keys, each sent to a
// random live site. It retries at another site with the SAME request id when its site
// reports failure, crashes, or does not answer in time, so the state machine applies a
// write at most once. During the faults it gives up after a few attempts (the outcome of a
// write is then unknown); once the faults have stopped it waits as long as it takes.
class SimClient {
 public:
  SimClient(std::uint64_t id, const SimConfig& config, Trace& trace);

  // Called every tick: what to submit now, if anything (a new operation or a retry).
  std::optional<Attempt> poll(TimeMs now, const std::vector<SiteId>& live, SimRandom& random,
                              ClientHistory& history);
  // A completion reported by `site` for one of this client's requests.
  void on_completion(SiteId site, const Completion& completion, TimeMs now, SimRandom& random,
                     ClientHistory& history);
  // `site` crashed: a request waiting there is retried elsewhere at once.
  void on_crash(SiteId site);
  // The faults stopped: run `ops_after_heal` more operations, never giving up.
  void on_heal();

  std::uint64_t id() const { return id_; }
  // The history index of the operation in progress.
  std::optional<std::size_t> pending() const;
  // True once the operations after healing are all complete.
  bool finished() const { return healed_ && !current_ && remaining_after_heal_ == 0; }

 private:
  struct Current {
    Attempt attempt;
    std::size_t history_index = 0;
    int attempts = 0;
    TimeMs deadline = 0;
    bool retry_now = false;
  };

  std::optional<Attempt> start(TimeMs now, const std::vector<SiteId>& live, SimRandom& random,
                               ClientHistory& history);
  std::optional<Attempt> retry(TimeMs now, const std::vector<SiteId>& live, SimRandom& random,
                               ClientHistory& history);
  SiteId pick_site(const std::vector<SiteId>& live, SimRandom& random) const;
  void finish(TimeMs now, SimRandom& random);
  std::string label() const;

  std::uint64_t id_;
  std::size_t keys_;
  TimeMs timeout_ms_;
  int max_attempts_;
  int ops_after_heal_;
  Trace& trace_;

  std::uint64_t seq_ = 0;
  std::optional<Current> current_;
  TimeMs next_start_ = 0;
  bool healed_ = false;
  int remaining_after_heal_ = 0;
};

}  // namespace paxoskv::sim
