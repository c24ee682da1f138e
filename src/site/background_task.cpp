#include "site/background_task.hpp"

#include <sys/resource.h>
#include <unistd.h>
#include <boost/asio/post.hpp>
#include <exception>

namespace paxoskv::site {

void BackgroundTask::start(std::function<void()> work) {
  wait();
  busy_.store(true, std::memory_order_release);
  thread_ = std::thread([this, work = std::move(work)] {
    // Background work on a 2-core machine that also runs the other sites: it must not take
    // the CPU from the threads that answer clients. (On Linux a thread has its own nice value.)
    setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10);
    try {
      work();
    } catch (...) {
      boost::asio::post(io_, [error = std::current_exception()] { std::rethrow_exception(error); });
    }
    busy_.store(false, std::memory_order_release);
  });
}

void BackgroundTask::wait() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace paxoskv::site
