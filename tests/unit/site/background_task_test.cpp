#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>
#include <future>
#include <stdexcept>
#include <vector>

#include "site/background_task.hpp"

using paxoskv::site::BackgroundTask;

BOOST_AUTO_TEST_SUITE(background_task)

BOOST_AUTO_TEST_CASE(work_runs_off_the_calling_thread_and_wait_waits_for_it) {
  boost::asio::io_context io;
  BackgroundTask task(io);
  BOOST_TEST(!task.busy());
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::thread::id ran_on;
  task.start([&] {
    ran_on = std::this_thread::get_id();
    released.wait();
  });
  BOOST_TEST(task.busy());
  release.set_value();
  task.wait();
  BOOST_TEST(!task.busy());
  BOOST_TEST((ran_on != std::this_thread::get_id()));
  // The next work starts only after the previous one: both ran, in order.
  int order = 0;
  task.start([&] { order = order * 10 + 1; });
  task.start([&] { order = order * 10 + 2; });
  task.wait();
  BOOST_TEST(order == 12);
}

BOOST_AUTO_TEST_CASE(start_queues_behind_running_work_without_waiting_for_it) {
  boost::asio::io_context io;
  BackgroundTask task(io);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::vector<int> ran;
  task.start([&] {
    released.wait();
    ran.push_back(1);
  });
  task.start([&] { ran.push_back(2); });  // would never return if it waited for the first
  BOOST_TEST(task.busy());
  release.set_value();
  task.wait();
  BOOST_TEST(!task.busy());
  BOOST_TEST((ran == std::vector<int>{1, 2}));
}

BOOST_AUTO_TEST_CASE(an_exception_comes_back_through_the_io_context) {
  boost::asio::io_context io;
  BackgroundTask task(io);
  task.start([] { throw std::runtime_error("disk full"); });
  task.wait();
  BOOST_TEST(!task.busy());
  BOOST_CHECK_EXCEPTION(io.run(), std::runtime_error, [](const std::runtime_error& e) {
    return std::string(e.what()) == "disk full";
  });
}

BOOST_AUTO_TEST_SUITE_END()
