#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "site/line_editor.hpp"
#include "site/shell_command.hpp"
#include "site/site.hpp"

namespace paxoskv::site {

// The interactive shell of a site (SPEC §3): reads stdin through Asio on the site's
// io_context, runs one command at a time in the order typed (a put waits for its completion
// before the next line is read), and writes each result line to stdout, flushed at once so a
// crash loses nothing already printed.
class Shell {
 public:
  // `on_quit` is called once, at `quit` or at the end of input.
  Shell(boost::asio::io_context& io, Site& site, std::function<void()> on_quit);
  ~Shell();
  Shell(const Shell&) = delete;
  Shell& operator=(const Shell&) = delete;

  void start();
  // Stops reading and gives stdin back as it was found (blocking mode).
  void stop();

 private:
  // The command this shell is waiting on, so its completion finds the words to print.
  struct Pending {
    RequestId id;
    bool is_read = false;
    std::string_view name;  // of the command, for its result line
    std::string key;
    std::optional<MemberChange> member;  // a `member` command's change
  };

  void next_command();
  void on_read(const boost::system::error_code& error, std::size_t bytes);
  // At a terminal: the line comes from libedit, fed whenever stdin is readable.
  void read_edited_line();
  void wait_for_terminal();
  void on_edited_line(std::optional<std::string> line);
  void execute(const std::string& line);
  void run(const WriteCommand& command);
  void run(const GetCommand& command);
  void run(const MemberCommand& command);
  void run(const PrintCommand& command);
  void run(const SleepCommand& command);
  void run(const LinkCommand& command);
  void run(const CrashCommand& command);
  void run(const QuitCommand& command);
  void run(const HelpCommand& command);
  void run(const Refusal& command);
  void run(const EmptyLine& command);
  void submit(Pending pending);
  void on_completion(const Completion& completion);
  void on_watchdog(std::uint64_t command_number);
  void command_done();
  void quit();
  void print(const std::string& line);
  void print(const std::vector<std::string>& lines);
  void restore_stdin();

  boost::asio::io_context& io_;
  Site& site_;
  std::function<void()> on_quit_;
  boost::asio::posix::stream_descriptor input_;
  boost::asio::streambuf buffer_;
  boost::asio::steady_timer timer_;  // `sleep`, or the watchdog of a pending command
  bool interactive_ = false;
  std::unique_ptr<LineEditor> editor_;  // when stdin and stdout are both terminals
  int saved_stdin_flags_ = -1;
  std::uint64_t client_id_ = 0;
  std::uint64_t next_seq_ = 1;
  // Numbers the commands, so a timer that fired for an earlier command is recognised.
  std::uint64_t command_number_ = 0;
  std::optional<Pending> pending_;
  bool skipping_long_line_ = false;
  bool at_end_of_input_ = false;
  bool prompt_shown_ = false;  // a prompt is on screen, waiting for a line
  bool stopped_ = false;
};

}  // namespace paxoskv::site
