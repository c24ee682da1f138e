#include "site/background_task.hpp"

#include <sys/resource.h>
#include <unistd.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <exception>

namespace paxoskv::site {

BackgroundTask::BackgroundTask(boost::asio::io_context& io) : io_(io), thread_([this] { run(); }) {}

BackgroundTask::~BackgroundTask() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void BackgroundTask::start(std::function<void()> work) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(work));
  }
  changed_.notify_all();
}

bool BackgroundTask::busy() const {
  std::lock_guard lock(mutex_);
  return running_ || !queue_.empty();
}

void BackgroundTask::wait() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return !running_ && queue_.empty(); });
}

void BackgroundTask::run() {
  // Background work on a 2-core machine that also runs the other sites: it must not take the
  // CPU from the threads that answer clients. (On Linux a thread has its own nice value.)
  setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10);
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] { return closing_ || !queue_.empty(); });
    if (queue_.empty()) return;
    std::function<void()> work = std::move(queue_.front());
    queue_.pop_front();
    running_ = true;
    lock.unlock();
    try {
      work();
    } catch (...) {
      boost::asio::post(io_, [error = std::current_exception()] { std::rethrow_exception(error); });
    }
    work = nullptr;  // what it captured (a copy of the map, say) is freed here too
    lock.lock();
    running_ = false;
    changed_.notify_all();
  }
}

}  // namespace paxoskv::site
