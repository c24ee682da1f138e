// paxoskv-floor: the floor under a replicated write on this machine.
//
//   paxoskv-floor udp-rtt [--samples N]       loopback UDP round trip (echo on 127.0.0.1, in a
//                                             process on another CPU)
//   paxoskv-floor fsync --dir DIR [--samples N] one 4 KiB append + fsync in DIR
//
// Prints "p50_us=… p99_us=…" and one JSON line, for bench/compare-etcd.

#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "paxoskv-floor: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

double us_since(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

int bound_socket(sockaddr_in& addr) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("bind");
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return fd;
}

// Two different CPUs this process may run on, if it may run on two.
std::optional<std::pair<int, int>> two_cpus() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (::sched_getaffinity(0, sizeof allowed, &allowed) != 0) return std::nullopt;
  std::vector<int> cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE && cpus.size() < 2; ++cpu)
    if (CPU_ISSET(cpu, &allowed)) cpus.push_back(cpu);
  if (cpus.size() < 2) return std::nullopt;
  return std::make_pair(cpus[0], cpus[1]);
}

void pin_to(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (::sched_setaffinity(0, sizeof set, &set) != 0) die("sched_setaffinity");
}

// A forked echo process plays the peer; each sample is one 100-byte datagram there and back,
// between two processes as between two sites. The two are pinned to different CPUs (when there
// are two), as two sites on two machines: left to the scheduler, they sometimes share one CPU,
// and a round trip that wakes no idle CPU took 11 us here against 52-60 us across two, which
// flipped the floor between runs.
std::vector<double> udp_rtt(std::size_t samples) {
  sockaddr_in echo_addr{};
  sockaddr_in client_addr{};
  int echo = bound_socket(echo_addr);
  int client = bound_socket(client_addr);
  const std::optional<std::pair<int, int>> cpus = two_cpus();
  pid_t child = ::fork();
  if (child < 0) die("fork");
  if (cpus) pin_to(child == 0 ? cpus->second : cpus->first);
  if (child == 0) {
    char buf[2048];
    for (;;) {
      sockaddr_in from{};
      socklen_t len = sizeof from;
      ssize_t n = ::recvfrom(echo, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n <= 0 || (n == 1 && buf[0] == 'q')) ::_exit(0);
      ::sendto(echo, buf, static_cast<size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), len);
    }
  }
  std::vector<double> out;
  char payload[100];
  std::memset(payload, 'x', sizeof payload);
  char reply[2048];
  for (std::size_t i = 0; i < samples + 100; ++i) {
    auto start = Clock::now();
    ::sendto(client, payload, sizeof payload, 0, reinterpret_cast<sockaddr*>(&echo_addr),
             sizeof echo_addr);
    if (::recv(client, reply, sizeof reply, 0) <= 0) die("recv");
    if (i >= 100) out.push_back(us_since(start));  // the first 100 warm up
  }
  ::sendto(client, "q", 1, 0, reinterpret_cast<sockaddr*>(&echo_addr), sizeof echo_addr);
  ::waitpid(child, nullptr, 0);
  ::close(echo);
  ::close(client);
  return out;
}

// One sample is one durable 4 KiB write to a growing file: append 4 KiB to a file it keeps
// open, then fsync() it. (A site does less per batch: it overwrites spaces written ahead of its
// appends and fdatasyncs, which writes no allocation metadata; on this machine's disk that
// cost 0.45-0.7 times this sample. See docs/PERFORMANCE.notes.md.) Two things are kept out of
// the samples, because neither is the cost of one fsync in this directory:
//  - the file's creation (its directory entry and first allocation): it is created, written
//    and fsynced, with its directory, before the first sample, and 10 more samples warm up;
//  - the dirty pages of other processes. An fsync on ext4 waits for the journal commit, and
//    that commit first writes out every file's data allocated in the same transaction. Right
//    after a build (bench/compare-etcd builds just before it measures), the disk is still
//    flushing hundreds of MB, and each sample took a flat ~4 ms instead of ~0.15 ms. syncfs()
//    flushes that backlog first.
std::vector<double> fsync_4k(const std::string& dir, std::size_t samples) {
  std::string path = dir + "/floor-fsync.tmp";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) die("open " + path);
  std::vector<char> block(4096, 'f');
  off_t end = 0;
  auto append_and_fsync = [&] {
    if (::pwrite(fd, block.data(), block.size(), end) != static_cast<ssize_t>(block.size()))
      die("pwrite");
    end += static_cast<off_t>(block.size());
    if (::fsync(fd) != 0) die("fsync");
  };
  append_and_fsync();
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) die("open " + dir);
  if (::fsync(dir_fd) != 0) die("fsync " + dir);
  ::close(dir_fd);
  if (::syncfs(fd) != 0) die("syncfs");
  constexpr std::size_t kWarmup = 10;
  std::vector<double> out;
  for (std::size_t i = 0; i < samples + kWarmup; ++i) {
    auto start = Clock::now();
    append_and_fsync();
    if (i >= kWarmup) out.push_back(us_since(start));
  }
  ::close(fd);
  ::unlink(path.c_str());
  return out;
}

// One sample is what a site does for a batch: overwrite 4 KiB of a file whose blocks are
// written already (the spaces a site keeps ahead of its appends), then fdatasync() it. No
// allocation or inode is written, so it is the cheapest durable 4 KiB write on this disk.
std::vector<double> overwrite_4k(const std::string& dir, std::size_t samples) {
  constexpr std::size_t kBlocks = 256;  // 1 MiB, overwritten in turn
  std::string path = dir + "/floor-overwrite.tmp";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) die("open " + path);
  std::vector<char> block(4096, 'o');
  for (std::size_t b = 0; b < kBlocks; ++b)
    if (::pwrite(fd, block.data(), block.size(), static_cast<off_t>(b * block.size())) !=
        static_cast<ssize_t>(block.size()))
      die("pwrite");
  if (::fsync(fd) != 0) die("fsync");
  if (::syncfs(fd) != 0) die("syncfs");  // as in fsync_4k: other writers' backlog first
  constexpr std::size_t kWarmup = 10;
  std::vector<double> out;
  for (std::size_t i = 0; i < samples + kWarmup; ++i) {
    auto start = Clock::now();
    const auto at = static_cast<off_t>((i % kBlocks) * block.size());
    if (::pwrite(fd, block.data(), block.size(), at) != static_cast<ssize_t>(block.size()))
      die("pwrite");
    if (::fdatasync(fd) != 0) die("fdatasync");
    if (i >= kWarmup) out.push_back(us_since(start));
  }
  ::close(fd);
  ::unlink(path.c_str());
  return out;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size() - 1)))];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: paxoskv-floor udp-rtt|fsync|overwrite [--dir DIR] [--samples N]\n");
    return 2;
  }
  std::string what = argv[1];
  std::string dir = ".";
  std::size_t samples = what == "udp-rtt" ? 5000 : 200;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--dir")
      dir = argv[i + 1];
    else if (flag == "--samples")
      samples = std::stoul(argv[i + 1]);
    else
      return 2;
  }
  std::vector<double> v;
  if (what == "udp-rtt")
    v = udp_rtt(samples);
  else if (what == "fsync")
    v = fsync_4k(dir, samples);
  else if (what == "overwrite")
    v = overwrite_4k(dir, samples);
  else
    return 2;
  double p50 = percentile(v, 0.5);
  double p99 = percentile(v, 0.99);
  std::printf("%s: p50_us=%.1f p99_us=%.1f samples=%zu\n", what.c_str(), p50, p99, v.size());
  std::printf("{\"floor\":\"%s\",\"p50_us\":%.1f,\"p99_us\":%.1f,\"samples\":%zu}\n", what.c_str(),
              p50, p99, v.size());
  return 0;
}
