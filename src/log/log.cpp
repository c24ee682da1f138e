#include "log/log.hpp"

#include <array>
#include <atomic>
#include <boost/core/null_deleter.hpp>
#include <boost/log/core.hpp>
#include <boost/log/expressions.hpp>
#include <boost/log/sinks/basic_sink_backend.hpp>
#include <boost/log/sinks/sync_frontend.hpp>
#include <boost/log/sinks/text_ostream_backend.hpp>
#include <boost/log/sources/record_ostream.hpp>
#include <boost/log/sources/severity_logger.hpp>
#include <boost/log/utility/manipulators/add_value.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <utility>

namespace paxoskv::log {

namespace logging = boost::log;

namespace {

constexpr std::array<std::pair<std::string_view, Level>, 5> kLevels{{
    {"trace", Level::trace},
    {"debug", Level::debug},
    {"info", Level::info},
    {"warning", Level::warning},
    {"error", Level::error},
}};

std::atomic<Level> min_level{Level::warning};

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

// Hands each record to a Capture's function.
class CaptureBackend
    : public logging::sinks::basic_sink_backend<logging::sinks::concurrent_feeding> {
 public:
  explicit CaptureBackend(Sink sink) : sink_(std::move(sink)) {}
  void consume(const logging::record_view& record) {
    auto level = logging::extract<Level>("Severity", record);
    auto message = logging::extract<std::string>("Message", record);
    sink_(level ? *level : Level::error, message ? *message : std::string());
  }

 private:
  Sink sink_;
};

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

void to_stderr(Level level, const std::string& site_name) {
  set_level(level);
  using Backend = logging::sinks::text_ostream_backend;
  auto backend = boost::make_shared<Backend>();
  backend->add_stream(boost::shared_ptr<std::ostream>(&std::clog, boost::null_deleter()));
  // Diagnostics must be visible even if the process dies right after the line.
  backend->auto_flush(true);
  auto sink = boost::make_shared<logging::sinks::synchronous_sink<Backend>>(backend);
  sink->set_formatter(
      [site_name](const logging::record_view& record, logging::formatting_ostream& out) {
        out << time_of_day() << ' ' << site_name << ' ';
        if (auto level = logging::extract<Level>("Severity", record)) out << level_name(*level);
        out << ": " << record[logging::expressions::smessage];
      });
  auto core = logging::core::get();
  core->remove_all_sinks();
  core->add_sink(sink);
}

struct Capture::Registration {
  boost::shared_ptr<logging::sinks::sink> sink;
};

Capture::Capture(Level level, Sink sink)
    : registration_(std::make_unique<Registration>()), previous_(min_level.load()) {
  registration_->sink = boost::make_shared<logging::sinks::synchronous_sink<CaptureBackend>>(
      boost::make_shared<CaptureBackend>(std::move(sink)));
  logging::core::get()->add_sink(registration_->sink);
  min_level.store(level, std::memory_order_relaxed);
}

Capture::~Capture() {
  logging::core::get()->remove_sink(registration_->sink);
  min_level.store(previous_, std::memory_order_relaxed);
}

void write(Level level, std::string_view message) {
  static thread_local logging::sources::severity_logger<Level> logger;
  logging::record record = logger.open_record(logging::keywords::severity = level);
  if (!record) return;
  logging::record_ostream out(record);
  out << message;
  out.flush();
  logger.push_record(std::move(record));
}

}  // namespace paxoskv::log
