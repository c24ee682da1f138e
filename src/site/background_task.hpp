#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

// Only referred to here: Asio's declaration is enough.
namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace paxoskv::site {

// A thread of its own that runs work one piece at a time, in order, for what would hold the
// site's only thread for tens of milliseconds: sorting, serializing and writing a snapshot or
// SITE.json of a large map, rewriting the log. Every site of a cluster snapshots at the same
// slot, so on the sites' threads that work stopped the whole cluster. The work reports back by
// posting to the io_context, like any other input. The thread runs at a lower priority, so
// the site's thread never waits for it unless it asks to (wait()): start() only queues.
class BackgroundTask {
 public:
  explicit BackgroundTask(boost::asio::io_context& io);
  BackgroundTask(const BackgroundTask&) = delete;
  BackgroundTask& operator=(const BackgroundTask&) = delete;
  ~BackgroundTask();  // runs the work queued, then ends the thread

  // Queues `work` behind the work in hand and returns. The work, and what it captured, end on
  // the task's thread. An exception it lets out is rethrown from the io_context, as if the
  // site's thread had met it.
  void start(std::function<void()> work);
  // Work queued or running.
  bool busy() const;
  // Returns once all the work started so far is done.
  void wait();

 private:
  void run();

  boost::asio::io_context& io_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::function<void()>> queue_;
  bool running_ = false;
  bool closing_ = false;
  std::thread thread_;  // last: it starts once the members above exist
};

}  // namespace paxoskv::site
