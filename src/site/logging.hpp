#pragma once

#include <boost/log/trivial.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace paxoskv::site {

using LogLevel = boost::log::trivial::severity_level;

// "trace", "debug", "info", "warning", "error"; nullopt for anything else.
std::optional<LogLevel> parse_log_level(std::string_view name);

// Every Boost.Log record at `level` or above goes to stderr as one line:
//   "12:04:31.207 alpha warning: no quorum for slot 4"
void init_logging(LogLevel level, const std::string& site_name);

}  // namespace paxoskv::site
