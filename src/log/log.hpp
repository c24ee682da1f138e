#pragma once

// The one logging facade of the project: a level filter and one line per message, carried by
// Boost.Log. Only log.cpp includes Boost.Log, so a file that logs pulls in nothing heavier than
// <sstream>.
//
//   PAXOSKV_LOG(warning) << "no quorum for slot " << slot;
//
// The arguments are not evaluated when the level is filtered out.

#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace paxoskv::log {

enum class Level { trace, debug, info, warning, error };

// "trace", "debug", "info", "warning", "error"; nullopt for anything else.
std::optional<Level> parse_level(std::string_view name);
std::string_view level_name(Level level);

// Lines below `level` are dropped (the default is warning).
void set_level(Level level);
bool enabled(Level level);

// From now on, lines at `level` and above go to stderr, flushed at once (so that a line is
// there even if the process dies right after it), one each:
//   "12:04:31.207 alpha warning: no quorum for slot 4"
void to_stderr(Level level, const std::string& site_name);

// While it lives, every line at `level` and above is also handed to `sink` (for tests); then
// the level is what it was.
using Sink = std::function<void(Level, std::string_view message)>;
class Capture {
 public:
  Capture(Level level, Sink sink);
  ~Capture();
  Capture(const Capture&) = delete;
  Capture& operator=(const Capture&) = delete;

 private:
  struct Registration;
  std::unique_ptr<Registration> registration_;
  Level previous_;
};

// One line, through Boost.Log.
void write(Level level, std::string_view message);

// One message being formatted; written when the statement ends.
class Line {
 public:
  explicit Line(Level level) : level_(level) {}
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;
  ~Line() { write(level_, text_.view()); }
  std::ostringstream& stream() { return text_; }

 private:
  Level level_;
  std::ostringstream text_;
};

// Turns the stream of a PAXOSKV_LOG line into void, so that both arms of its ?: agree.
struct Voidify {
  void operator&(std::ostream&) {}
};

}  // namespace paxoskv::log

// `&` binds more loosely than `<<` and makes the whole an expression of type void, so the macro
// is one expression: safe under an `if` without braces.
#define PAXOSKV_LOG(severity)                               \
  !::paxoskv::log::enabled(::paxoskv::log::Level::severity) \
      ? (void)0                                             \
      : ::paxoskv::log::Voidify() & ::paxoskv::log::Line(::paxoskv::log::Level::severity).stream()
