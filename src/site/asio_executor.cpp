#include "site/asio_executor.hpp"

#include <boost/asio/post.hpp>
#include <chrono>

#include "site/site.hpp"

namespace paxoskv::site {

TimeMs AsioExecutor::now() const {
  return now_ms();
}

void AsioExecutor::post(std::function<void()> fn) {
  boost::asio::post(io_, std::move(fn));
}

void AsioExecutor::run_after(TimeMs delay, std::function<void()> fn) {
  auto timer = timers_.emplace(timers_.end(), io_);
  timer->expires_after(std::chrono::milliseconds(delay));
  timer->async_wait([this, timer, generation = generation_,
                     fn = std::move(fn)](const boost::system::error_code& error) {
    if (error) return;  // cancelled, perhaps with the executor gone: touch nothing
    // Fired just before cancel_timers() emptied the list: the timer is gone, and so is the job.
    if (generation != generation_) return;
    timers_.erase(timer);
    fn();
  });
}

void AsioExecutor::cancel_timers() {
  ++generation_;
  for (boost::asio::steady_timer& timer : timers_) timer.cancel();
  timers_.clear();
}

void AsioExecutor::start(driver::Lane lane, std::function<void()> work) {
  task(lane).start(std::move(work));
}

bool AsioExecutor::busy(driver::Lane lane) const {
  return task(lane).busy();
}

void AsioExecutor::wait(driver::Lane lane) {
  task(lane).wait();
}

}  // namespace paxoskv::site
