#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include "paxoskv/replica.hpp"  // TimeMs

namespace paxoskv::driver {

// The work a site hands to a thread of its own, so that its thread does not wait for it:
// each lane runs its work one piece at a time, in order.
enum class Lane : std::uint8_t {
  snapshot,  // writing a snapshot, staging a rewritten log
  log_sync,  // the periodic fsync of the log
  kv,        // rewriting SITE.json
};
inline constexpr std::size_t kLanes = 3;

// Where and when the ReadyDriver's work runs. The site runs it on Asio and threads; the
// simulator on its own clock, where work on a lane is an event it schedules, so that a crash
// can land between the start of the work and its end, and between its end and the report.
class Executor {
 public:
  virtual ~Executor() = default;

  // The time the core is told, in milliseconds. Callable from a lane's work.
  virtual TimeMs now() const = 0;
  // Runs `fn` on the driver's thread after the handler now running. Callable from a lane's
  // work: that is how work reports back.
  virtual void post(std::function<void()> fn) = 0;
  // Runs `fn` on the driver's thread `delay` ms from now, unless cancel_timers() comes first.
  virtual void run_after(TimeMs delay, std::function<void()> fn) = 0;
  virtual void cancel_timers() = 0;
  // Queues `work` on `lane` behind the work in hand. An exception it lets out reaches the
  // driver's thread as if it had been thrown there.
  virtual void start(Lane lane, std::function<void()> work) = 0;
  // Work queued or running on `lane`.
  virtual bool busy(Lane lane) const = 0;
  // Returns once all the work started on `lane` so far is done.
  virtual void wait(Lane lane) = 0;
};

}  // namespace paxoskv::driver
