// paxoskv-bench: closed-loop load on a cluster over the client protocol (SPEC §6).
//
//   paxoskv-bench --hosts FILE --clients N --duration S --value-size B --write-ratio R
//                 [--warmup S] [--keys K] [--site NAME] [--label TEXT]
//
// N clients in one process and one thread (Asio), each with one request outstanding: a put
// with probability R, else a linearizable get, of a random key among K keys of 16 bytes.
// Requests that finish during the warm-up are not counted. Prints ops/s and the latency
// percentiles and the longest stretch of 100 ms ticks with no completed write, then the same
// as one JSON line.

#include <algorithm>
#include <boost/asio.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "client/client.hpp"
#include "net/hosts_file.hpp"
#include "net/message_auth.hpp"

namespace {

using namespace paxoskv;
using Clock = std::chrono::steady_clock;

constexpr int kExitUsage = 2;
constexpr std::size_t kKeyBytes = 16;
constexpr std::chrono::milliseconds kTick{100};

const char* const kUsage =
    "usage: paxoskv-bench --hosts FILE --clients N --duration S --value-size B --write-ratio R\n"
    "                     [--warmup S] [--keys K] [--site NAME] [--label TEXT] [--secret FILE]\n";

struct Options {
  std::string hosts = "hosts.txt";
  std::size_t clients = 1;
  double duration_s = 5;
  double warmup_s = 2;
  std::size_t value_size = 100;
  double write_ratio = 1.0;
  std::size_t keys = 100'000;
  std::string site;
  std::string label = "paxoskv";
  std::string secret_path;
};

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "paxoskv-bench: " << problem << '\n' << kUsage;
  std::exit(kExitUsage);
}

double number(const std::string& flag, const std::string& text, double min, double max) {
  try {
    std::size_t used = 0;
    double v = std::stod(text, &used);
    if (used == text.size() && v >= min && v <= max) return v;
  } catch (const std::exception&) {
  }
  usage(flag + " needs a number in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      std::exit(0);
    }
    if (i + 1 >= argc) usage(flag + " needs a value");
    std::string value = argv[++i];
    if (flag == "--hosts")
      o.hosts = value;
    else if (flag == "--clients")
      o.clients = static_cast<std::size_t>(number(flag, value, 1, 10'000));
    else if (flag == "--duration")
      o.duration_s = number(flag, value, 0.1, 3600);
    else if (flag == "--warmup")
      o.warmup_s = number(flag, value, 0, 3600);
    else if (flag == "--value-size")
      o.value_size = static_cast<std::size_t>(number(flag, value, 0, 8192));
    else if (flag == "--write-ratio")
      o.write_ratio = number(flag, value, 0, 1);
    else if (flag == "--keys")
      o.keys = static_cast<std::size_t>(number(flag, value, 1, 1e12));
    else if (flag == "--site")
      o.site = value;
    else if (flag == "--label")
      o.label = value;
    else if (flag == "--secret")
      o.secret_path = value;
    else
      usage("unknown option '" + flag + "'");
  }
  return o;
}

// The shared state of the run: the clock windows and what was measured.
struct Run {
  Options options;
  Clock::time_point measure_from;
  Clock::time_point measure_until;
  std::vector<std::int64_t> latencies_us;
  // Writes completed in each 100 ms of the measured window: the longest run of empty ones is
  // how long the cluster took no write (an election, a membership change, a hand-over).
  std::vector<std::uint32_t> writes_per_tick;
  std::uint64_t errors = 0;
  std::string value;
  std::mt19937_64 rng{std::random_device{}()};
};

std::string random_key(Run& run) {
  std::uint64_t index =
      std::uniform_int_distribution<std::uint64_t>(0, run.options.keys - 1)(run.rng);
  char text[kKeyBytes + 1];
  std::snprintf(text, sizeof text, "key%013llu", static_cast<unsigned long long>(index));
  return std::string(text, kKeyBytes);
}

// One closed-loop client: issues its next request as soon as the previous one finishes.
void issue(Run& run, client::Session& session) {
  Clock::time_point start = Clock::now();
  if (start >= run.measure_until) {
    session.close();
    return;
  }
  bool write = std::uniform_real_distribution<double>(0, 1)(run.rng) < run.options.write_ratio;
  net::ClientOp op = write ? net::ClientOp::put : net::ClientOp::get;
  session.request(
      op, random_key(run), write ? run.value : "",
      [&run, &session, start, write](const client::Result& result) {
        Clock::time_point end = Clock::now();
        if (start >= run.measure_from && end <= run.measure_until) {
          if (result.ok)
            run.latencies_us.push_back(
                std::chrono::duration_cast<std::chrono::microseconds>(end - start).count());
          else
            ++run.errors;
        }
        if (write && result.ok && end >= run.measure_from && end < run.measure_until) {
          const auto tick = static_cast<std::size_t>((end - run.measure_from) / kTick);
          if (tick < run.writes_per_tick.size()) ++run.writes_per_tick[tick];
        }
        issue(run, session);
      });
}

double percentile_ms(const std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto index = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return static_cast<double>(sorted[std::min(index, sorted.size() - 1)]) / 1000.0;
}

// The longest stretch of 100 ms ticks in which no write completed (0 when every tick had one).
std::int64_t max_write_gap_ms(const std::vector<std::uint32_t>& writes_per_tick) {
  std::int64_t longest = 0;
  std::int64_t run = 0;
  for (std::uint32_t n : writes_per_tick) {
    run = n == 0 ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return longest * kTick.count();
}

void report(Run& run) {
  std::sort(run.latencies_us.begin(), run.latencies_us.end());
  const Options& o = run.options;
  double ops_per_s = static_cast<double>(run.latencies_us.size()) / o.duration_s;
  double p50 = percentile_ms(run.latencies_us, 0.50);
  double p99 = percentile_ms(run.latencies_us, 0.99);
  double p999 = percentile_ms(run.latencies_us, 0.999);
  const std::int64_t gap_ms = o.write_ratio > 0 ? max_write_gap_ms(run.writes_per_tick) : 0;
  std::printf("%s: %zu clients, %.1f s, %zu-byte values, write ratio %.2f, %zu keys\n",
              o.label.c_str(), o.clients, o.duration_s, o.value_size, o.write_ratio, o.keys);
  std::printf(
      "ops/s %.0f  p50 %.3f ms  p99 %.3f ms  p99.9 %.3f ms  ops %zu  errors %llu  longest write "
      "gap %lld ms\n",
      ops_per_s, p50, p99, p999, run.latencies_us.size(),
      static_cast<unsigned long long>(run.errors), static_cast<long long>(gap_ms));
  std::printf(
      "{\"system\":\"%s\",\"clients\":%zu,\"duration_s\":%.3f,\"value_size\":%zu,"
      "\"write_ratio\":%.3f,\"keys\":%zu,\"ops\":%zu,\"errors\":%llu,\"ops_per_s\":%.1f,"
      "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_write_gap_ms\":%lld}\n",
      o.label.c_str(), o.clients, o.duration_s, o.value_size, o.write_ratio, o.keys,
      run.latencies_us.size(), static_cast<unsigned long long>(run.errors), ops_per_s, p50, p99,
      p999, static_cast<long long>(gap_ms));
}

}  // namespace

int main(int argc, char** argv) {
  Run run;
  run.options = parse(argc, argv);
  const Options& o = run.options;
  auto loaded = load_hosts(o.hosts);
  if (auto* error = std::get_if<HostsError>(&loaded)) {
    std::cerr << error->text << '\n';
    return kExitUsage;
  }
  const Cluster& cluster = std::get<Cluster>(loaded);
  client::SessionOptions session_options;
  if (!o.site.empty()) {
    auto site = cluster.find(o.site);
    if (!site) usage("no site named '" + o.site + "'");
    session_options.first_site = *site;
  }
  if (!o.secret_path.empty()) {
    auto secret = net::load_secret(o.secret_path);
    if (auto* error = std::get_if<net::SecretError>(&secret)) {
      std::cerr << "paxoskv-bench: " << error->what << '\n';
      return kExitUsage;
    }
    // One thread, so the sessions share one MAC context.
    session_options.auth = std::make_shared<net::MessageAuth>(std::get<std::string>(secret));
  }
  run.value.assign(o.value_size, 'v');

  boost::asio::io_context io;
  std::vector<std::unique_ptr<client::Session>> sessions;
  for (std::size_t i = 0; i < o.clients; ++i)
    sessions.push_back(std::make_unique<client::Session>(io, cluster, session_options));
  auto start = Clock::now();
  run.measure_from = start + std::chrono::microseconds(static_cast<std::int64_t>(o.warmup_s * 1e6));
  run.measure_until =
      run.measure_from + std::chrono::microseconds(static_cast<std::int64_t>(o.duration_s * 1e6));
  run.writes_per_tick.resize(
      static_cast<std::size_t>((run.measure_until - run.measure_from) / kTick));
  for (auto& session : sessions) issue(run, *session);
  io.run();
  report(run);
  return 0;
}
