// paxoskv-sim: runs the real consensus core under a simulated clock, network and disks, with
// faults and membership changes, and checks agreement, convergence, liveness, linearizability
// and the configurations. A seed replays a schedule exactly.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "sim/simulator.hpp"

namespace {

using paxoskv::sim::SimConfig;

const char* const kUsage = R"(usage: paxoskv-sim --seed S --sites N --steps K [options]

Runs one simulated schedule of N voting sites and clients under faults. Each site is the real
paxoskv::Replica with the site's own ReadyDriver, over a simulated disk that may lose any of its
unsynced pages at a power cut. Faults: lost, duplicated, late and reordered messages, partitions
and one-way cuts, process crashes, power cuts and wiped disks; with --member-changes, membership
changes too. Then the links heal (crashed sites restart when due) and the run checks: agreement
(no slot decided twice with different values, ever), identical logs and chain heads after
healing, liveness while the faults last (a request at a site of a connected quorum of every
configuration the cluster works on completes within a stated number of election timeouts) and
after healing, linearizability of the client history, and the configurations (every site's
configuration of every slot is the one the decided log gives, configurations that govern slots
less than alpha apart have quorums that meet, and a site reports the outcome of a change that the
log gives it). Exit status 1 when a check fails; the trace of a failing run is printed.

A step is one tick of simulated time (10 ms, every site ticks once): --steps K makes the fault
phase K*10 ms long. The heal phase that follows runs until the cluster has settled.

  --seed S              first seed (default 1); the same seed replays the same trace
  --seeds COUNT         run COUNT consecutive seeds from S: print each failure (with the trace
                        of the first) and a summary with the wall time
  --sites N             voters, 1 to 7 (default 3)
  --learners L          learner sites besides the voters (default 0)
  --steps K             ticks of 10 ms with faults (default 1000)
  --clients C           clients, one operation at a time each (default 3)
  --keys K              keys the clients use (default 3)
  --drop P              probability a message is lost, 0 to 0.4 typical (default 0.1)
  --dup P               probability a message is duplicated (default 0.05)
  --late P              probability a message is very late, up to 800 ms (default 0.01)
  --delay MIN:MAX       message delay range in ms (default 1:20)
  --no-reorder          each link delivers in send order
  --no-partitions       no splits, leader isolation or one-way cuts
  --partition-every MS  mean time between network changes (default 1000)
  --no-crashes          no crash-restarts
  --crash-every MS      mean time between crashes (default 1500)
  --max-down MS         longest time a crashed site stays down (default 1500)
  --member-changes      an operator changes the membership during the faults, typing each
                        change at a random site and retrying it like a client: it adds sites
                        (some with 'voter'; each gets its own disk and endpoint and starts empty,
                        like a wiped site), promotes learners, removes sites (the leader too;
                        a removed site is stopped once that is safe), transfers leadership,
                        now and then types two changes at once, and now and then one bound to
                        be refused. Neither a change nor a wiped disk ever leaves the voters
                        that keep their state short of a quorum (one lost disk at a time)
  --member-every MS     mean pause between two changes (default 2000); implies --member-changes
  --liveness-ms MS      bound on the time to settle after healing (default 30000)
  --bug NAME            inject a known bug into the core: forget_promise_on_restart,
                        accept_below_promise, ignore_promised_values, apply_out_of_order,
                        no_check_quorum, wiped_voter_votes_at_once (a site started with
                        nothing on disk votes at once), two_changes_in_flight (no
                        one-change-at-a-time refusal), change_used_before_decided (a leader
                        applies a change when it proposes it); or into the driver:
                        forget_before_log_durable, ack_before_fsync
  --mixed               each seed picks its own cluster (3 or 5 voters, a few 7, some with a
                        learner), loss, duplication, lateness, fault intensities and membership
                        changes (three seeds in four), as the CTest sweep does; --steps, --bug
                        and --trace still apply
  --trace               print the trace of every run, not only of failing ones
)";

struct ToolOptions {
  SimConfig config;
  std::uint64_t seeds = 1;
  bool trace = false;
  bool mixed = false;
};

// Parses `text` entirely as a number, or fails with a message for the user.
template <typename T>
std::optional<T> number(const std::string& text) {
  try {
    std::size_t used = 0;
    T value;
    if constexpr (std::is_floating_point_v<T>) {
      value = static_cast<T>(std::stod(text, &used));
    } else if constexpr (std::is_unsigned_v<T>) {
      if (text.empty() || text[0] == '-') return std::nullopt;
      value = static_cast<T>(std::stoull(text, &used));
    } else {
      value = static_cast<T>(std::stoll(text, &used));
    }
    if (used != text.size()) return std::nullopt;
    return value;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Applies one "--flag value" option; false with `error` set when it is not valid.
bool apply_valued(ToolOptions& o, const std::string& flag, const std::string& v,
                  std::string& error) {
  SimConfig& c = o.config;
  auto set = [&](auto& field) {
    auto parsed = number<std::remove_reference_t<decltype(field)>>(v);
    if (!parsed) error = flag + ": not a number: " + v;
    if (parsed) field = *parsed;
    return parsed.has_value();
  };
  if (flag == "--seed") return set(c.seed);
  if (flag == "--seeds") return set(o.seeds);
  if (flag == "--sites") return set(c.voters);
  if (flag == "--learners") return set(c.learners);
  if (flag == "--steps") return set(c.steps);
  if (flag == "--clients") return set(c.clients);
  if (flag == "--keys") return set(c.keys);
  if (flag == "--drop") return set(c.drop_rate);
  if (flag == "--dup") return set(c.dup_rate);
  if (flag == "--late") return set(c.late_rate);
  if (flag == "--partition-every") return set(c.mean_partition_interval_ms);
  if (flag == "--crash-every") return set(c.mean_crash_interval_ms);
  if (flag == "--max-down") return set(c.max_down_ms);
  if (flag == "--liveness-ms") return set(c.liveness_bound_ms);
  if (flag == "--member-every") {
    c.member_changes = true;
    return set(c.mean_member_change_interval_ms);
  }
  if (flag == "--snapshot-every") return set(c.snapshot_every);
  if (flag == "--log-tail") return set(c.log_tail);
  if (flag == "--delay") {
    std::size_t colon = v.find(':');
    auto lo = number<paxoskv::TimeMs>(v.substr(0, colon));
    auto hi =
        colon == std::string::npos ? std::nullopt : number<paxoskv::TimeMs>(v.substr(colon + 1));
    if (!lo || !hi) error = "--delay wants MIN:MAX in ms, got " + v;
    if (!lo || !hi) return false;
    c.min_delay_ms = *lo;
    c.max_delay_ms = *hi;
    return true;
  }
  if (flag == "--bug") {
    auto bug = paxoskv::sim::bug_from_name(v);
    if (!bug) error = "--bug: unknown bug " + v;
    if (bug) c.bug = *bug;
    return bug.has_value();
  }
  error = "unknown option " + flag;
  return false;
}

std::optional<ToolOptions> parse(int argc, char** argv, std::string& error) {
  ToolOptions o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") return std::nullopt;
    if (flag == "--trace")
      o.trace = true;
    else if (flag == "--mixed")
      o.mixed = true;
    else if (flag == "--no-reorder")
      o.config.reorder = false;
    else if (flag == "--no-partitions")
      o.config.partitions = false;
    else if (flag == "--no-crashes")
      o.config.crashes = false;
    else if (flag == "--member-changes")
      o.config.member_changes = true;
    else if (i + 1 >= argc)
      error = "missing value after " + flag;
    else if (apply_valued(o, flag, argv[i + 1], error))
      ++i;
    if (!error.empty()) return std::nullopt;
  }
  if (o.seeds < 1) error = "--seeds must be at least 1";
  if (error.empty()) error = o.config.validate();
  if (!error.empty()) return std::nullopt;
  return o;
}

std::string summary(const SimConfig& c, const paxoskv::sim::RunResult& r) {
  const std::string when =
      r.healed ? "healed at " + std::to_string(r.heal_ms) + " ms, " : "during the faults, ";
  return "seed " + std::to_string(c.seed) + ": " + (r.ok ? "ok" : "FAILED") + " (" + when +
         "ended at " + std::to_string(r.end_ms) + " ms, " + std::to_string(r.operations) +
         " ops, " + std::to_string(r.completed) + " completed, " + std::to_string(r.decided) +
         " slots decided, " + std::to_string(r.deliveries) + " deliveries" +
         (r.linearizability_inconclusive ? ", linearizability inconclusive" : "") + ")\n  " +
         r.faults.describe();
}

SimConfig config_of_seed(const ToolOptions& o, std::uint64_t seed) {
  if (!o.mixed) {
    SimConfig config = o.config;
    config.seed = seed;
    return config;
  }
  SimConfig config = paxoskv::sim::mixed_config(seed);
  config.steps = o.config.steps;
  config.bug = o.config.bug;
  return config;
}

void print_failure(const SimConfig& config, const paxoskv::sim::RunResult& result) {
  std::cout << "check failed: " << result.checker << ": " << result.explanation << '\n'
            << "replay: " << paxoskv::sim::command_line(config) << " --trace\n";
}

// Runs one seed and prints its summary, and its trace when `with_trace` (the trace of a failing
// run is printed unless `with_trace_on_failure` is false). True when every check passed.
bool run_one(const SimConfig& config, bool with_trace, bool with_trace_on_failure = true) {
  std::string trace;
  SimConfig run = config;
  if (!with_trace && !with_trace_on_failure) run.trace_capacity = 0;
  paxoskv::sim::RunResult result = paxoskv::sim::run_simulation(run, &trace);
  if (with_trace || (!result.ok && with_trace_on_failure)) std::cout << trace;
  std::cout << summary(config, result) << '\n';
  if (!result.ok) print_failure(config, result);
  return result.ok;
}

// Runs consecutive seeds. Only failures are printed (the trace of the first one), then a
// summary; with --trace every run is printed in full.
int run_seeds(const ToolOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  std::uint64_t failures = 0;
  paxoskv::TimeMs longest_settle_ms = 0;
  paxoskv::sim::FaultStats totals;
  for (std::uint64_t i = 0; i < options.seeds; ++i) {
    const SimConfig config = config_of_seed(options, options.config.seed + i);
    if (options.trace) {
      failures += run_one(config, true) ? 0 : 1;
      continue;
    }
    SimConfig quiet = config;
    quiet.trace_capacity = 0;  // a failing seed is run again with its trace: it replays exactly
    const paxoskv::sim::RunResult result = paxoskv::sim::run_simulation(quiet);
    totals.add(result.faults);
    if (result.healed)
      longest_settle_ms = std::max(longest_settle_ms, result.end_ms - result.heal_ms);
    if (!result.ok) run_one(config, false, ++failures == 1);
  }
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "seeds run: " << options.seeds << " (from " << options.config.seed
            << "), failures: " << failures << ", wall time: " << std::fixed << std::setprecision(1)
            << wall_s << " s (" << static_cast<double>(options.seeds) / wall_s << " seeds/s)\n";
  if (!options.trace)
    std::cout << "  longest settle after healing: " << longest_settle_ms << " ms\n  "
              << totals.describe() << '\n';
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string error;
  std::optional<ToolOptions> options = parse(argc, argv, error);
  if (!options) {
    if (!error.empty()) std::cerr << "paxoskv-sim: " << error << "\n\n";
    std::cerr << kUsage;
    return error.empty() ? 0 : 2;
  }
  if (options->seeds > 1) return run_seeds(*options);
  return run_one(config_of_seed(*options, options->config.seed), options->trace) ? 0 : 1;
}
