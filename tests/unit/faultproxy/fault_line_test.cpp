#include "faultproxy/fault_line.hpp"

#include <boost/test/unit_test.hpp>
#include <set>

using namespace paxoskv::faultproxy;

namespace {

Datagram datagram(std::uint16_t from_port, std::string bytes) {
  return Datagram{Endpoint{0x0a4d0102, from_port}, Endpoint{0x0a4d0202, 7000}, std::move(bytes)};
}

FaultOptions options(double drop, double duplicate, std::int64_t min_ms, std::int64_t max_ms) {
  FaultOptions o;
  o.drop = drop;
  o.duplicate = duplicate;
  o.delay_min_ms = min_ms;
  o.delay_max_ms = max_ms;
  o.seed = 7;
  return o;
}

}  // namespace

BOOST_AUTO_TEST_CASE(without_faults_every_datagram_leaves_at_once_and_in_order) {
  FaultLine line(options(0, 0, 0, 0));
  for (int i = 0; i < 5; ++i) line.arrive(datagram(7000, std::to_string(i)), 100);
  BOOST_TEST(*line.next_due_ms() == 100);
  auto out = line.take_due(100);
  BOOST_TEST_REQUIRE(out.size() == 5u);
  for (int i = 0; i < 5; ++i) BOOST_TEST(out[i].bytes == std::to_string(i));
  BOOST_TEST(line.stats().reordered == 0u);
  BOOST_TEST(!line.next_due_ms());
}

BOOST_AUTO_TEST_CASE(a_copy_is_held_within_the_delay_bounds) {
  FaultLine line(options(0, 0, 5, 20));
  for (int i = 0; i < 1000; ++i) line.arrive(datagram(7000, "x"), 0);
  BOOST_TEST(line.take_due(4).empty());
  std::size_t released = 0;
  for (std::int64_t t = 5; t <= 20; ++t) released += line.take_due(t).size();
  BOOST_TEST(released == 1000u);
  BOOST_TEST(line.held() == 0u);
}

BOOST_AUTO_TEST_CASE(jitter_reorders_a_flow_and_the_reordering_is_counted) {
  FaultLine line(options(0, 0, 0, 20));
  for (int i = 0; i < 200; ++i) line.arrive(datagram(7000, std::to_string(i)), i);
  std::vector<int> order;
  for (std::int64_t t = 0; t <= 220; ++t)
    for (const auto& d : line.take_due(t)) order.push_back(std::stoi(d.bytes));
  BOOST_TEST_REQUIRE(order.size() == 200u);
  std::uint64_t late = 0;
  int highest = -1;
  for (int v : order) {
    if (v < highest) ++late;
    highest = std::max(highest, v);
  }
  BOOST_TEST(late > 0u);
  BOOST_TEST(line.stats().reordered == late);
  std::set<int> distinct(order.begin(), order.end());
  BOOST_TEST(distinct.size() == 200u);
}

BOOST_AUTO_TEST_CASE(flows_are_ordered_separately) {
  // Two flows interleaved without delay: nothing is reordered within either.
  FaultLine line(options(0, 0, 0, 0));
  for (int i = 0; i < 10; ++i) line.arrive(datagram(i % 2 == 0 ? 7000 : 7001, "x"), 0);
  BOOST_TEST(line.take_due(0).size() == 10u);
  BOOST_TEST(line.stats().reordered == 0u);
}

BOOST_AUTO_TEST_CASE(drop_and_duplicate_rates_follow_the_options) {
  FaultLine line(options(0.2, 0.05, 0, 0));
  const int n = 20'000;
  for (int i = 0; i < n; ++i) line.arrive(datagram(7000, "x"), 0);
  const FaultStats& s = line.stats();
  BOOST_TEST(s.received == std::uint64_t(n));
  BOOST_TEST(s.dropped > 0.18 * n);
  BOOST_TEST(s.dropped < 0.22 * n);
  double kept = double(n - s.dropped);
  BOOST_TEST(s.duplicated > 0.04 * kept);
  BOOST_TEST(s.duplicated < 0.06 * kept);
  BOOST_TEST(line.take_due(0).size() == n - s.dropped + s.duplicated);
}

BOOST_AUTO_TEST_CASE(certain_drop_and_certain_duplication) {
  FaultLine dropper(options(1, 0, 0, 0));
  dropper.arrive(datagram(7000, "x"), 0);
  BOOST_TEST(dropper.take_due(1000).empty());
  FaultLine doubler(options(0, 1, 0, 0));
  doubler.arrive(datagram(7000, "x"), 0);
  auto out = doubler.take_due(0);
  BOOST_TEST_REQUIRE(out.size() == 2u);
  BOOST_TEST((out[0].source == out[1].source && out[0].destination == out[1].destination));
  // A duplicate is not a reordering.
  BOOST_TEST(doubler.stats().reordered == 0u);
}

BOOST_AUTO_TEST_CASE(what_is_held_is_bounded) {
  FaultOptions o = options(0, 0, 10, 10);
  o.max_held = 3;
  FaultLine line(o);
  for (int i = 0; i < 5; ++i) line.arrive(datagram(7000, "x"), 0);
  BOOST_TEST(line.held() == 3u);
  BOOST_TEST(line.stats().overflow == 2u);
}

BOOST_AUTO_TEST_CASE(the_same_seed_gives_the_same_run) {
  auto run = [] {
    FaultLine line(options(0.3, 0.3, 0, 20));
    std::string out;
    for (int i = 0; i < 100; ++i) line.arrive(datagram(7000, std::to_string(i)), i);
    for (const auto& d : line.take_due(1000)) out += d.bytes + ",";
    return out;
  };
  BOOST_TEST(run() == run());
}

BOOST_AUTO_TEST_CASE(bad_options_are_named) {
  BOOST_TEST(*check(options(1.5, 0, 0, 0)) == "drop must be a probability from 0 to 1");
  BOOST_TEST(*check(options(0, -0.1, 0, 0)) == "duplicate must be a probability from 0 to 1");
  BOOST_TEST(*check(options(0, 0, 30, 20)) == "the minimum delay is above the maximum delay");
  BOOST_TEST(*check(options(0, 0, -1, 20)) == "delays must be from 0 to 60000 ms");
  BOOST_TEST(!check(options(0.2, 0.05, 0, 20)));
}
