#include "site/line_editor.hpp"

// clang-format off
#include <cstdio>
#include <editline/readline.h>
// clang-format on

#include <cassert>
#include <cstdlib>

namespace paxoskv::site {

namespace {

// Lines of history kept in memory and in the file.
constexpr int kHistoryLines = 1000;

// libedit's callback takes no context: the one editor that exists.
LineEditor* current_editor = nullptr;

}  // namespace

LineEditor::LineEditor(std::filesystem::path history_file)
    : history_file_(std::move(history_file)) {
  assert(current_editor == nullptr);
  current_editor = this;
  // The site's own signal handlers (SIGINT, SIGTERM) put the terminal back through cancel();
  // libedit's would re-raise the signal to the whole process group.
  rl_catch_signals = 0;
  using_history();
  stifle_history(kHistoryLines);
  // A missing or unreadable history file just means no history yet.
  if (!history_file_.empty()) read_history(history_file_.c_str());
}

LineEditor::~LineEditor() {
  cancel();
  if (!history_file_.empty()) write_history(history_file_.c_str());
  current_editor = nullptr;
}

void LineEditor::prompt(const std::string& prompt, LineHandler on_line) {
  assert(!editing_);
  handler_ = std::move(on_line);
  editing_ = true;
  rl_callback_handler_install(prompt.c_str(), &LineEditor::on_line);
}

void LineEditor::feed() {
  if (editing_) rl_callback_read_char();
}

void LineEditor::cancel() {
  if (!editing_) return;
  editing_ = false;
  rl_callback_handler_remove();
}

void LineEditor::on_line(char* line) {
  LineEditor* self = current_editor;
  assert(self != nullptr && self->editing_);
  std::optional<std::string> text;
  if (line != nullptr) {
    text = line;
    std::free(line);
    if (!text->empty()) add_history(text->c_str());
  }
  // Leave raw mode before the command runs and prints, so output looks as without libedit.
  self->cancel();
  LineHandler handler = std::move(self->handler_);
  handler(std::move(text));
}

std::filesystem::path LineEditor::default_history_file() {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') return {};
  return std::filesystem::path(home) / ".paxoskv_history";
}

}  // namespace paxoskv::site
