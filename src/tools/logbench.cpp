// paxoskv-logbench: shows that appending one decided slot to SITE_log.json costs the same
// whether the log holds 1,000 or 100,000 slots (the spec's "10 or 10 million" promise).
//
//   paxoskv-logbench [--dir DIR] [--samples N] [--large SLOTS] [--batch N]
//
// --large sets the size of the big log (default 100,000; issue 4 checks 1,000,000), --batch
// the entries per append, as a leader with batching writes them (default 1); the costs
// reported are per append, and per slot (divided by the batch).
//
// Two logs are filled quickly (large batches, one fsync), then single-entry appends go to
// both in alternation, so drift in the disk's speed hits both sizes alike. Each append is
// timed with its fsync (the real cost of a decided slot) and, separately, without.

#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "storage/log_store.hpp"
#include "storage/storage_error.hpp"

namespace {

using paxoskv::Command;
using paxoskv::Hash;
using paxoskv::LogEntry;
using paxoskv::Slot;
using paxoskv::storage::LogStore;

constexpr Slot kSmallLog = 1'000;
constexpr std::size_t kFillBatch = 10'000;
constexpr std::size_t kWarmupAppends = 50;
constexpr double kTargetRatio = 1.3;

struct Options {
  std::filesystem::path dir;
  bool own_dir = false;  // a temp dir we made, removed at the end
  std::size_t samples = 2000;
  Slot large_slots = 100'000;
  std::size_t batch = 1;
};

Slot g_large_log = 100'000;  // the size of the big log, for the report lines

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "paxoskv-logbench: " << problem << "\n"
            << "usage: paxoskv-logbench [--dir DIR] [--samples N] [--large SLOTS] [--batch N]\n";
  std::exit(2);
}

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout
          << "usage: paxoskv-logbench [--dir DIR] [--samples N] [--large SLOTS] [--batch N]\n";
      std::exit(0);
    }
    if (i + 1 >= argc) usage("missing value after " + arg);
    const std::string value = argv[++i];
    if (arg == "--dir") {
      o.dir = value;
    } else if (arg == "--samples") {
      try {
        o.samples = std::stoul(value);
      } catch (const std::exception&) {
        usage("--samples needs a number, got '" + value + "'");
      }
      if (o.samples == 0) usage("--samples must be at least 1");
    } else if (arg == "--large" || arg == "--batch") {
      std::size_t n = 0;
      try {
        n = std::stoul(value);
      } catch (const std::exception&) {
        usage(arg + " needs a number, got '" + value + "'");
      }
      if (n == 0 || n > 100'000'000) usage(arg + " must be between 1 and 100,000,000");
      if (arg == "--large")
        o.large_slots = n;
      else
        o.batch = n;
    } else {
      usage("unknown option " + arg);
    }
  }
  if (o.dir.empty()) {
    std::string pattern = "./logbench-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) usage("cannot create a temp dir in .");
    o.dir = pattern;
    o.own_dir = true;
  }
  return o;
}

// Slots of one hash chain, made outside the timed region.
class ChainMaker {
 public:
  LogEntry next() {
    Command c{paxoskv::Op::put, "key-" + std::to_string(slot_ % 1000), std::string(100, 'v'),
              paxoskv::RequestId{1, slot_ + 1}};
    LogEntry e{slot_, c, paxoskv::chain_hash(slot_, c, previous_)};
    previous_ = e.hash;
    ++slot_;
    return e;
  }

 private:
  Slot slot_ = 0;
  Hash previous_ = paxoskv::genesis_hash;
};

// One log under test: its store and the chain that continues it.
struct Subject {
  std::string site;
  std::unique_ptr<LogStore> log;
  ChainMaker chain;
  std::vector<double> fsync_us;
  std::vector<double> plain_us;
};

void fill(Subject& s, const std::filesystem::path& dir, Slot slots) {
  std::filesystem::remove(paxoskv::storage::LogStore::log_path(dir, s.site));
  s.log = std::make_unique<LogStore>(dir, s.site);
  for (Slot done = 0; done < slots;) {
    std::vector<LogEntry> batch;
    for (; batch.size() < kFillBatch && done < slots; ++done) batch.push_back(s.chain.next());
    s.log->append(batch);
  }
  s.log->sync();
  // Reopen, as a restarted site would: appends then start from a freshly loaded file.
  s.log = std::make_unique<LogStore>(dir, s.site);
  if (s.log->end() != slots) throw std::runtime_error("filled log does not hold every slot");
}

std::size_t g_batch = 1;

double append_one_us(Subject& s, bool with_fsync) {
  std::vector<LogEntry> batch;
  for (std::size_t i = 0; i < g_batch; ++i) batch.push_back(s.chain.next());
  const auto start = std::chrono::steady_clock::now();
  s.log->append(batch);
  if (with_fsync) s.log->sync();
  const auto stop = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::micro>(stop - start).count();
}

void measure(std::vector<Subject>& subjects, std::size_t samples, bool with_fsync) {
  for (std::size_t i = 0; i < kWarmupAppends; ++i)
    for (Subject& s : subjects) append_one_us(s, with_fsync);
  for (std::size_t i = 0; i < samples; ++i) {
    for (Subject& s : subjects)
      (with_fsync ? s.fsync_us : s.plain_us).push_back(append_one_us(s, with_fsync));
  }
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<std::size_t>(p * static_cast<double>(v.size()) + 0.999999);
  return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

struct Summary {
  double small_median, small_p99, large_median, large_p99, ratio;
};

Summary report(const char* label, const std::vector<double>& small,
               const std::vector<double>& large) {
  Summary r{percentile(small, 0.5), percentile(small, 0.99), percentile(large, 0.5),
            percentile(large, 0.99), 0};
  r.ratio = r.large_median / r.small_median;
  std::printf("%-13s log of %6llu slots: median %9.1f us   p99 %9.1f us\n", label,
              static_cast<unsigned long long>(kSmallLog), r.small_median, r.small_p99);
  std::printf("%-13s log of %6llu slots: median %9.1f us   p99 %9.1f us\n", label,
              static_cast<unsigned long long>(g_large_log), r.large_median, r.large_p99);
  std::printf("%-13s per slot (batch of %zu): %.2f us vs %.2f us\n", label, g_batch,
              r.small_median / static_cast<double>(g_batch),
              r.large_median / static_cast<double>(g_batch));
  std::printf("%-13s ratio of medians (%llu/%llu): %.3f\n", label,
              static_cast<unsigned long long>(g_large_log),
              static_cast<unsigned long long>(kSmallLog), r.ratio);
  return r;
}

// Fixed-point numbers keep the JSON line readable; Boost.JSON would print 3.98145E3.
std::string summary_json(const Summary& r) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "{\"median_us_1k\":%.1f,\"p99_us_1k\":%.1f,\"median_us_large\":%.1f,"
                "\"p99_us_large\":%.1f,\"ratio\":%.3f}",
                r.small_median, r.small_p99, r.large_median, r.large_p99, r.ratio);
  return buf;
}

int run(const Options& o) {
  std::filesystem::create_directories(o.dir);
  std::vector<Subject> subjects(2);
  subjects[0].site = "bench1k";
  subjects[1].site = "benchlarge";
  g_large_log = o.large_slots;
  g_batch = o.batch;
  fill(subjects[0], o.dir, kSmallLog);
  fill(subjects[1], o.dir, o.large_slots);
  std::printf("paxoskv-logbench: %zu samples per case, %zu entries per append, in %s\n", o.samples,
              o.batch, o.dir.c_str());
  measure(subjects, o.samples, true);
  measure(subjects, o.samples, false);

  const Summary fsync = report("append+fsync", subjects[0].fsync_us, subjects[1].fsync_us);
  const Summary plain = report("append only", subjects[0].plain_us, subjects[1].plain_us);
  const bool met = fsync.ratio <= kTargetRatio;
  std::printf("target: ratio of fsynced medians <= %.1f: %s\n", kTargetRatio,
              met ? "met" : "NOT met");
  std::printf(
      "{\"samples\":%zu,\"large_slots\":%llu,\"batch\":%zu,\"fsync\":%s,\"no_fsync\":%s,\"target_"
      "ratio\":%.1f,"
      "\"target_met\":%s}\n",
      o.samples, static_cast<unsigned long long>(o.large_slots), o.batch,
      summary_json(fsync).c_str(), summary_json(plain).c_str(), kTargetRatio,
      met ? "true" : "false");
  std::fflush(stdout);
  for (Subject& s : subjects) {
    s.log.reset();
    std::filesystem::remove(paxoskv::storage::LogStore::log_path(o.dir, s.site));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_options(argc, argv);
  int code = 1;
  try {
    code = run(o);
  } catch (const std::exception& e) {
    std::cerr << "paxoskv-logbench: " << e.what() << "\n";
  }
  if (o.own_dir) std::filesystem::remove_all(o.dir);
  return code;
}
