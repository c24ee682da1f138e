// Issue 17, acceptance 4: the lock recipe of the README ("A lock in Python") runs as written.
// The code block is taken out of README.md and imported by two kinds of Python processes: a
// holder and a contender. The contender takes the lock only after the holder released it; and
// once the holder's process is SIGKILLed while it holds the lock, only after the lock's TTL ran
// out since the holder sent its write (README, "Keys with a time to live": never before; the
// processes share one monotonic clock, so the drift bound is 0 here, and 10 ms is allowed for
// reading the clock around the call).

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "harness.hpp"
#include "tool_process.hpp"

using namespace e2e;

namespace {

constexpr int kTtlSeconds = 3;

// The Python block that follows "# lock.py" in the README.
std::string recipe_from_readme() {
  std::ifstream in(std::filesystem::path(PAXOSKV_SOURCE_DIR) / "README.md");
  std::stringstream text;
  text << in.rdbuf();
  const std::string readme = text.str();
  const std::string start = "```python\n# lock.py\n";
  const auto begin = readme.find(start);
  BOOST_REQUIRE_MESSAGE(begin != std::string::npos, "README.md has no lock.py block");
  const auto end = readme.find("```", begin + start.size());
  BOOST_REQUIRE(end != std::string::npos);
  return readme.substr(begin + 10, end - begin - 10);
}

// argv: API NAME MODE. `hold-then-release` holds 2 s; `hold` holds until killed; `take` takes
// the lock and exits. Times are time.monotonic(), shared by every process of the machine.
const char* const kScript = R"(import sys, time
import lock
lock.API = sys.argv[1]
me, mode = sys.argv[2], sys.argv[3]
sent = time.monotonic()
revision = lock.lock("the-lock", me, ttl=3)
print(f"held {revision} sent {sent:.6f} at {time.monotonic():.6f}", flush=True)
if mode == "hold-then-release":
    time.sleep(2)
    print(f"releasing at {time.monotonic():.6f}", flush=True)
    lock.unlock("the-lock", revision)
    print("released", flush=True)
elif mode == "hold":
    time.sleep(3600)
)";

// The number after `word ` in the first line of `text` that has it.
std::optional<double> number_after(const std::string& text, std::string_view word) {
  std::string needle(word);
  needle += ' ';
  const auto at = text.find(needle);
  if (at == std::string::npos) return std::nullopt;
  return std::stod(text.substr(at + needle.size()));
}

bool wait_for_output(const ToolProcess& process, const std::string& word, Deadline deadline) {
  while (Clock::now() < deadline) {
    if (process.output().find(word) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http_lock_recipe)

BOOST_AUTO_TEST_CASE(the_readme_lock_is_taken_after_a_release_and_after_a_killed_holders_ttl) {
  static_assert(kTtlSeconds == 3, "the script says ttl=3");
  const std::uint16_t http = free_tcp_ports(1).front();
  ClusterSpec spec;
  spec.sites = {SiteSpec{"alpha", "", {"--http", std::to_string(http)}}, SiteSpec{"beta", "", {}},
                SiteSpec{"gamma", "", {}}};
  Cluster c(spec);
  c.start_all();
  {
    std::ofstream(c.dir() / "lock.py") << recipe_from_readme();
    std::ofstream(c.dir() / "contend.py") << kScript;
  }
  const std::string api = "http://127.0.0.1:" + std::to_string(http) + "/v1";
  const std::string python = "/usr/bin/python3";
  auto start = [&](const std::string& me, const std::string& mode) {
    return std::make_unique<ToolProcess>(
        python, std::vector<std::string>{"-u", (c.dir() / "contend.py").string(), api, me, mode},
        c.dir() / std::filesystem::path(me).replace_extension("out"));
  };

  // 1. A holds, B waits, A releases, B takes it (and releases it in turn).
  auto a = start("a", "hold-then-release");
  BOOST_TEST_REQUIRE(wait_for_output(*a, "held", after(20s)), a->output());
  auto b = start("b", "hold-then-release");
  BOOST_TEST_REQUIRE(wait_for_output(*b, "held", after(20s)), b->output());
  BOOST_TEST_REQUIRE(wait_for_output(*a, "released", after(5s)), a->output());
  const auto releasing = number_after(a->output(), "releasing at");
  const auto b_held_at = number_after(b->output(), "at");
  BOOST_REQUIRE(releasing && b_held_at);
  BOOST_TEST(*b_held_at >= *releasing, "b took the lock before a released it");
  BOOST_TEST_MESSAGE("b took the lock " << (*b_held_at - *releasing) * 1000
                                        << " ms after a began to release it");
  BOOST_TEST_REQUIRE(wait_for_output(*b, "released", after(5s)), b->output());

  // 2. D takes the free lock with one write, and is killed while it holds it; C, waiting,
  // takes it once D's TTL ran out since D sent that write, not before.
  auto d = start("d", "hold");
  BOOST_TEST_REQUIRE(wait_for_output(*d, "held", after(20s)), d->output());
  const auto d_sent = number_after(d->output(), "sent");
  BOOST_REQUIRE(d_sent);
  auto c_process = start("c", "take");
  d->kill_now();
  BOOST_TEST_REQUIRE(wait_for_output(*c_process, "held", after(20s)), c_process->output());
  const auto c_held_at = number_after(c_process->output(), "at");
  BOOST_REQUIRE(c_held_at);
  const double after_d_sent = *c_held_at - *d_sent;
  BOOST_TEST_MESSAGE("c took the lock " << after_d_sent * 1000
                                        << " ms after the killed d sent its write (TTL "
                                        << kTtlSeconds << " s)");
  BOOST_TEST(after_d_sent >= kTtlSeconds - 0.010, "the lock expired before its TTL");
  BOOST_TEST(after_d_sent <= kTtlSeconds + 3.0, "the lock outlived its TTL by far");
  BOOST_TEST(c_process->wait_exit(after(5s)));
}

BOOST_AUTO_TEST_SUITE_END()
