#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <list>

#include "driver/executor.hpp"
#include "site/background_task.hpp"

namespace paxoskv::site {

// The site's Executor: the driver's thread is the io_context's, each lane a BackgroundTask
// thread, the clock std::chrono::steady_clock.
class AsioExecutor final : public driver::Executor {
 public:
  explicit AsioExecutor(boost::asio::io_context& io) : io_(io) {}

  TimeMs now() const override;
  void post(std::function<void()> fn) override;
  void run_after(TimeMs delay, std::function<void()> fn) override;
  void cancel_timers() override;
  void start(driver::Lane lane, std::function<void()> work) override;
  bool busy(driver::Lane lane) const override;
  void wait(driver::Lane lane) override;

 private:
  BackgroundTask& task(driver::Lane lane) { return tasks_[static_cast<std::size_t>(lane)]; }
  const BackgroundTask& task(driver::Lane lane) const {
    return tasks_[static_cast<std::size_t>(lane)];
  }

  boost::asio::io_context& io_;
  std::list<boost::asio::steady_timer> timers_;  // armed, each erased when it fires
  std::uint64_t generation_ = 0;                 // cancel_timers() calls so far
  std::array<BackgroundTask, driver::kLanes> tasks_{BackgroundTask{io_}, BackgroundTask{io_},
                                                    BackgroundTask{io_}};
};

}  // namespace paxoskv::site
