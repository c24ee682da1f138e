#include "site/logging.hpp"

#include <array>
#include <boost/core/null_deleter.hpp>
#include <boost/log/core.hpp>
#include <boost/log/expressions.hpp>
#include <boost/log/sinks/sync_frontend.hpp>
#include <boost/log/sinks/text_ostream_backend.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>
#include <utility>

namespace paxoskv::site {

namespace logging = boost::log;
namespace trivial = boost::log::trivial;

namespace {

constexpr std::array<std::pair<std::string_view, LogLevel>, 5> kLevels{{
    {"trace", trivial::trace},
    {"debug", trivial::debug},
    {"info", trivial::info},
    {"warning", trivial::warning},
    {"error", trivial::error},
}};

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

std::optional<LogLevel> parse_log_level(std::string_view name) {
  for (const auto& [text, level] : kLevels)
    if (text == name) return level;
  return std::nullopt;
}

void init_logging(LogLevel level, const std::string& site_name) {
  using Backend = logging::sinks::text_ostream_backend;
  auto backend = boost::make_shared<Backend>();
  backend->add_stream(boost::shared_ptr<std::ostream>(&std::clog, boost::null_deleter()));
  // Diagnostics must be visible even if the process dies right after the line.
  backend->auto_flush(true);

  auto sink = boost::make_shared<logging::sinks::synchronous_sink<Backend>>(backend);
  sink->set_formatter(
      [site_name](const logging::record_view& record, logging::formatting_ostream& out) {
        out << time_of_day() << ' ' << site_name << ' ';
        if (auto severity = logging::extract<LogLevel>("Severity", record)) out << *severity;
        out << ": " << record[logging::expressions::smessage];
      });

  auto core = logging::core::get();
  core->remove_all_sinks();
  core->add_sink(sink);
  core->set_filter(trivial::severity >= level);
}

}  // namespace paxoskv::site
