#include "log/log.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <utility>

namespace paxoskv::log {

namespace {

constexpr std::array<std::pair<std::string_view, Level>, 5> kLevels{{
    {"trace", Level::trace},
    {"debug", Level::debug},
    {"info", Level::info},
    {"warning", Level::warning},
    {"error", Level::error},
}};

std::atomic<Level> min_level{Level::warning};

// The sink and the site name, and the lock that makes lines whole.
struct Output {
  std::mutex mutex;
  std::string site_name;
  Sink sink;
};

Output& output() {
  static Output instance;
  return instance;
}

// Wall-clock time of day with milliseconds, so stderr of several sites can be lined up.
std::string time_of_day() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm local{};
  localtime_r(&seconds, &local);
  char text[32];
  std::snprintf(text, sizeof text, "%02d:%02d:%02d.%03d", local.tm_hour, local.tm_min, local.tm_sec,
                static_cast<int>(ms.count()));
  return text;
}

}  // namespace

std::optional<Level> parse_level(std::string_view name) {
  for (const auto& [text, level] : kLevels)
    if (text == name) return level;
  return std::nullopt;
}

std::string_view level_name(Level level) {
  for (const auto& [text, each] : kLevels)
    if (each == level) return text;
  return "?";
}

void set_level(Level level) {
  min_level.store(level, std::memory_order_relaxed);
}

bool enabled(Level level) {
  return level >= min_level.load(std::memory_order_relaxed);
}

void set_site_name(std::string name) {
  Output& out = output();
  std::lock_guard lock(out.mutex);
  out.site_name = std::move(name);
}

void set_sink(Sink sink) {
  Output& out = output();
  std::lock_guard lock(out.mutex);
  out.sink = std::move(sink);
}

void write(Level level, std::string_view message) {
  Output& out = output();
  std::lock_guard lock(out.mutex);
  if (out.sink) {
    out.sink(level, message);
    return;
  }
  std::string line = time_of_day();
  line += ' ';
  if (!out.site_name.empty()) {
    line += out.site_name;
    line += ' ';
  }
  line += level_name(level);
  line += ": ";
  line += message;
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace paxoskv::log
