// Same seed, same trace, byte for byte: through the paxoskv-sim binary, and between the
// binary and an in-process run of the same config.

#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <string>

#include "sim_test_support.hpp"
#include "support/built_binary.hpp"

using namespace paxoskv;
using namespace paxoskv::sim;

namespace {

struct Output {
  std::string text;
  int status = -1;
};

Output run_tool(const std::string& arguments) {
  Output out;
  const std::string command =
      paxoskv::test::built_binary("paxoskv-sim") + " " + arguments + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  BOOST_REQUIRE(pipe != nullptr);
  char buffer[65536];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.text.append(buffer, n);
  out.status = pclose(pipe);
  return out;
}

// The arguments of command_line(), without the program name.
std::string arguments_of(const SimConfig& config) {
  const std::string line = command_line(config);
  return line.substr(line.find(' ') + 1);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(determinism)

BOOST_AUTO_TEST_CASE(same_seed_prints_the_same_trace_twice) {
  const std::string args = "--seed 42 --sites 5 --steps 400 --drop 0.2 --trace";
  const Output first = run_tool(args);
  const Output second = run_tool(args);
  BOOST_TEST(first.status == 0);
  BOOST_TEST(first.text.size() > 10000u);  // a real trace, not an error message
  BOOST_TEST(first.text == second.text);

  const Output other = run_tool("--seed 43 --sites 5 --steps 400 --drop 0.2 --trace");
  BOOST_TEST(other.status == 0);
  BOOST_TEST(other.text != first.text);
}

// Sites added, started with empty disks, removed and stopped, changes refused: all of it
// replays too.
BOOST_AUTO_TEST_CASE(a_schedule_with_membership_changes_prints_the_same_trace_twice) {
  const std::string args = "--seed 1 --sites 3 --steps 500 --member-every 200 --trace";
  const Output first = run_tool(args);
  const Output second = run_tool(args);
  BOOST_TEST(first.status == 0);
  BOOST_TEST(first.text.find("first start of n1") != std::string::npos);
  BOOST_TEST(first.text.find("retired") != std::string::npos);
  BOOST_TEST(first.text.find("refused") != std::string::npos);
  BOOST_TEST(first.text == second.text);
}

// The command a failure report prints replays, in the binary, the run the test saw.
BOOST_AUTO_TEST_CASE(the_printed_command_replays_the_in_process_run) {
  SimConfig config;
  config.seed = 7;
  config.voters = 3;
  config.learners = 1;
  config.steps = 300;
  config.clients = 4;
  config.keys = 2;
  config.drop_rate = 0.3;
  config.dup_rate = 0.2;
  config.late_rate = 0.05;
  config.reorder = false;
  config.mean_crash_interval_ms = 400;
  config.mean_partition_interval_ms = 300;
  std::string trace;
  run_simulation(config, &trace);
  const Output tool = run_tool(arguments_of(config) + " --trace");
  BOOST_TEST(tool.status == 0);
  BOOST_REQUIRE(trace.size() > 1000u);
  BOOST_TEST(tool.text.substr(0, trace.size()) == trace);
}

BOOST_AUTO_TEST_CASE(mixed_seeds_replay_as_in_the_ctest_sweep) {
  for (std::uint64_t seed : {12, 13}) {
    SimConfig config = mixed_config(seed);
    config.steps = 300;
    std::string trace;
    run_simulation(config, &trace);
    const Output mixed =
        run_tool("--mixed --seed " + std::to_string(seed) + " --steps 300 --trace");
    const Output explicit_flags = run_tool(arguments_of(config) + " --trace");
    BOOST_REQUIRE(trace.size() > 1000u);
    BOOST_TEST(mixed.text.substr(0, trace.size()) == trace);
    BOOST_TEST(explicit_flags.text == mixed.text);
  }
}

BOOST_AUTO_TEST_CASE(a_failing_run_exits_1_and_prints_its_trace) {
  const Output out = run_tool("--seed 1 --sites 3 --steps 300 --bug apply_out_of_order");
  BOOST_TEST(out.status != 0);
  BOOST_TEST(out.text.find("VIOLATION") != std::string::npos);
  BOOST_TEST(out.text.find("replay: paxoskv-sim --seed 1") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
