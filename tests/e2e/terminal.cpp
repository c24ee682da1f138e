// A site at a real terminal (a pseudo-terminal from forkpty): the prompt, line editing and
// history through libedit, as a person typing would use them.

#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <string>

#include "harness.hpp"

using namespace e2e;

namespace {

// One site whose stdin and stdout are the slave side of a pseudo-terminal.
class TerminalSite {
 public:
  TerminalSite(const std::filesystem::path& dir, const std::filesystem::path& hosts) {
    pid_ = ::forkpty(&master_, nullptr, nullptr, nullptr);
    BOOST_TEST_REQUIRE(pid_ >= 0, "forkpty failed");
    if (pid_ == 0) {
      // The history file goes to the test's directory, not the user's home.
      ::setenv("HOME", dir.c_str(), 1);
      std::string binary = site_binary(), hosts_arg = hosts.string(),
                  data = (dir / "data").string();
      ::execl(binary.c_str(), binary.c_str(), "alpha", "--hosts", hosts_arg.c_str(), "--data-dir",
              data.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~TerminalSite() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0) ::close(master_);
  }

  void type(std::string_view keys) {
    BOOST_TEST_REQUIRE(::write(master_, keys.data(), keys.size()) ==
                       static_cast<ssize_t>(keys.size()));
  }

  // Reads the screen output until it holds `text` `times` times, or the deadline passes.
  bool wait_for(const std::string& text, std::size_t times, Deadline deadline) {
    while (occurrences(text) < times) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return false;
      pollfd p{master_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buffer[4096];
      ssize_t n = ::read(master_, buffer, sizeof buffer);
      if (n <= 0) return occurrences(text) >= times;
      screen_.append(buffer, static_cast<std::size_t>(n));
    }
    return true;
  }

  std::optional<int> wait_exit(Deadline deadline) {
    while (Clock::now() < deadline) {
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      wait_for("\x01never\x01", 1, after(50ms));  // keep draining the terminal
    }
    return std::nullopt;
  }

  const std::string& screen() const { return screen_; }

 private:
  std::size_t occurrences(const std::string& text) const {
    std::size_t count = 0;
    for (auto at = screen_.find(text); at != std::string::npos; at = screen_.find(text, at + 1))
      ++count;
    return count;
  }

  pid_t pid_ = -1;
  int master_ = -1;
  bool exited_ = false;
  std::string screen_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(terminal)

BOOST_AUTO_TEST_CASE(prompt_line_editing_and_history) {
  TempDir tmp;
  auto hosts = tmp.path() / "hosts.txt";
  write_hosts_file(hosts, {{"alpha", free_udp_ports(1)[0], ""}});
  TerminalSite site(tmp.path(), hosts);

  BOOST_TEST_REQUIRE(site.wait_for("alpha> ", 1, after(20s)), "no prompt:\n" << site.screen());
  site.type("put k v\r");
  BOOST_TEST_REQUIRE(site.wait_for("put k completed", 1, after(20s)), site.screen());

  // Up-arrow recalls the last line from history; Enter runs it again.
  site.type("\x1b[A\r");
  BOOST_TEST(site.wait_for("put k completed", 2, after(20s)), "history recall:\n" << site.screen());

  // Ctrl-A moves to the start of the line (the kernel's own line editing has no such key):
  // "et k", then "g" inserted in front, runs "get k".
  site.type("et k\x01g\r");
  BOOST_TEST(site.wait_for("get k returned v", 1, after(20s)), "editing:\n" << site.screen());

  site.type("quit\r");
  auto code = site.wait_exit(after(20s));
  BOOST_TEST_REQUIRE(code.has_value(), "the site did not exit after quit");
  BOOST_TEST(*code == 0);
  // libedit's history file encodes a space as \040.
  std::string history = read_file(tmp.path() / ".paxoskv_history");
  for (auto at = history.find("\\040"); at != std::string::npos; at = history.find("\\040"))
    history.replace(at, 4, " ");
  BOOST_TEST(history.find("put k v\nput k v\nget k\n") != std::string::npos,
             "history file: " << history);
}

BOOST_AUTO_TEST_SUITE_END()
