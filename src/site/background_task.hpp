#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <thread>

namespace paxoskv::site {

// One piece of work at a time on a thread of its own, for what would hold the site's only
// thread for tens or hundreds of milliseconds: sorting, serializing and writing a snapshot or
// SITE.json of a large map. Every site of a cluster snapshots at the same slot, so on the
// sites' threads that work stopped the whole cluster. The work reports back by posting to the
// io_context, like any other input.
class BackgroundTask {
 public:
  explicit BackgroundTask(boost::asio::io_context& io) : io_(io) {}
  BackgroundTask(const BackgroundTask&) = delete;
  BackgroundTask& operator=(const BackgroundTask&) = delete;
  ~BackgroundTask() { wait(); }

  // Runs `work` on the thread, once the previous work is done. An exception it lets out is
  // rethrown from the io_context, as if the site's thread had met it.
  void start(std::function<void()> work);
  // Started and not finished yet.
  bool busy() const { return busy_.load(std::memory_order_acquire); }
  // Returns once the work in hand, if any, is done.
  void wait();

 private:
  boost::asio::io_context& io_;
  std::thread thread_;
  std::atomic<bool> busy_{false};
};

}  // namespace paxoskv::site
