#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "paxoskv/message.hpp"
#include "sim/sim_config.hpp"
#include "sim/sim_random.hpp"
#include "sim/trace.hpp"

namespace paxoskv::sim {

// What the network did to the messages of a run.
struct NetworkStats {
  std::uint64_t sent = 0;
  std::uint64_t dropped = 0;  // lost at random
  std::uint64_t cut = 0;      // lost on a cut link
  std::uint64_t duplicated = 0;
  std::uint64_t late = 0;  // delayed far beyond the usual range
};

// A message on its way through the simulated network.
struct InFlight {
  Envelope envelope;
  // A message a site sent itself stands for an in-process queue: it dies with the process,
  // so it carries the incarnation of its sender.
  bool loopback = false;
  std::uint32_t incarnation = 0;
};

// The simulated network: an event queue ordered by (delivery time, send order), so that equal
// times are broken the same way in every replay, plus a matrix of cut directed links.
// Between sites a message may be lost, duplicated, delayed and so reordered; a link may be
// cut in one direction only.
class SimNetwork {
 public:
  SimNetwork(std::size_t sites, const SimConfig& config, SimRandom& random, Trace& trace);

  void send(Envelope envelope, TimeMs now);
  // Delivered reliably and at once (after everything already due now), as the site's driver
  // does with messages addressed to itself.
  void loopback(Envelope envelope, TimeMs now, std::uint32_t incarnation);

  // The next message due at or before `until`, with its delivery time. Messages on a link
  // that is cut when they arrive are dropped here.
  std::optional<std::pair<TimeMs, InFlight>> pop_due(TimeMs until);

  // A site added to the cluster, with the next id; its links work.
  void add_site();
  std::size_t sites() const { return cut_.size(); }
  bool is_cut(SiteId from, SiteId to) const { return cut_[from][to] != 0; }
  void set_cut(SiteId from, SiteId to, bool cut);
  void heal();
  // From now on no loss, duplication or late message; delays (and reordering) remain.
  void stop_faults();
  // "s0->s2 s2->s0", or "none".
  std::string describe_cuts() const;
  std::size_t in_flight() const { return queue_.size(); }
  const NetworkStats& stats() const { return stats_; }

 private:
  void schedule(TimeMs at, InFlight message);
  TimeMs delay();

  SimRandom& random_;
  Trace& trace_;
  double drop_rate_;
  double dup_rate_;
  double late_rate_;
  TimeMs min_delay_ms_;
  TimeMs max_delay_ms_;
  TimeMs late_delay_ms_;
  bool reorder_;
  NetworkStats stats_;

  std::map<std::pair<TimeMs, std::uint64_t>, InFlight> queue_;
  std::uint64_t next_order_ = 0;
  std::vector<std::vector<char>> cut_;             // [from][to]
  std::vector<std::vector<TimeMs>> last_arrival_;  // [from][to], keeps links FIFO without reorder
};

}  // namespace paxoskv::sim
