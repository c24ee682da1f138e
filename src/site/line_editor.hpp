#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace paxoskv::site {

// Line editing and history at a terminal prompt, through libedit's readline-compatible
// callback interface, without a thread: the shell waits for stdin to be readable on its
// io_context and calls feed(), which takes what the terminal has typed and, once a line is
// complete, hands it to the handler given to prompt(). Between prompt() and that moment the
// terminal is in libedit's raw mode; otherwise it is as the user's shell left it.
//
// libedit's readline layer is one global editor, so at most one LineEditor may exist.
class LineEditor {
 public:
  // The typed line without its '\n', or nullopt at end of input (Ctrl-D on an empty line).
  using LineHandler = std::function<void(std::optional<std::string>)>;

  // `history_file` ("" for none) is read now and written by the destructor.
  explicit LineEditor(std::filesystem::path history_file);
  ~LineEditor();
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  // Shows `prompt` and starts editing a line. No line may be in progress.
  void prompt(const std::string& prompt, LineHandler on_line);
  // Stdin is readable: reads what the terminal has; may call the handler (once per prompt()).
  void feed();
  // True between prompt() and the handler's call (or cancel()).
  bool editing() const { return editing_; }
  // Abandons the line in progress and gives the terminal back; for shutdown.
  void cancel();

  // $HOME/.paxoskv_history, or "" without $HOME.
  static std::filesystem::path default_history_file();

 private:
  static void on_line(char* line);

  std::filesystem::path history_file_;
  LineHandler handler_;
  bool editing_ = false;
};

}  // namespace paxoskv::site
