#include "sim/sim_executor.hpp"

#include <algorithm>

namespace paxoskv::sim {

namespace {

// How long a lane's work takes at most, by driver::Lane: a snapshot or log rewrite, an fsync
// of the log, a SITE.json rewrite.
constexpr std::array<TimeMs, driver::kLanes> kMaxLaneMs = {300, 30, 50};

}  // namespace

void SimExecutor::run_after(TimeMs delay, std::function<void()> fn) {
  timers_.push_back(Job{*clock_ + delay, std::move(fn)});
}

void SimExecutor::start(driver::Lane lane, std::function<void()> work) {
  std::deque<Job>& jobs = lane_of(lane);
  const TimeMs after = jobs.empty() ? *clock_ : std::max(*clock_, jobs.back().due);
  const TimeMs took = random_->between(0, kMaxLaneMs[static_cast<std::size_t>(lane)]);
  jobs.push_back(Job{after + took, std::move(work)});
}

void SimExecutor::wait(driver::Lane lane) {
  std::deque<Job>& jobs = lane_of(lane);
  while (!jobs.empty()) {
    std::function<void()> work = std::move(jobs.front().fn);
    jobs.pop_front();
    work();
  }
}

void SimExecutor::run_due() {
  while (true) {
    // The earliest due job: the head of a lane, or a timer.
    std::deque<Job>* lane = nullptr;
    for (std::deque<Job>& jobs : lanes_)
      if (!jobs.empty() && jobs.front().due <= *clock_ &&
          (!lane || jobs.front().due < lane->front().due))
        lane = &jobs;
    auto timer = std::min_element(timers_.begin(), timers_.end(),
                                  [](const Job& a, const Job& b) { return a.due < b.due; });
    const bool timer_due = timer != timers_.end() && timer->due <= *clock_;
    if (lane && (!timer_due || lane->front().due <= timer->due)) {
      std::function<void()> work = std::move(lane->front().fn);
      lane->pop_front();
      work();
    } else if (timer_due) {
      std::function<void()> fn = std::move(timer->fn);
      timers_.erase(timer);
      fn();
    } else {
      return;
    }
  }
}

void SimExecutor::run_posted() {
  std::vector<std::function<void()>> posted;
  posted.swap(posted_);
  for (std::function<void()>& fn : posted) fn();
}

bool SimExecutor::background_work() const {
  return std::any_of(lanes_.begin(), lanes_.end(),
                     [](const std::deque<Job>& jobs) { return !jobs.empty(); });
}

}  // namespace paxoskv::sim
