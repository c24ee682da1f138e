#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <vector>

#include "driver/executor.hpp"
#include "sim/sim_random.hpp"

namespace paxoskv::sim {

// A site's Executor under the simulator's clock. Work started on a lane is not run at once:
// it is due a random while later (after the work queued before it on that lane), and runs
// when the simulator calls run_due; what it posts runs at the next run_posted. A crash in
// between (the simulator drops the executor with its site) is a crash while the work runs on
// its thread, or after it ended and before the driver heard. wait() runs a lane's work at
// once, as the real one blocks until it is done.
class SimExecutor final : public driver::Executor {
 public:
  SimExecutor(const TimeMs& clock, SimRandom& random) : clock_(&clock), random_(&random) {}

  TimeMs now() const override { return *clock_; }
  void post(std::function<void()> fn) override { posted_.push_back(std::move(fn)); }
  void run_after(TimeMs delay, std::function<void()> fn) override;
  void cancel_timers() override { timers_.clear(); }
  void start(driver::Lane lane, std::function<void()> work) override;
  bool busy(driver::Lane lane) const override { return !lane_of(lane).empty(); }
  void wait(driver::Lane lane) override;

  // Runs the lane work and the timers due by now, in time order (lanes before timers at the
  // same time). Exceptions (a SimulatedCrash) go to the caller.
  void run_due();
  // Runs what was posted before this call.
  void run_posted();
  // Lane work queued and not yet run.
  bool background_work() const;

 private:
  struct Job {
    TimeMs due = 0;
    std::function<void()> fn;
  };
  std::deque<Job>& lane_of(driver::Lane lane) { return lanes_[static_cast<std::size_t>(lane)]; }
  const std::deque<Job>& lane_of(driver::Lane lane) const {
    return lanes_[static_cast<std::size_t>(lane)];
  }

  const TimeMs* clock_;
  SimRandom* random_;
  std::array<std::deque<Job>, driver::kLanes> lanes_;
  std::vector<Job> timers_;  // in the order they were set
  std::vector<std::function<void()>> posted_;
};

}  // namespace paxoskv::sim
