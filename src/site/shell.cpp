#include "site/shell.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <boost/asio/read_until.hpp>
#include <cassert>
#include <cstdio>
#include <iostream>
#include <random>

#include "client/member_text.hpp"
#include "log/log.hpp"
#include "paxoskv/limits.hpp"
#include "site/shell_output.hpp"

namespace paxoskv::site {

namespace {

// A line longer than this is cut: its head is parsed (a put that long is refused as too
// large) and the rest is skipped, so one runaway line cannot exhaust memory.
constexpr std::size_t kMaxLineBytes = 1 << 20;

// The core fails a command after its last attempt; this is only a backstop in case no
// completion ever comes, so the shell never hangs.
constexpr std::int64_t kWatchdogMs =
    ReplicaOptions{}.request_attempt_ms * limits::max_request_attempts + 2000;

std::uint64_t random_client_id() {
  std::random_device device;
  std::uint64_t bits = (std::uint64_t{device()} << 32) | device();
  std::uniform_int_distribution<std::uint64_t> pick(1, limits::max_client_id);
  std::mt19937_64 engine(bits);
  return pick(engine);
}

}  // namespace

Shell::Shell(boost::asio::io_context& io, Site& site, std::function<void()> on_quit)
    : io_(io),
      site_(site),
      on_quit_(std::move(on_quit)),
      input_(io),
      buffer_(kMaxLineBytes),
      timer_(io),
      interactive_(::isatty(STDIN_FILENO) == 1),
      client_id_(random_client_id()) {}

Shell::~Shell() {
  restore_stdin();
}

void Shell::start() {
  site_.on_completion([this](const Completion& completion) { on_completion(completion); });
  saved_stdin_flags_ = ::fcntl(STDIN_FILENO, F_GETFL);
  boost::system::error_code error;
  input_.assign(STDIN_FILENO, error);
  if (saved_stdin_flags_ < 0 || error) {
    // No usable stdin (closed): the same as an empty script.
    PAXOSKV_LOG(warning) << "stdin is not readable: " << error.message();
    boost::asio::post(io_, [this] { quit(); });
    return;
  }
  // Line editing only for a person at a terminal; scripts keep the plain line reader.
  if (interactive_ && ::isatty(STDOUT_FILENO) == 1)
    editor_ = std::make_unique<LineEditor>(LineEditor::default_history_file());
  PAXOSKV_LOG(info) << "shell ready, client id " << client_id_;
  next_command();
}

void Shell::stop() {
  if (stopped_) return;
  stopped_ = true;
  timer_.cancel();
  // Gives the terminal back from raw mode and saves the history.
  editor_.reset();
  // Leave the user's terminal on a fresh line after Ctrl-D or Ctrl-C at the prompt.
  if (prompt_shown_) print("");
  restore_stdin();
}

void Shell::restore_stdin() {
  if (!input_.is_open()) return;
  // Asio made the descriptor non-blocking; a terminal shares that flag with the user's shell.
  input_.release();
  if (saved_stdin_flags_ >= 0) ::fcntl(STDIN_FILENO, F_SETFL, saved_stdin_flags_);
}

void Shell::next_command() {
  if (stopped_) return;
  if (at_end_of_input_) return quit();
  if (editor_) return read_edited_line();
  if (interactive_) {
    std::cout << site_.name() << "> " << std::flush;
    prompt_shown_ = true;
  }
  // Completes through the io_context even when a whole line is already buffered, so a long
  // script never recurses.
  boost::asio::async_read_until(
      input_, buffer_, '\n',
      [this](const boost::system::error_code& error, std::size_t bytes) { on_read(error, bytes); });
}

void Shell::on_read(const boost::system::error_code& error, std::size_t bytes) {
  if (stopped_ || error == boost::asio::error::operation_aborted) return;
  prompt_shown_ = false;
  bool whole_line = !error;
  bool too_long = error == boost::asio::error::not_found;
  if (!whole_line && !too_long) {
    if (error != boost::asio::error::eof) PAXOSKV_LOG(error) << "stdin: " << error.message();
    at_end_of_input_ = true;
    // A last line without '\n' still counts.
    if (buffer_.size() == 0 || skipping_long_line_) {
      prompt_shown_ = interactive_;  // Ctrl-D at the prompt: end its line
      return quit();
    }
    bytes = buffer_.size();
  }
  if (too_long) bytes = buffer_.size();
  auto data = buffer_.data();
  std::string line(boost::asio::buffers_begin(data), boost::asio::buffers_begin(data) + bytes);
  buffer_.consume(bytes);
  if (whole_line) line.pop_back();  // the '\n'

  bool skip = skipping_long_line_;
  skipping_long_line_ = too_long;
  if (skip) {
    // The tail of a line whose head was already answered.
    if (at_end_of_input_) return quit();
    return boost::asio::async_read_until(
        input_, buffer_, '\n',
        [this](const boost::system::error_code& e, std::size_t n) { on_read(e, n); });
  }
  execute(line);
}

void Shell::read_edited_line() {
  prompt_shown_ = true;
  editor_->prompt(site_.name() + "> ",
                  [this](std::optional<std::string> line) { on_edited_line(std::move(line)); });
  wait_for_terminal();
}

void Shell::wait_for_terminal() {
  input_.async_wait(
      boost::asio::posix::stream_descriptor::wait_read,
      [this](const boost::system::error_code& error) {
        if (stopped_ || error == boost::asio::error::operation_aborted) return;
        // Readable with nothing to read: the terminal hung up.
        int available = 0;
        if (error || ::ioctl(STDIN_FILENO, FIONREAD, &available) != 0 || available == 0) {
          editor_->cancel();
          return on_edited_line(std::nullopt);
        }
        editor_->feed();
        if (!stopped_ && editor_ && editor_->editing()) wait_for_terminal();
      });
}

void Shell::on_edited_line(std::optional<std::string> line) {
  if (stopped_) return;
  if (!line) {
    // Ctrl-D at the prompt: stop() ends the prompt's line.
    at_end_of_input_ = true;
    return quit();
  }
  prompt_shown_ = false;
  execute(*line);
}

void Shell::execute(const std::string& line) {
  ++command_number_;
  ShellCommand command = parse_command(line, site_.cluster(), site_.self());
  std::visit([this](const auto& parsed) { run(parsed); }, command);
}

void Shell::run(const WriteCommand& command) {
  submit(Pending{{client_id_, next_seq_++},
                 false,
                 command_name(command.op, command.pre),
                 command.key,
                 std::nullopt});
  Command write{command.op, command.key, command.value, pending_->id};
  write.pre = command.pre;
  site_.submit(write);
}

void Shell::run(const MemberCommand& command) {
  submit(Pending{{client_id_, next_seq_++}, false, "member", command.change.name, command.change});
  site_.submit(member_command(command.change, pending_->id));
}

void Shell::run(const GetCommand& command) {
  submit(Pending{{client_id_, next_seq_++}, true, "get", command.key, std::nullopt});
  site_.submit_read(pending_->id, command.key);
}

void Shell::run(const PrintCommand& command) {
  const Replica& replica = site_.replica();
  switch (command.target) {
    case PrintTarget::log:
      print(format_log(replica.log()));
      break;
    case PrintTarget::kv:
      print(format_kv(replica.kv()));
      break;
    case PrintTarget::chain:
      print(format_chain(replica.log(), replica.log_start_hash()));
      break;
    case PrintTarget::status:
      print(format_status(site_.cluster(), replica.status(), site_.transport().drops()));
      break;
    case PrintTarget::members:
      print(client::format_members(replica.members()));
      break;
  }
  command_done();
}

void Shell::run(const SleepCommand& command) {
  timer_.expires_after(std::chrono::milliseconds(command.ms));
  timer_.async_wait([this, number = command_number_](const boost::system::error_code& error) {
    if (!error && number == command_number_) command_done();
  });
}

void Shell::run(const LinkCommand& command) {
  site_.transport().set_link_failed(command.site, command.failed);
  print(format_link(command.name, command.failed));
  command_done();
}

void Shell::run(const CrashCommand&) {
  // A power cut: no destructor, no buffered write, no final SITE.json. Only the terminal
  // mode is put back, which is the user's shell state, not the site's.
  restore_stdin();
  ::_exit(1);
}

void Shell::run(const QuitCommand&) {
  quit();
}

void Shell::run(const HelpCommand&) {
  print(format_help());
  command_done();
}

void Shell::run(const Refusal& command) {
  print(command.line);
  command_done();
}

void Shell::run(const EmptyLine&) {
  command_done();
}

void Shell::submit(Pending pending) {
  // One command at a time: the next line is not read before this one completes.
  assert(!pending_);
  assert(pending.id.client >= 1 && pending.id.client <= limits::max_client_id);
  pending_ = std::move(pending);
  timer_.expires_after(std::chrono::milliseconds(kWatchdogMs));
  timer_.async_wait([this, number = command_number_](const boost::system::error_code& error) {
    if (!error) on_watchdog(number);
  });
}

void Shell::on_completion(const Completion& completion) {
  if (stopped_ || !pending_ || completion.id != pending_->id) {
    PAXOSKV_LOG(debug) << "completion of request " << completion.id.client << "/"
                       << completion.id.seq << " that this shell is not waiting for";
    return;
  }
  if (pending_->is_read) {
    print(format_get_result(pending_->key, completion));
  } else if (pending_->member) {
    print(client::format_member_result(*pending_->member, completion));
  } else {
    print(format_write_result(pending_->name, pending_->key, completion));
  }
  pending_.reset();
  timer_.cancel();
  command_done();
}

void Shell::on_watchdog(std::uint64_t command_number) {
  if (stopped_ || command_number != command_number_ || !pending_) return;
  PAXOSKV_LOG(error) << "no completion for request " << pending_->id.client << "/"
                     << pending_->id.seq << " after " << kWatchdogMs << " ms";
  Completion timeout;
  timeout.id = pending_->id;
  timeout.reason = "no answer after " + std::to_string(kWatchdogMs) + " ms";
  on_completion(timeout);
}

void Shell::command_done() {
  // Posted: a completion arrives in the middle of the site's flush, which must finish
  // before the next command (or a quit) touches the site.
  boost::asio::post(io_, [this] { next_command(); });
}

void Shell::quit() {
  if (stopped_) return;
  stop();
  on_quit_();
}

void Shell::print(const std::string& line) {
  std::cout << line << '\n' << std::flush;
}

void Shell::print(const std::vector<std::string>& lines) {
  for (const std::string& line : lines) std::cout << line << '\n';
  std::cout << std::flush;
}

}  // namespace paxoskv::site
